// The CLI's side of IPC (CLI.md §1.5, §2; PROTOCOL-BRIEF §8): finds the daemon's socket (PILOT_SOCKET > config
// `socket` > /tmp/pilot.sock), connects and says `hello`, bounds the whole command by `--timeout`, resolves
// `<target>`s (hostnames through the daemon's `resolve`) and turns daemon errors into the standard failures of §2.
import { formatDurationMs, parseNodeId, pilotPaths, resolveConfig } from "../config/mod.ts";
import type { ResolvedConfig } from "../config/mod.ts";
import {
  ipcAddress,
  IpcClient,
  type IpcCommandArgs,
  type IpcCommandName,
  type IpcCommandResult,
  type IpcJson,
  type RequestOptions,
} from "../ipc/mod.ts";
import { CONNECT_TIMEOUT_MS } from "../ipc/constants.ts";
import {
  ConnectionFailedError,
  NotFoundError,
  NotTrustedError,
  type PilotError,
  TimeoutError,
  toPilotError,
} from "../util/errors.ts";
import { type Addr, formatAddr, NETWORK_BACKBONE, parseAddr } from "../wire/mod.ts";
import { PILOTCTL_VERSION } from "./build_info.ts";
import type { CommandContext } from "./spec.ts";
import { classifyTarget, type Target } from "./target.ts";

/** `client` of `hello`. */
export const DAEMON_CLIENT_NAME = "pilotctl";
export const RETRY_TIMEOUT_HINT = "retry with a longer --timeout";

/**
 * Bounds a whole command (CLI.md §1.2); `ms` null means no limit. Aborts `signal` when it expires; disposing it
 * first disarms it (connect's pipe mode bounds only resolve and dial).
 */
