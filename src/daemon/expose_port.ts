// One exposed pilot port (CLI.md §3.9 `expose`, PROTOCOL-BRIEF §8.3): a stream listener whose every accepted
// connection becomes a TCP connection to the target, bridged both ways by the gateway's bridge (backpressure,
// half-close, abort). Untrusted peers never get here, since the stack answers their SYN with RST 2 (§6.4); the check
// below only covers trust revoked between the handshake and the accept. A target that cannot be reached resets the
// stream (RST 5), so the far side sees the failure instead of an empty answer.
import { bridge, type BridgeCloseHow, type BridgeStream } from "../gateway/mod.ts";
import type { Logger } from "../log/logger.ts";
import { connStreams, type Listener, RST_ABORTED, RST_NOT_TRUSTED, type StreamConn } from "../transport/mod.ts";
import { toPilotError } from "../util/errors.ts";
import { formatAddr } from "../wire/mod.ts";
import type { ExposeTarget } from "./expose_target.ts";

/** Bound on one TCP connect to the target (a DNS lookup included). */
export const EXPOSE_CONNECT_TIMEOUT_MS = 10_000;

/** Opens the TCP connection for one stream; rejects when `signal` aborts. */
export type TcpConnector = (target: ExposeTarget, signal: AbortSignal) => Promise<Deno.Conn>;

export interface ExposedPortDeps {
  readonly connect: TcpConnector;
  readonly isTrusted: (node: number) => boolean;
  readonly log: Logger;
}

/** `Deno.connect`, bounded by EXPOSE_CONNECT_TIMEOUT_MS and by `signal`. */
export async function connectTcp(target: ExposeTarget, signal: AbortSignal): Promise<Deno.Conn> {
  // A private controller: Deno ties it to the connection, and it is aborted only while connecting.
  const connecting = new AbortController();
  const onAbort = () => connecting.abort();
  signal.addEventListener("abort", onAbort, { once: true });
  const timer = setTimeout(onAbort, EXPOSE_CONNECT_TIMEOUT_MS);
  try {
    if (signal.aborted) throw new Error("unexposed");
    const conn = await Deno.connect({ hostname: target.hostname, port: target.port, signal: connecting.signal });
    try {
      conn.setNoDelay(true);
    } catch {
      // the server already closed it: the bridge ends at once
    }
    return conn;
  } finally {
    clearTimeout(timer);
    signal.removeEventListener("abort", onAbort);
  }
}

/** The daemon's own stream as the bridge's stream side. */
function bridgeSide(sc: StreamConn): BridgeStream {
  const { readable, writable } = connStreams(sc);
  return {
    readable,
    writable,
    close(how: BridgeCloseHow): Promise<void> {
      if (how === "write") return sc.closeWrite();
      if (how === "both") sc.close();
      else sc.abort(RST_ABORTED);
      return Promise.resolve();
    },
  };
}

export class ExposedPort implements AsyncDisposable {
  readonly port: number;
  readonly target: ExposeTarget;
  readonly #listener: Listener;
  readonly #d: ExposedPortDeps;
  readonly #abort = new AbortController();
  readonly #running = new Set<Promise<void>>();
  readonly #loop: Promise<void>;
  #closing: Promise<void> | null = null;

  /** Serves every connection `listener` accepts; takes ownership of the listener. */
  constructor(listener: Listener, target: ExposeTarget, deps: ExposedPortDeps) {
    this.port = listener.port;
    this.target = target;
    this.#listener = listener;
    this.#d = deps;
    this.#loop = this.#accept();
  }

  /** Streams being served now (connecting to the target or bridged). */
  get connections(): number {
    return this.#running.size;
  }

  /** Stops accepting and aborts every connection (RST 5 on the stream, the TCP side closed); waits for them. */
  close(): Promise<void> {
    this.#closing ??= this.#shutdown();
    return this.#closing;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #shutdown(): Promise<void> {
    this.#abort.abort();
    this.#listener.close();
    await this.#loop;
    await Promise.all([...this.#running]);
  }

  async #accept(): Promise<void> {
    for (;;) {
      const sc = await this.#listener.accept();
      if (sc === null) return;
      if (this.#abort.signal.aborted) {
        sc.abort(RST_ABORTED);
        continue;
      }
      const run: Promise<void> = this.#serve(sc).catch((err) => {
        this.#d.log.warn("exposed connection failed", { port: this.port, error: toPilotError(err).message });
        if (sc.closeReason === null) sc.abort(RST_ABORTED);
      }).finally(() => this.#running.delete(run));
      this.#running.add(run);
    }
  }

  async #serve(sc: StreamConn): Promise<void> {
    const log = this.#d.log;
    const peer = sc.conn.remote.addr;
    const fields = { port: this.port, conn: sc.id, peer: formatAddr(peer), to: this.target.text };
    if (!this.#d.isTrusted(peer.node)) {
      sc.abort(RST_NOT_TRUSTED);
      return;
    }
    let tcp: Deno.Conn;
    try {
      tcp = await this.#d.connect(this.target, this.#abort.signal);
    } catch (err) {
      sc.abort(RST_ABORTED);
      if (!this.#abort.signal.aborted) {
        const error = err instanceof Error ? err.message : String(err);
        log.limited("warn", `expose:${this.port}`, "cannot reach exposed target", { ...fields, error });
      }
      return;
    }
    const result = await bridge(tcp, bridgeSide(sc), { signal: this.#abort.signal });
    log.debug("exposed connection closed", {
      ...fields,
      outcome: result.outcome,
      to_target: result.bytesToTcp,
      from_target: result.bytesToStream,
      error: result.error === undefined ? undefined : toPilotError(result.error).message,
    });
  }
}
