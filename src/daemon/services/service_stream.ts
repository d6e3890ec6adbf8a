// The seam between the daemon and its built-in stream services (PROTOCOL-BRIEF §9): what a service may do with one
// accepted stream, who is on the other end (taken from the tunnel, never from the payload, §6.4), and a byte queue
// for the incremental frame readers, since frames arrive split or coalesced.
import { concatBytes } from "../../util/bytes.ts";

/** One stream as a service sees it; a transport StreamConn satisfies it as it is. */
export interface ServiceStream {
  /** The next received chunk, or null at end of stream; rejects when the stream was reset or timed out. */
  read(): Promise<Uint8Array | null>;
  /** Writes all of `data`, waiting for buffer space; rejects when the stream is closed for writing. */
  write(data: Uint8Array): Promise<void>;
  /** Half-close: FIN after the queued data. */
  closeWrite(): Promise<void>;
  /** Full close: unread and later data is discarded. */
  close(): void;
  /** Reset. */
  abort(): void;
}

/** The authenticated remote end of a stream: the tunnel's peer (or this node for local apps). */
export interface ServicePeer {
  readonly node: number;
  /** Backbone address text, `0:0000.0000.0101`. */
  readonly address: string;
  /** The peer's hostname when the daemon knows it. */
  readonly hostname?: string;
}

/**
 * A built-in service: serves one stream until it ends, and never rejects (failures are the service's to handle).
 * `signal` (the daemon stopping) resets the stream. The daemon's ServiceHost can run it as it is: a StreamConn is a
 * ServiceStream.
 */
export interface StreamService {
  serve(stream: ServiceStream, peer: ServicePeer, signal?: AbortSignal): Promise<void>;
}

/** Where services report events for webhooks (§9.5); never blocks the caller. */
export interface WebhookEmitter {
  emit(event: string, data: Readonly<Record<string, unknown>>): void;
}

/** Resets `stream` when `signal` aborts; call the returned function once the stream is done. */
export function abortOnSignal(stream: ServiceStream, signal: AbortSignal | undefined): () => void {
  if (signal === undefined) return () => {};
  const onAbort = () => stream.abort();
  if (signal.aborted) onAbort();
  else signal.addEventListener("abort", onAbort, { once: true });
  return () => signal.removeEventListener("abort", onAbort);
}

/** Chunks received but not yet parsed, consumed from the front without copying where possible. */
export class ByteQueue {
  #chunks: Uint8Array[] = [];
  #length = 0;

  get length(): number {
    return this.#length;
  }

  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.#chunks.push(chunk);
    this.#length += chunk.length;
  }

  /** The first `n` bytes (n ≤ length) without consuming them; a copy when they span chunks. */
  peek(n: number): Uint8Array {
    if (n > this.#length) throw new RangeError(`peek of ${n} bytes with ${this.#length} buffered`);
    const first = this.#chunks[0];
    if (n === 0) return new Uint8Array(0);
    if (first.length >= n) return first.subarray(0, n);
    const out = new Uint8Array(n);
    let off = 0;
    for (const c of this.#chunks) {
      const part = c.subarray(0, Math.min(c.length, n - off));
      out.set(part, off);
      off += part.length;
      if (off === n) break;
    }
    return out;
  }

  /** Consumes exactly `n` bytes (n ≤ length) into a fresh array the caller owns. */
  take(n: number): Uint8Array {
    const out = this.peek(n).slice();
    this.skip(n);
    return out;
  }

  /** Consumes up to `n` bytes from the first chunk, without copying (valid until the caller's next push). */
  takeUpTo(n: number): Uint8Array {
    const first = this.#chunks[0];
    if (first === undefined || n <= 0) return new Uint8Array(0);
    const part = first.subarray(0, Math.min(n, first.length));
    this.skip(part.length);
    return part;
  }

  /** Discards up to `n` bytes; returns how many were discarded. */
  skip(n: number): number {
    let left = Math.min(n, this.#length);
    const done = left;
    while (left > 0) {
      const first = this.#chunks[0];
      if (first.length <= left) {
        this.#chunks.shift();
        left -= first.length;
      } else {
        this.#chunks[0] = first.subarray(left);
        left = 0;
      }
    }
    this.#length -= done;
    return done;
  }

  /** Everything buffered, consumed (tests and diagnostics). */
  drain(): Uint8Array {
    const out = concatBytes(...this.#chunks);
    this.#chunks = [];
    this.#length = 0;
    return out;
  }
}

/**
 * A ServiceStream over a Web stream pair (the IPC client's IpcStream, an SDK stream), so the client halves of the
 * services run over IPC exactly as the daemon halves run over transport streams.
 */
export function webServiceStream(
  readable: ReadableStream<Uint8Array>,
  writable: WritableStream<Uint8Array>,
): ServiceStream {
  const reader = readable.getReader();
  const writer = writable.getWriter();
  return {
    async read() {
      const r = await reader.read();
      return r.done ? null : r.value;
    },
    write: (data) => writer.write(data),
    closeWrite: () => writer.close(),
    close() {
      reader.cancel().catch(() => {});
    },
    abort() {
      reader.cancel().catch(() => {});
      writer.abort().catch(() => {});
    },
  };
}

/** How long a service waits for its last bytes and FIN to be acknowledged before it resets the stream. */
export const SERVICE_CLOSE_GRACE_MS = 10_000;

/**
 * Ends a served stream: half-close after the queued replies, then full close. A peer that stops reading cannot hold
 * the service: after `graceMs` the stream is reset instead.
 */
export async function finishStream(stream: ServiceStream, graceMs: number = SERVICE_CLOSE_GRACE_MS): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<"expired">((resolve) => timer = setTimeout(() => resolve("expired"), graceMs));
  try {
    const how = await Promise.race([
      stream.closeWrite().then(() => "closed" as const, () => "failed" as const),
      expired,
    ]);
    if (how === "closed") stream.close();
    else stream.abort();
  } finally {
    clearTimeout(timer);
  }
}
