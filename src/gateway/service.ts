// The gateway process (CLI.md §1.1, §1.8, §3.9): claims `gateway.pid`, opens the control socket `gateway.sock`, maps
// the initial targets and serves until stopped; `close()` undoes all of it in reverse order (mappings and their
// aliases, the socket, the daemon connection, the pid file).
import { IpcServer } from "../ipc/mod.ts";
import type { Logger } from "../log/logger.ts";
import { toPilotError } from "../util/errors.ts";
import type { AliasManager } from "./aliases.ts";
import { controlHandlers } from "./control.ts";
import type { PilotDialer } from "./dialer.ts";
import { Gateway, type MappingInfo, type MapRequest } from "./gateway.ts";
import { claimGatewayPid, gatewayRunningError, releaseGatewayPid } from "./pidfile.ts";
import type { Subnet } from "./subnet.ts";

export interface GatewayServiceOptions {
  readonly pidFile: string;
  readonly socketPath: string;
  readonly subnet: Subnet;
  readonly ports: readonly number[];
  /** Owned from here on: closed on a failed start and at close. */
  readonly dialer: PilotDialer;
  readonly aliases: AliasManager;
  readonly logger: Logger;
  /** Mapped in order before the service counts as started. */
  readonly mappings: readonly MapRequest[];
  /** A control client asked for `stop`. */
  readonly onStopRequest: () => void;
  readonly maxConnections?: number;
}

/** `data` of `gateway start` / `gateway run`. */
export interface GatewayReadyData {
  readonly pid: number;
  readonly subnet: string;
  readonly ports: readonly number[];
  readonly mappings: readonly MappingInfo[];
}

export class GatewayService {
  readonly gateway: Gateway;
  readonly #options: GatewayServiceOptions;
  readonly #control: IpcServer;
  #closing: Promise<void> | null = null;

  private constructor(options: GatewayServiceOptions, gateway: Gateway, control: IpcServer) {
    this.#options = options;
    this.gateway = gateway;
    this.#control = control;
  }

  /** Throws already_exists (a gateway runs), or the first mapping's failure; nothing is left behind then. */
  static async start(options: GatewayServiceOptions): Promise<GatewayService> {
    const log = options.logger;
    const undo: (() => Promise<void>)[] = [() => options.dialer.close()];
    try {
      await claimGatewayPid(options.pidFile);
      undo.push(() => releaseGatewayPid(options.pidFile));
      const gateway = new Gateway({
        subnet: options.subnet,
        ports: options.ports,
        dialer: options.dialer,
        aliases: options.aliases,
        logger: log,
        maxConnections: options.maxConnections,
      });
      undo.push(() => gateway.close());
      const control = await startControl(options, gateway);
      undo.push(() => control.close());
      for (const request of options.mappings) await gateway.map(request);
      log.info("gateway ready", { subnet: options.subnet.text, ports: options.ports.join(","), pid: Deno.pid });
      return new GatewayService(options, gateway, control);
    } catch (err) {
      for (const step of undo.reverse()) await step().catch(() => {});
      throw err;
    }
  }

  readyData(): GatewayReadyData {
    return {
      pid: Deno.pid,
      subnet: this.gateway.subnet.text,
      ports: [...this.gateway.ports],
      mappings: this.gateway.mappings(),
    };
  }

  close(): Promise<void> {
    this.#closing ??= this.#shutdown();
    return this.#closing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  async #shutdown(): Promise<void> {
    const log = this.#options.logger;
    await this.#control.close().catch((err) => log.warn("closing the control socket failed", { error: message(err) }));
    await this.gateway.close().catch((err) => log.warn("closing the mappings failed", { error: message(err) }));
    await this.#options.dialer.close().catch(() => {});
    await releaseGatewayPid(this.#options.pidFile);
    log.info("gateway stopped");
  }
}

async function startControl(options: GatewayServiceOptions, gateway: Gateway): Promise<IpcServer> {
  try {
    return await IpcServer.start({
      address: options.socketPath,
      handlers: controlHandlers(gateway, { pid: Deno.pid, onStop: options.onStopRequest }),
      logger: options.logger.child("control"),
    });
  } catch (err) {
    // The framework words it for the daemon; here a live socket means another gateway.
    if (toPilotError(err).code === "already_exists") throw gatewayRunningError(null);
    throw err;
  }
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
