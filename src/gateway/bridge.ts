// TCP ↔ pilot stream bridging (CLI.md §3.9): one TCP connection and one byte stream carried both ways until both
// sides are done. Used by the gateway (local TCP client → pilot stream) and by `expose` (pilot stream → local TCP
// server). Each direction reads only after the previous chunk was accepted on the other side, so a slow reader slows
// the writer (backpressure). A FIN travels as a FIN: TCP EOF closes the stream's writable (a half-close), the
// stream's end becomes `closeWrite()` on the socket. An error on either side, or `signal`, aborts both.

/** How to end a stream: `write` half-closes (FIN after queued data), `both` closes, `abort` resets. */
export type BridgeCloseHow = "write" | "both" | "abort";

/** The stream side. IpcStream fits as is; so does the daemon's own stream for `expose`. */
export interface BridgeStream {
  /** Bytes from the far end; ends at its FIN, errors at a reset. */
  readonly readable: ReadableStream<Uint8Array>;
  /** Bytes to the far end; closing it sends FIN after everything written. */
  readonly writable: WritableStream<Uint8Array>;
  close(how: BridgeCloseHow): Promise<void>;
}

export interface BridgeOptions {
  /** Aborts the bridge (unmap, shutdown): both sides are torn down. */
  readonly signal?: AbortSignal;
  /** TCP read size. */
  readonly chunkBytes?: number;
}

export type BridgeOutcome = "closed" | "aborted" | "failed";

export interface BridgeResult {
  /** `closed`: both directions ended with a FIN; `aborted`: by `signal`; `failed`: an error on either side. */
  readonly outcome: BridgeOutcome;
  readonly bytesToStream: number;
  readonly bytesToTcp: number;
  /** The first error, when `failed`. */
  readonly error?: unknown;
}

export const BRIDGE_CHUNK_BYTES = 65_536;
/** After an abort, how long the two directions get to notice their closed resources before we stop waiting. */
export const BRIDGE_ABORT_SETTLE_MS = 2_000;

/**
 * Carries bytes both ways until both directions have ended, then closes both sides. Takes ownership of `tcp` and
 * `stream`: both are closed when this resolves. Never rejects.
 */
export async function bridge(tcp: Deno.Conn, stream: BridgeStream, options: BridgeOptions = {}): Promise<BridgeResult> {
  return await new Bridge(tcp, stream, options).run();
}

class Bridge {
  readonly #tcp: Deno.Conn;
  readonly #stream: BridgeStream;
  readonly #chunkBytes: number;
  readonly #signal: AbortSignal | undefined;
  readonly #stopped: Promise<void>;
  #stop!: () => void;
  #outcome: BridgeOutcome | null = null;
  #error: unknown = undefined;
  #toStream = 0;
  #toTcp = 0;
  #reader: ReadableStreamDefaultReader<Uint8Array> | null = null;
  #writer: WritableStreamDefaultWriter<Uint8Array> | null = null;

  constructor(tcp: Deno.Conn, stream: BridgeStream, options: BridgeOptions) {
    this.#tcp = tcp;
    this.#stream = stream;
    this.#chunkBytes = options.chunkBytes ?? BRIDGE_CHUNK_BYTES;
    this.#signal = options.signal;
    this.#stopped = new Promise<void>((resolve) => this.#stop = resolve);
  }

  async run(): Promise<BridgeResult> {
    const onAbort = () => this.#halt("aborted", undefined);
    if (this.#signal?.aborted) onAbort();
    else this.#signal?.addEventListener("abort", onAbort, { once: true });
    const both = Promise.all([
      this.#tcpToStream().catch((err) => this.#halt("failed", err)),
      this.#streamToTcp().catch((err) => this.#halt("failed", err)),
    ]);
    try {
      await Promise.race([both, this.#stopped]);
      if (this.#outcome === null) {
        this.#outcome = "closed";
        closeConn(this.#tcp);
        await this.#stream.close("both").catch(() => {});
      } else {
        await this.#teardown(both);
      }
    } finally {
      this.#signal?.removeEventListener("abort", onAbort);
    }
    return {
      outcome: this.#outcome,
      bytesToStream: this.#toStream,
      bytesToTcp: this.#toTcp,
      ...(this.#outcome === "failed" ? { error: this.#error } : {}),
    };
  }

  /** The first abort or failure wins; later errors are consequences of the teardown. */
  #halt(outcome: "aborted" | "failed", err: unknown): void {
    if (this.#outcome !== null) return;
    this.#outcome = outcome;
    this.#error = err;
    this.#stop();
  }

  get #halted(): boolean {
    return this.#outcome !== null;
  }

  /** Closing the socket and resetting the stream ends whatever either direction is waiting on. */
  async #teardown(both: Promise<unknown>): Promise<void> {
    closeConn(this.#tcp);
    const reset = this.#stream.close("abort").catch(() => {});
    this.#reader?.cancel().catch(() => {});
    this.#writer?.abort().catch(() => {});
    let timer: ReturnType<typeof setTimeout> | undefined;
    const settle = new Promise<void>((resolve) => timer = setTimeout(resolve, BRIDGE_ABORT_SETTLE_MS));
    try {
      await Promise.race([Promise.all([both, reset]), settle]);
    } finally {
      clearTimeout(timer);
    }
  }

  async #tcpToStream(): Promise<void> {
    const writer = this.#stream.writable.getWriter();
    this.#writer = writer;
    for (;;) {
      const buf = new Uint8Array(this.#chunkBytes);
      const n = await this.#tcp.read(buf);
      if (this.#halted) return;
      if (n === null) break;
      // The stream may keep the chunk, so every read gets a fresh buffer.
      await writer.write(buf.subarray(0, n));
      this.#toStream += n;
      if (this.#halted) return;
    }
    await writer.close();
  }

  async #streamToTcp(): Promise<void> {
    const reader = this.#stream.readable.getReader();
    this.#reader = reader;
    for (;;) {
      const r = await reader.read();
      if (this.#halted) return;
      if (r.done) break;
      await writeAll(this.#tcp, r.value);
      this.#toTcp += r.value.length;
      if (this.#halted) return;
    }
    try {
      await this.#tcp.closeWrite();
    } catch {
      // the TCP peer already closed both ways: nothing left to tell it
    }
  }
}

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < bytes.length) offset += await conn.write(bytes.subarray(offset));
}

function closeConn(conn: Deno.Conn): void {
  try {
    conn.close();
  } catch {
    // already closed
  }
}
