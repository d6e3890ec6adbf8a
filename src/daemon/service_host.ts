// Runs a built-in stream service (PROTOCOL-BRIEF §9) on a well-known port: one listener, one `serve()` per accepted
// connection with the peer taken from the tunnel (never from the payload). Handlers are tracked so close() stops
// accepting and waits for them; a failing handler resets only its own connection.
import type { Logger } from "../log/logger.ts";
import { type Listener, RST_ABORTED, type StreamConn, type StreamStack } from "../transport/mod.ts";
import { toPilotError } from "../util/errors.ts";
import { formatAddr, NETWORK_BACKBONE } from "../wire/mod.ts";

/** The authenticated remote end of a service connection. */
export interface ServicePeer {
  readonly node: number;
  /** Backbone address text. */
  readonly address: string;
  readonly hostname?: string;
}

/** A service: serves one connection until it ends. */
export interface ConnService {
  serve(conn: StreamConn, peer: ServicePeer, signal: AbortSignal): Promise<void>;
}

export class ServiceHost implements AsyncDisposable {
  readonly port: number;
  readonly #listener: Listener;
  readonly #service: ConnService;
  readonly #hostname: (node: number) => Promise<string>;
  readonly #log: Logger;
  readonly #abort = new AbortController();
  readonly #running = new Set<Promise<void>>();
  readonly #loop: Promise<void>;

  private constructor(
    listener: Listener,
    service: ConnService,
    hostname: (node: number) => Promise<string>,
    log: Logger,
  ) {
    this.port = listener.port;
    this.#listener = listener;
    this.#service = service;
    this.#hostname = hostname;
    this.#log = log;
    this.#loop = this.#accept();
  }

  /** Binds `port` on the stack and serves every connection. */
  static start(
    stack: StreamStack,
    port: number,
    service: ConnService,
    options: { log: Logger; hostname?: (node: number) => Promise<string> },
  ): ServiceHost {
    return new ServiceHost(stack.listen(port), service, options.hostname ?? (() => Promise.resolve("")), options.log);
  }

  /** Stops accepting; running handlers are told to stop and awaited. */
  async close(): Promise<void> {
    this.#abort.abort();
    this.#listener.close();
    await this.#loop;
    await Promise.all(this.#running);
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #accept(): Promise<void> {
    for (;;) {
      const conn = await this.#listener.accept();
      if (conn === null) return;
      const run = this.#serve(conn);
      this.#running.add(run);
      run.finally(() => this.#running.delete(run)).catch(() => {});
    }
  }

  async #serve(conn: StreamConn): Promise<void> {
    // The peer's hostname is for display (inbox entries); it is best effort and never delays a service for long.
    const node = conn.conn.remote.addr.node;
    const hostname = await this.#hostname(node).catch(() => "");
    const peer: ServicePeer = {
      node,
      address: formatAddr({ network: NETWORK_BACKBONE, node }),
      ...(hostname === "" ? {} : { hostname }),
    };
    try {
      await this.#service.serve(conn, peer, this.#abort.signal);
    } catch (err) {
      this.#log.debug("service connection failed", {
        port: this.port,
        conn: conn.id,
        error: toPilotError(err).message,
      });
      if (conn.closeReason === null) conn.abort(RST_ABORTED);
    }
  }
}