export class Deadline implements Disposable {
  readonly ms: number | null;
  readonly #controller = new AbortController();
  readonly #start = performance.now();
  readonly #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(ms: number | null) {
    this.ms = ms;
    if (ms !== null) this.#timer = setTimeout(() => this.#controller.abort(), ms);
  }

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  get expired(): boolean {
    return this.#controller.signal.aborted;
  }

  /** Milliseconds left (at least 1 while running), or undefined without a limit. */
  remainingMs(): number | undefined {
    if (this.ms === null) return undefined;
    return Math.max(1, Math.ceil(this.ms - (performance.now() - this.#start)));
  }

  /** `within 10s`, for messages. */
  describe(): string {
    return this.ms === null ? "" : ` within ${formatDurationMs(this.ms)}`;
  }

  [Symbol.dispose](): void {
    clearTimeout(this.#timer);
  }
}

/** A `<target>` after resolution: always an address. */
export interface ResolvedTarget {
  readonly addr: Addr;
  /** Text form, upper-case: `0:0000.0000.0101`. */
  readonly address: string;
  readonly nodeId: number;
  /** Set when the target was a hostname. */
  readonly hostname: string | null;
}

/** The daemon's identity from `hello`. */
export interface DaemonSelf {
  readonly nodeId: number;
  readonly address: string;
  readonly version: string;
}

/**
 * Checks a `<target>`'s syntax (CLI.md §1.5) without the daemon, so bad input is `invalid_argument` even when the
 * daemon is down. A signed number is a node id gone wrong (`lookup -1`), not a hostname.
 */
export function parseTarget(text: string): Target {
  if (/^[+-]\d+$/.test(text)) parseNodeId(text);
  return classifyTarget(text);
}

/** `cannot find "bob": unknown hostname or no mutual trust` (CLI.md §2). */
export function hostnameNotFound(hostname: string): NotFoundError {
  return new NotFoundError(`cannot find "${hostname}": unknown hostname or no mutual trust`, {
    hint: `get the node's address from its owner, then: pilotctl handshake <address> "<reason>"`,
    detail: "hostname",
  });
}

/** `no response from 0:0000.0000.0101 within 10s`. */
export function noResponseError(address: string, deadline: Deadline): TimeoutError {
  return new TimeoutError(`no response from ${address}${deadline.describe()}`, { hint: RETRY_TIMEOUT_HINT });
}

/** Registry-side connection failures keep their own message: they are not about the peer. */
const NOT_PEER_DETAILS = ["registry_unreachable", "beacon_unreachable", "rate_limited", "limit"];

/**
 * A failure while talking to a peer, as §2's standard rows: no trust → unauthorized with the handshake hint; a
 * timeout (the daemon's or `--timeout`) → `no response from …`. With a port (dial), refused and unreachable become
 * `connection refused: A port P` and `cannot connect to A port P`.
 */
export function peerError(err: unknown, address: string, deadline: Deadline, port?: number): PilotError {
  const e = toPilotError(err);
  if (deadline.expired || e.code === "timeout") return noResponseError(address, deadline);
  if (e.code === "unauthorized" && (e.detail === undefined || e.detail === "not_trusted")) {
    return new NotTrustedError(address);
  }
  if (port !== undefined && e.code === "connection_failed" && !NOT_PEER_DETAILS.includes(e.detail ?? "")) {
    if (e.detail === "refused") {
      return new ConnectionFailedError(`connection refused: ${address} port ${port}`, {
        hint: `check that a service listens on port ${port}`,
        detail: "refused",
      });
    }
    return new ConnectionFailedError(`cannot connect to ${address} port ${port}`, {
      hint: `pilotctl ping ${address}`,
      detail: e.detail,
    });
  }
  return e;
}

/** A failure of a request with no peer involved: only `--timeout` expiry gets a new text. */
export function requestError(err: unknown, deadline: Deadline, what: string): PilotError {
  const e = toPilotError(err);
  if (deadline.expired) {
    return new TimeoutError(`${what} did not finish${deadline.describe()}`, { hint: RETRY_TIMEOUT_HINT });
  }
  return e;
}

/** One connection to the daemon for one command. */
export class DaemonSession implements AsyncDisposable {
  readonly client: IpcClient;
  readonly config: ResolvedConfig;
  /** The socket path in use (config `socket` after PILOT_SOCKET). */
  readonly socket: string;
  readonly self: DaemonSelf;
  readonly deadline: Deadline;
  readonly #ctx: CommandContext;
  /** Set when the deadline closed the connection: every request still pending then fails at once. */
  #expiry: Promise<void> | null = null;

  private constructor(
    ctx: CommandContext,
    client: IpcClient,
    config: ResolvedConfig,
    deadline: Deadline,
  ) {
    this.#ctx = ctx;
    this.client = client;
    this.config = config;
    this.socket = config.values.socket;
    this.deadline = deadline;
    const hello = client.helloResult;
    this.self = {
      nodeId: hello?.node_id ?? 0,
      address: hello?.address ?? "",
      version: hello?.daemon_version ?? "",
    };
    // Closing the connection is what ends waits the daemon does not bound (a `send` held by backpressure).
    deadline.signal.addEventListener("abort", () => {
      this.#expiry ??= client.close();
    }, { once: true });
  }

  /**
   * Connects to the daemon. `timeoutMs` (null: none) bounds everything done through the session; a daemon that is
   * down gives `daemon is not running (socket P)` with hint `pilotctl daemon start`.
   */
  static async open(ctx: CommandContext, timeoutMs: number | null = null): Promise<DaemonSession> {
    const config = await resolveConfig({ env: ctx.env });
    const address = ipcAddress(config.values.socket, pilotPaths(config.home).ipcToken);
    const deadline = new Deadline(timeoutMs);
    try {
      const client = await IpcClient.connect(address, {
        client: DAEMON_CLIENT_NAME,
        version: PILOTCTL_VERSION,
        timeoutMs: Math.min(CONNECT_TIMEOUT_MS, deadline.remainingMs() ?? CONNECT_TIMEOUT_MS),
      });
      return new DaemonSession(ctx, client, config, deadline);
    } catch (err) {
      deadline[Symbol.dispose]();
      throw err;
    }
  }

  get json(): boolean {
    return this.#ctx.json;
  }

  /** A typed §8.3 request, cancelled when the deadline expires. */
  request<C extends IpcCommandName>(
    cmd: C,
    args: IpcCommandArgs<C>,
    options: RequestOptions = {},
  ): Promise<IpcCommandResult<C>> {
    return this.client.call(cmd, args as IpcJson, { signal: this.deadline.signal, ...options }) as Promise<
      IpcCommandResult<C>
    >;
  }

  /** A side note on stderr, human mode only (CLI.md §1.3). */
  async note(text: string): Promise<void> {
    if (!this.#ctx.json) await this.#ctx.io.stderr.write(text + "\n");
  }

  /** A line of human output written as it happens (ping, recv, listen); nothing in `--json` mode. */
  async print(text: string): Promise<void> {
    if (!this.#ctx.json) await this.#ctx.io.stdout.write(text + "\n");
  }

  /**
   * CLI.md §1.5: an address is used as given; all digits is a backbone node id; anything else is a hostname the
   * daemon resolves (printing `resolved "bob" -> 0:0000.0000.0101` on stderr in human mode).
   */
  async resolveTarget(given: string | Target): Promise<ResolvedTarget> {
    const target = typeof given === "string" ? parseTarget(given) : given;
    if (target.kind !== "hostname") {
      return { addr: target.addr, address: target.text, nodeId: target.addr.node, hostname: null };
    }
    let result: IpcCommandResult<"resolve">;
    try {
      result = await this.request("resolve", { name: target.hostname });
    } catch (err) {
      const e = requestError(err, this.deadline, `resolving "${target.hostname}"`);
      throw e.code === "not_found" ? hostnameNotFound(target.hostname) : e;
    }
    const addr = parseAddr(result.address);
    const address = formatAddr(addr);
    await this.note(`resolved "${target.hostname}" -> ${address}`);
    return { addr, address, nodeId: addr.node, hostname: result.hostname ?? target.hostname };
  }

  /** Closes the connection; what the command left open (connections, ports) the daemon closes with it. */
  async close(): Promise<void> {
    this.deadline[Symbol.dispose]();
    if (this.#expiry !== null) await this.#expiry;
    await this.client.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

/** Runs `fn` with a session to the daemon, closing it afterwards whatever happens. */
export async function withDaemon<T>(
  ctx: CommandContext,
  fn: (session: DaemonSession) => Promise<T>,
  timeoutMs: number | null = null,
): Promise<T> {
  await using session = await DaemonSession.open(ctx, timeoutMs);
  return await fn(session);
}

/** `0:0000.0000.0100` for a node id on the backbone. */
export function backboneAddress(nodeId: number): string {
  return formatAddr({ network: NETWORK_BACKBONE, node: nodeId });
}
