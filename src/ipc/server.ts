// The daemon's IPC server (PROTOCOL-BRIEF §8): opens the endpoint (§8.1), accepts up to 64 clients and runs one
// session per client. It knows nothing of streams or tunnels; the daemon wires it with an IpcHandlers table.
import type { Logger } from "../log/logger.ts";
import { ConnectionFailedError } from "../util/errors.ts";
import { CLOSE_FLUSH_TIMEOUT_MS, MAX_IPC_CLIENTS, MAX_OUTSTANDING_REQUESTS } from "./constants.ts";
import { checkHandlers } from "./dispatch.ts";
import type { IpcHandlers } from "./handlers.ts";
import { encodeErrorEvent } from "./protocol.ts";
import { IpcSession } from "./session.ts";
import {
  closeAfterLinger,
  closeQuietly,
  describeIpcAddress,
  type IpcAddress,
  type IpcEndpoint,
  openIpcEndpoint,
  writeAll,
} from "./transport.ts";

export interface IpcServerLimits {
  readonly maxClients: number;
  readonly maxOutstanding: number;
}

export interface IpcServerOptions {
  /** A socket path (Unix) or an explicit address; see `ipcAddress()` for the platform choice. */
  readonly address: IpcAddress | string;
  readonly handlers: IpcHandlers;
  readonly logger: Logger;
  /** Defaults: §10's 64 clients and 1024 outstanding requests each. */
  readonly limits?: Partial<IpcServerLimits>;
}

/** After a failed accept (out of descriptors) the loop waits this long rather than spinning. */
const ACCEPT_ERROR_BACKOFF_MS = 100;

export class IpcServer {
  readonly address: IpcAddress;
  readonly #endpoint: IpcEndpoint;
  readonly #handlers: IpcHandlers;
  readonly #log: Logger;
  readonly #limits: IpcServerLimits;
  readonly #sessions = new Set<IpcSession>();
  readonly #refusals = new Set<Promise<void>>();
  readonly #abort = new AbortController();
  readonly #acceptLoop: Promise<void>;
  #nextClientId = 1;
  #closed: Promise<void> | null = null;

  /**
   * Opens the endpoint and starts accepting. Throws InvalidArgumentError (path over 100 bytes), AlreadyExistsError
   * (a daemon answers there), NotRunningError (the path is not a socket of this user).
   */
  static async start(options: IpcServerOptions): Promise<IpcServer> {
    checkHandlers(options.handlers);
    const address: IpcAddress = typeof options.address === "string"
      ? { transport: "unix", path: options.address }
      : options.address;
    const endpoint = await openIpcEndpoint(address);
    return new IpcServer(address, endpoint, options);
  }

  private constructor(address: IpcAddress, endpoint: IpcEndpoint, options: IpcServerOptions) {
    this.address = address;
    this.#endpoint = endpoint;
    this.#handlers = options.handlers;
    this.#log = options.logger;
    this.#limits = {
      maxClients: options.limits?.maxClients ?? MAX_IPC_CLIENTS,
      maxOutstanding: options.limits?.maxOutstanding ?? MAX_OUTSTANDING_REQUESTS,
    };
    this.#acceptLoop = this.#accept();
    this.#log.info("ipc listening", { on: describeIpcAddress(address), port: this.port ?? undefined });
  }

  /** The loopback port in TCP mode, else null. */
  get port(): number | null {
    const addr = this.#endpoint.listener.addr;
    return addr.transport === "tcp" ? addr.port : null;
  }

  get clientCount(): number {
    return this.#sessions.size;
  }

  /** Stops accepting, closes every client (their close hooks run) and removes the socket or token file. */
  close(): Promise<void> {
    this.#closed ??= this.#shutdown();
    return this.#closed;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  async #shutdown(): Promise<void> {
    this.#abort.abort();
    try {
      this.#endpoint.listener.close();
    } catch {
      // already closed
    }
    await this.#acceptLoop;
    await Promise.all([...this.#sessions].map((s) => s.close()));
    await Promise.all([...this.#refusals]);
    await this.#endpoint.release();
    this.#log.info("ipc closed");
  }

  async #accept(): Promise<void> {
    const signal = this.#abort.signal;
    while (!signal.aborted) {
      let conn: Deno.Conn;
      try {
        conn = await this.#endpoint.listener.accept();
      } catch (err) {
        if (signal.aborted || err instanceof Deno.errors.BadResource) return;
        this.#log.warn("ipc accept failed", { error: (err as Error).message });
        await abortableDelay(ACCEPT_ERROR_BACKOFF_MS, signal);
        continue;
      }
      if (signal.aborted) {
        conn.close();
        return;
      }
      if (this.#sessions.size >= this.#limits.maxClients) {
        this.#refuse(conn);
        continue;
      }
      this.#open(conn);
    }
  }

  #open(conn: Deno.Conn): void {
    const session = new IpcSession({
      id: this.#nextClientId++,
      conn,
      handlers: this.#handlers,
      logger: this.#log,
      token: this.#endpoint.token,
      maxOutstanding: this.#limits.maxOutstanding,
      onEnded: (s) => this.#sessions.delete(s),
    });
    this.#sessions.add(session);
    this.#log.debug("ipc client connected", { client: session.id });
    try {
      this.#handlers.clientOpened?.(session);
    } catch (err) {
      this.#log.warn("ipc clientOpened hook failed", { client: session.id, error: (err as Error).message });
    }
  }

  /** Over the client limit: one error event, then close, without reading anything from the client. */
  #refuse(conn: Deno.Conn): void {
    const err = new ConnectionFailedError(`too many ipc clients (limit ${this.#limits.maxClients})`, {
      detail: "limit",
      hint: "close other pilotctl or SDK clients of this daemon",
    });
    this.#log.warn("ipc client refused", { reason: "client limit", limit: this.#limits.maxClients });
    const done = refuseConnection(conn, encodeErrorEvent(err)).finally(() => this.#refusals.delete(done));
    this.#refusals.add(done);
  }
}

async function refuseConnection(conn: Deno.Conn, event: Uint8Array): Promise<void> {
  const timer = setTimeout(() => closeQuietly(conn), CLOSE_FLUSH_TIMEOUT_MS);
  try {
    await writeAll(conn, event);
  } catch {
    closeQuietly(conn);
    return;
  } finally {
    clearTimeout(timer);
  }
  await closeAfterLinger(conn, CLOSE_FLUSH_TIMEOUT_MS);
}

function abortableDelay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done);
  });
}
