// Stream connections of the SDK (PROTOCOL-BRIEF §7, §8.3): a PilotConn is one overlay stream as a Web Streams duplex
// (reading is credit-driven, writing waits on the daemon's `queued` replies), and a PilotListener is a bound stream
// port as an async iterable of accepted connections.
import type { IpcClient, IpcStream } from "../ipc/mod.ts";
import { InvalidArgumentError } from "../util/errors.ts";
import { isGone, sdkError } from "./errors.ts";
import type { CloseHow } from "./types.ts";

/** One overlay stream. `readable` ends at the peer's FIN; closing `writable` half-closes (FIN). */
export class PilotConn implements AsyncDisposable {
  readonly readable: ReadableStream<Uint8Array>;
  readonly writable: WritableStream<Uint8Array>;
  /** The peer's address text. */
  readonly remote: string;
  readonly remotePort: number;
  readonly localPort: number;
  /** The daemon's connection id (as in `info().conn_list`). */
  readonly id: number;
  readonly #stream: IpcStream;
  #closed = false;

  /** @internal built by PilotClient.dial() / PilotListener */
  constructor(stream: IpcStream) {
    const info = stream.info;
    if (info === null) throw new InvalidArgumentError("a connection needs its dial or accept answer");
    this.#stream = stream;
    this.readable = stream.readable;
    this.writable = stream.writable;
    this.remote = info.remote;
    this.remotePort = info.remote_port;
    this.localPort = info.local_port;
    this.id = stream.conn;
  }

  /**
   * `write`: FIN after the queued data, reading goes on (prefer closing `writable`, which waits for queued writes).
   * `both` (default): close, discarding unread data. `abort`: reset. Closing a connection that already ended is a
   * no-op.
   */
  async close(how: CloseHow = "both"): Promise<void> {
    if (this.#closed) return;
    if (how !== "write") this.#closed = true;
    try {
      await this.#stream.close(how);
    } catch (err) {
      if (!isGone(err)) throw sdkError(err, this.remote);
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

/** A bound stream port. Iterate it for connections; close() unbinds it and ends the iteration. */
export class PilotListener implements AsyncIterable<PilotConn>, AsyncDisposable {
  readonly port: number;
  readonly #ipc: IpcClient;
  #closed = false;
  #closing: Promise<void> | null = null;

  /** @internal built by PilotClient.listen() */
  constructor(ipc: IpcClient, port: number) {
    this.#ipc = ipc;
    this.port = port;
  }

  /** The next connection, or null once the listener is closed. */
  async accept(): Promise<PilotConn | null> {
    if (this.#closed) return null;
    try {
      // No abort signal: unbinding fails a waiting accept in the daemon, so no connection is ever orphaned.
      return new PilotConn(await this.#ipc.acceptStream(this.port));
    } catch (err) {
      if (this.#closed) return null;
      throw sdkError(err);
    }
  }

  async *[Symbol.asyncIterator](): AsyncIterator<PilotConn> {
    for (;;) {
      const conn = await this.accept();
      if (conn === null) return;
      yield conn;
    }
  }

  /** Unbinds the port; connections already accepted stay open. */
  close(): Promise<void> {
    this.#closing ??= this.#unbind();
    return this.#closing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  async #unbind(): Promise<void> {
    this.#closed = true;
    try {
      await this.#ipc.request("unbind", { port: this.port, proto: "stream" });
    } catch (err) {
      if (!isGone(err)) throw sdkError(err);
    }
  }
}

/** Reads `readable` to its end; more than `maxBytes` is `invalid_argument` (detail `too_large`). */
export async function readAll(
  readable: ReadableStream<Uint8Array>,
  maxBytes: number = Number.MAX_SAFE_INTEGER,
): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let total = 0;
  const reader = readable.getReader();
  try {
    for (;;) {
      const r = await reader.read();
      if (r.done) break;
      total += r.value.length;
      if (total > maxBytes) {
        await reader.cancel().catch(() => {});
        throw new InvalidArgumentError(`stream longer than ${maxBytes} bytes`, { detail: "too_large" });
      }
      parts.push(r.value);
    }
  } finally {
    reader.releaseLock();
  }
  const out = new Uint8Array(total);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}
