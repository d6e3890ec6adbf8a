// The gateway's control socket `<home>/gateway.sock` (CLI.md §1.8, §3.9): the IPC framework of src/ipc (4-byte
// length-prefixed JSON frames, PROTOCOL-BRIEF §8.2) with the gateway's own commands. Server side: the handlers.
// Client side: what `gateway map/unmap/list/stop` call, with the gateway's `not_running` failures.
//
//   hello {version, client}                      → {service:"gateway", pid, proto}
//   map   {pilot_addr, hostname?, local_ip?}     → {local_ip, pilot_addr, hostname}
//   unmap {local_ip | pilot_addr | hostname}     → {local_ip, pilot_addr}
//   list  {}                                     → {subnet, ports, mappings:[{local_ip,pilot_addr,hostname,connections}], total}
//   stop  {}                                     → {pid}, then the gateway shuts down
import { type IpcArgs, IpcClient, type IpcHandlers, type IpcJson } from "../ipc/mod.ts";
import { InvalidArgumentError, NotRunningError, toPilotError } from "../util/errors.ts";
import { formatAddr, parseAddr } from "../wire/mod.ts";
import type { Gateway, GatewayState, MappingInfo, UnmapKey } from "./gateway.ts";
import { formatIPv4, parseIPv4 } from "./subnet.ts";

export const GATEWAY_SERVICE_NAME = "gateway";
export const GATEWAY_START_HINT = "pilotctl gateway start";
/** Connect + `hello` on the control socket; a gateway that does not answer in this time is not running. */
export const CONTROL_CONNECT_TIMEOUT_MS = 3_000;
const HOSTNAME_MAX_CHARS = 63;

/** `gateway is not running` (CLI.md §2). */
export function gatewayNotRunningError(cause?: unknown): NotRunningError {
  return new NotRunningError("gateway is not running", { hint: GATEWAY_START_HINT, cause, detail: "gateway" });
}

function stringArg(args: IpcArgs, name: string, maxChars: number): string | undefined {
  const value = args[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string" || value.length > maxChars) {
    throw new InvalidArgumentError(`invalid ${name}: expected a string of at most ${maxChars} characters`);
  }
  return value;
}

/** A pilot address argument, normalised (upper-case groups). */
function addrArg(args: IpcArgs, name: string): string | undefined {
  const text = stringArg(args, name, 64);
  return text === undefined ? undefined : formatAddr(parseAddr(text));
}

/** A local IP argument in canonical dotted form; range checks are the gateway's. */
function ipArg(args: IpcArgs, name: string): string | undefined {
  const text = stringArg(args, name, 15);
  if (text === undefined) return undefined;
  const ip = parseIPv4(text);
  if (ip === null) throw new InvalidArgumentError(`invalid local IP "${text}"`);
  return formatIPv4(ip);
}

export interface ControlHooks {
  readonly pid: number;
  /** `stop` was asked for; called after the reply is queued. */
  readonly onStop: () => void;
}

/** The command table of the control socket. */
export function controlHandlers(gateway: Gateway, hooks: ControlHooks): IpcHandlers {
  return {
    commands: {
      hello: () => Promise.resolve({ service: GATEWAY_SERVICE_NAME, pid: hooks.pid }),
      map: async (args) => {
        const pilotAddr = addrArg(args, "pilot_addr");
        if (pilotAddr === undefined) throw new InvalidArgumentError("map needs pilot_addr");
        const hostname = stringArg(args, "hostname", HOSTNAME_MAX_CHARS) ?? "";
        const localIp = stringArg(args, "local_ip", 64);
        return { ...await gateway.map({ pilotAddr, hostname, localIp }) };
      },
      unmap: async (args) => {
        const key: UnmapKey = {
          localIp: ipArg(args, "local_ip"),
          pilotAddr: addrArg(args, "pilot_addr"),
          hostname: stringArg(args, "hostname", HOSTNAME_MAX_CHARS),
        };
        return { ...await gateway.unmap(key) };
      },
      list: () => Promise.resolve({ ...gateway.list() }),
      stop: () => {
        // A macrotask later, so the reply is queued before shutdown starts closing client sessions.
        setTimeout(hooks.onStop, 0);
        return Promise.resolve({ pid: hooks.pid });
      },
    },
  };
}

/** A connection to the running gateway's control socket. */
export class GatewayControl implements AsyncDisposable {
  readonly #client: IpcClient;
  /** The gateway's pid, from `hello`. */
  readonly pid: number;

  private constructor(client: IpcClient, pid: number) {
    this.#client = client;
    this.pid = pid;
  }

  /** Connects; a missing or silent socket is `gateway is not running` (hint `pilotctl gateway start`). */
  static async connect(socketPath: string, timeoutMs = CONTROL_CONNECT_TIMEOUT_MS): Promise<GatewayControl> {
    let client: IpcClient;
    try {
      client = await IpcClient.connect(socketPath, { client: "pilotctl", version: "1", timeoutMs });
    } catch (err) {
      throw controlConnectError(socketPath, err);
    }
    const hello = client.helloResult as unknown as IpcJson | null;
    if (hello?.service !== GATEWAY_SERVICE_NAME || typeof hello.pid !== "number") {
      await client.close();
      throw gatewayNotRunningError();
    }
    return new GatewayControl(client, hello.pid);
  }

  async map(args: { pilot_addr: string; hostname: string; local_ip?: string }): Promise<MappingInfo> {
    return await this.#call("map", { ...args }) as unknown as MappingInfo;
  }

  async unmap(key: { local_ip?: string; pilot_addr?: string; hostname?: string }): Promise<MappingInfo> {
    return await this.#call("unmap", { ...key }) as unknown as MappingInfo;
  }

  async list(): Promise<GatewayState> {
    return await this.#call("list", {}) as unknown as GatewayState;
  }

  /** Asks the gateway to stop; resolves with its pid once it has accepted. */
  async stop(): Promise<number> {
    const result = await this.#call("stop", {});
    return typeof result.pid === "number" ? result.pid : this.pid;
  }

  async close(): Promise<void> {
    await this.#client.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  async #call(cmd: string, args: IpcJson): Promise<IpcJson> {
    try {
      return await this.#client.call(cmd, args);
    } catch (err) {
      const e = toPilotError(err);
      // The connection itself failed (the gateway exited meanwhile): that is "not running", not the daemon's text.
      if (e.code === "not_running" || e.detail === "ipc_closed") throw gatewayNotRunningError(err);
      throw e;
    }
  }
}

function controlConnectError(socketPath: string, err: unknown): Error {
  const e = toPilotError(err);
  if (e.code !== "not_running") return e;
  const owned = /owned by uid (\d+)/.exec(e.message);
  if (owned !== null) {
    return new NotRunningError(`gateway socket ${socketPath} is owned by uid ${owned[1]}`, {
      hint: "the gateway was started by another user: run this command as that user (sudo)",
      cause: err,
    });
  }
  return gatewayNotRunningError(err);
}
