// Test support: an in-memory pair of ServiceStreams with the semantics of a transport stream — half-close (EOF after
// buffered data), full close (later data from the other side resets), reset (reads return what had arrived, then
// fail), optional re-chunking (frames arrive split) and a bounded buffer per direction (writes wait for the reader).
import type { ServiceStream } from "../../../src/daemon/services/service_stream.ts";
import { ConnectionFailedError } from "../../../src/util/errors.ts";

export interface PipeOptions {
  /** Split every write into chunks of at most this many bytes. */
  readonly chunkBytes?: number;
  /** Unread bytes one side may hold before the writer waits. */
  readonly capacityBytes?: number;
}

export class MemoryStream implements ServiceStream {
  peer!: MemoryStream;
  readonly #options: PipeOptions;
  #chunks: Uint8Array[] = [];
  #buffered = 0;
  #eof = false;
  #readShut = false;
  #writeShut = false;
  #reset = false;
  #waiters: (() => void)[] = [];
  /** Everything this side wrote, for assertions. */
  written = 0;
  aborted = false;

  constructor(options: PipeOptions) {
    this.#options = options;
  }

  get isReset(): boolean {
    return this.#reset;
  }

  get eofSent(): boolean {
    return this.#writeShut;
  }

  async read(): Promise<Uint8Array | null> {
    for (;;) {
      const chunk = this.#chunks.shift();
      if (chunk !== undefined) {
        this.#buffered -= chunk.length;
        this.peer.#wake();
        return chunk;
      }
      if (this.#reset) throw new ConnectionFailedError("connection reset", { detail: "reset" });
      if (this.#eof) return null;
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
  }

  async write(data: Uint8Array): Promise<void> {
    const size = this.#options.chunkBytes ?? Infinity;
    for (let off = 0; off < data.length; off += size) {
      if (this.#reset) throw new ConnectionFailedError("connection reset", { detail: "reset" });
      if (this.#writeShut) throw new ConnectionFailedError("stream closed for writing", { detail: "closed" });
      const capacity = this.#options.capacityBytes ?? Infinity;
      while (this.peer.#buffered >= capacity && !this.#reset && !this.peer.#readShut) {
        await new Promise<void>((resolve) => this.#waiters.push(resolve));
      }
      if (this.#reset) throw new ConnectionFailedError("connection reset", { detail: "reset" });
      if (this.peer.#readShut) {
        // late data to a closed reader is answered with a reset
        this.#resetBoth();
        throw new ConnectionFailedError("connection reset", { detail: "reset" });
      }
      const part = data.slice(off, off + size);
      this.written += part.length;
      this.peer.#chunks.push(part);
      this.peer.#buffered += part.length;
      this.peer.#wake();
    }
  }

  closeWrite(): Promise<void> {
    if (this.#reset) return Promise.reject(new ConnectionFailedError("connection reset", { detail: "reset" }));
    this.#writeShut = true;
    this.peer.#eof = true;
    this.peer.#wake();
    return Promise.resolve();
  }

  close(): void {
    if (!this.#writeShut && !this.#reset) {
      this.#writeShut = true;
      this.peer.#eof = true;
      this.peer.#wake();
    }
    this.#readShut = true;
    this.#chunks = [];
    this.#buffered = 0;
    this.peer.#wake();
    this.#wake();
  }

  abort(): void {
    this.aborted = true;
    this.#resetBoth();
  }

  #resetBoth(): void {
    if (this.#reset) return;
    this.#reset = true;
    this.peer.#reset = true;
    this.#wake();
    this.peer.#wake();
  }

  #wake(): void {
    for (const w of this.#waiters.splice(0)) w();
  }
}

/** [client side, server side]. */
export function streamPair(options: PipeOptions = {}): [MemoryStream, MemoryStream] {
  const a = new MemoryStream(options);
  const b = new MemoryStream(options);
  a.peer = b;
  b.peer = a;
  return [a, b];
}

/** Reads everything until end of stream (or a reset, which ends it too). */
export async function readAll(stream: ServiceStream): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  try {
    for (;;) {
      const c = await stream.read();
      if (c === null) break;
      parts.push(c);
    }
  } catch {
    // reset: what arrived is returned
  }
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}
