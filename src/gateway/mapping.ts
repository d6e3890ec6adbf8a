// One gateway mapping (CLI.md §3.9): a local IP whose TCP ports each accept connections and carry them to the same
// port on one agent. Owns its listeners, their accept loops and every bridged connection; `close()` (unmap, stop)
// ends all of them.
import type { Logger } from "../log/logger.ts";
import { AlreadyExistsError, InternalError, type PilotError, toPilotError } from "../util/errors.ts";
import { bridge } from "./bridge.ts";
import type { PilotDialer } from "./dialer.ts";
import { PORT_PRIVILEGE_HINT, portPrivilegeError } from "./ports.ts";
import { formatIPv4 } from "./subnet.ts";

/** A gateway-wide cap on bridged connections, shared by every mapping. */
export interface ConnectionBudget {
  tryAcquire(): boolean;
  release(): void;
}

export class CountingBudget implements ConnectionBudget {
  readonly #max: number;
  #used = 0;

  constructor(max: number) {
    this.#max = max;
  }

  get used(): number {
    return this.#used;
  }

  tryAcquire(): boolean {
    if (this.#used >= this.#max) return false;
    this.#used++;
    return true;
  }

  release(): void {
    this.#used = Math.max(0, this.#used - 1);
  }
}

export interface MappingParams {
  readonly ip: number;
  readonly pilotAddr: string;
  readonly hostname: string;
  readonly ports: readonly number[];
  readonly dialer: PilotDialer;
  readonly budget: ConnectionBudget;
  readonly logger: Logger;
}

/** After a failed accept (out of descriptors) the loop waits this long rather than spinning. */
const ACCEPT_ERROR_BACKOFF_MS = 100;

function listenError(ip: string, port: number, err: unknown): PilotError {
  if (err instanceof Deno.errors.AddrInUse) {
    return new AlreadyExistsError(`cannot listen on ${ip}:${port}: address already in use`, { detail: "port_bound" });
  }
  if (err instanceof Deno.errors.PermissionDenied) {
    return port < 1024 ? portPrivilegeError(port) : toPilotError(err);
  }
  const message = err instanceof Error ? err.message : String(err);
  return new InternalError(`cannot listen on ${ip}:${port}: ${message}`, {
    hint: port < 1024 ? PORT_PRIVILEGE_HINT : "",
  });
}

export class Mapping {
  readonly ip: number;
  readonly localIp: string;
  readonly pilotAddr: string;
  readonly hostname: string;
  readonly #listeners: Deno.TcpListener[];
  readonly #dialer: PilotDialer;
  readonly #budget: ConnectionBudget;
  readonly #log: Logger;
  readonly #abort = new AbortController();
  readonly #loops: Promise<void>[];
  readonly #conns = new Set<Promise<void>>();
  #closing: Promise<void> | null = null;

  /** Binds every port on the IP (all or none); a failure closes what was bound and throws. */
  static open(params: MappingParams): Mapping {
    const ip = formatIPv4(params.ip);
    const listeners: Deno.TcpListener[] = [];
    try {
      for (const port of params.ports) listeners.push(Deno.listen({ transport: "tcp", hostname: ip, port }));
    } catch (err) {
      for (const l of listeners) l.close();
      throw listenError(ip, params.ports[listeners.length], err);
    }
    return new Mapping(params, listeners);
  }

  private constructor(params: MappingParams, listeners: Deno.TcpListener[]) {
    this.ip = params.ip;
    this.localIp = formatIPv4(params.ip);
    this.pilotAddr = params.pilotAddr;
    this.hostname = params.hostname;
    this.#listeners = listeners;
    this.#dialer = params.dialer;
    this.#budget = params.budget;
    this.#log = params.logger.child("mapping");
    this.#loops = listeners.map((l) => this.#accept(l));
  }

  /** Bridged connections open now. */
  get connections(): number {
    return this.#conns.size;
  }

  /** Stops accepting, aborts every connection and waits for them to finish. */
  close(): Promise<void> {
    this.#closing ??= this.#shutdown();
    return this.#closing;
  }

  async #shutdown(): Promise<void> {
    this.#abort.abort();
    for (const l of this.#listeners) {
      try {
        l.close();
      } catch {
        // already closed
      }
    }
    await Promise.all(this.#loops);
    await Promise.all([...this.#conns]);
  }

  async #accept(listener: Deno.TcpListener): Promise<void> {
    const signal = this.#abort.signal;
    const port = (listener.addr as Deno.NetAddr).port;
    while (!signal.aborted) {
      let conn: Deno.TcpConn;
      try {
        conn = await listener.accept();
      } catch (err) {
        if (signal.aborted || err instanceof Deno.errors.BadResource) return;
        this.#log.limited("warn", "accept", "accept failed", { ip: this.localIp, port, error: (err as Error).message });
        await new Promise((resolve) => setTimeout(resolve, ACCEPT_ERROR_BACKOFF_MS));
        continue;
      }
      if (signal.aborted || !this.#budget.tryAcquire()) {
        if (!signal.aborted) this.#log.limited("warn", "limit", "connection refused: too many connections");
        closeQuietly(conn);
        continue;
      }
      const done: Promise<void> = this.#serve(conn, port).finally(() => {
        this.#conns.delete(done);
        this.#budget.release();
      });
      this.#conns.add(done);
    }
  }

  async #serve(conn: Deno.TcpConn, port: number): Promise<void> {
    const signal = this.#abort.signal;
    try {
      conn.setNoDelay(true);
    } catch {
      // the client already went away; the dial below fails or the bridge ends at once
    }
    let stream;
    try {
      stream = await this.#dialer.dial(this.pilotAddr, port, signal);
    } catch (err) {
      closeQuietly(conn);
      if (!signal.aborted) {
        this.#log.limited("warn", `dial:${port}`, "cannot open stream", {
          to: this.pilotAddr,
          port,
          error: toPilotError(err).message,
        });
      }
      return;
    }
    const result = await bridge(conn, stream, { signal });
    this.#log.debug("connection closed", {
      to: this.pilotAddr,
      port,
      outcome: result.outcome,
      sent: result.bytesToStream,
      received: result.bytesToTcp,
      error: result.error === undefined ? undefined : toPilotError(result.error).message,
    });
  }
}

function closeQuietly(conn: Deno.Conn): void {
  try {
    conn.close();
  } catch {
    // already closed
  }
}
