// Byte-level helpers over the IPC stream helpers (PROTOCOL-BRIEF §8.2, §9.1) for the commands that move data: exact
// reads (ping's echo), reads to end of stream (message mode), whole writes, and abortable waits. An abort signal
// (the command's `--timeout`, a stop request) ends reads cleanly instead of leaving them pending.
import { concatBytes, decodeUtf8Strict, toBase64 } from "../../util/bytes.ts";
import { ConnectionFailedError, TimeoutError } from "../../util/errors.ts";

/** Reads from a byte stream; when `signal` aborts, the pending read ends as if the stream had ended. */
export class ByteReader implements Disposable {
  readonly #reader: ReadableStreamDefaultReader<Uint8Array>;
  readonly #signal: AbortSignal | undefined;
  readonly #onAbort = () => {
    this.#reader.cancel().catch(() => {});
  };
  #buffered: Uint8Array = new Uint8Array(0);
  #ended = false;

  constructor(readable: ReadableStream<Uint8Array>, signal?: AbortSignal) {
    this.#reader = readable.getReader();
    this.#signal = signal;
    if (signal?.aborted) this.#onAbort();
    else signal?.addEventListener("abort", this.#onAbort, { once: true });
  }

  /** The stream ended (end of stream, an abort, or a failure reported earlier). */
  get ended(): boolean {
    return this.#ended;
  }

  /** Exactly `n` bytes; throws TimeoutError when the signal aborted first, ConnectionFailedError at end of stream. */
  async readExactly(n: number): Promise<Uint8Array> {
    while (this.#buffered.length < n) {
      if (!await this.#fill()) {
        if (this.#signal?.aborted) throw new TimeoutError("read cancelled", { detail: "cancelled" });
        throw new ConnectionFailedError("connection closed by peer", { detail: "closed" });
      }
    }
    const out = this.#buffered.subarray(0, n);
    this.#buffered = this.#buffered.subarray(n);
    return out;
  }

  /**
   * Everything until end of stream. `complete` is false when the signal aborted first; the bytes read so far are
   * returned either way. A stream failure (reset, no trust) is thrown.
   */
  async readToEnd(): Promise<{ bytes: Uint8Array; complete: boolean }> {
    const parts: Uint8Array[] = [this.#buffered];
    this.#buffered = new Uint8Array(0);
    for (;;) {
      const r = await this.#reader.read();
      if (r.done) {
        this.#ended = true;
        return { bytes: concatBytes(...parts), complete: !(this.#signal?.aborted ?? false) };
      }
      parts.push(r.value);
    }
  }

  /** Reads and counts up to `n` bytes without keeping them; returns the count (short at end of stream). */
  async discard(n: number, onProgress?: (total: number) => void): Promise<number> {
    let total = Math.min(n, this.#buffered.length);
    this.#buffered = this.#buffered.subarray(total);
    while (total < n) {
      const r = await this.#reader.read();
      if (r.done) {
        this.#ended = true;
        break;
      }
      total += r.value.length;
      onProgress?.(Math.min(total, n));
    }
    return Math.min(total, n);
  }

  async #fill(): Promise<boolean> {
    if (this.#ended) return false;
    const r = await this.#reader.read();
    if (r.done) {
      this.#ended = true;
      return false;
    }
    this.#buffered = this.#buffered.length === 0 ? r.value : concatBytes(this.#buffered, r.value);
    return true;
  }

  [Symbol.dispose](): void {
    this.#signal?.removeEventListener("abort", this.#onAbort);
    try {
      this.#reader.releaseLock();
    } catch {
      // a read still pending (the command is failing anyway): the stream is closed next
    }
  }
}

/** Resolves after `ms`, or at once when `signal` aborts. */
export function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted || ms <= 0) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
}

/** A promise that settles when `signal` aborts; `dispose` removes the listener. */
export function abortPromise(signal: AbortSignal): { promise: Promise<void>; dispose: () => void } {
  let dispose = () => {};
  const promise = new Promise<void>((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => resolve();
    signal.addEventListener("abort", done, { once: true });
    dispose = () => signal.removeEventListener("abort", done);
  });
  return { promise, dispose };
}

/** Payload fields of CLI.md §1.3: text when the bytes are valid UTF-8, otherwise base64, and which one it is. */
export function payloadText(bytes: Uint8Array): { text: string; encoding: "utf8" | "base64" } {
  const text = decodeUtf8Strict(bytes);
  return text === null ? { text: toBase64(bytes), encoding: "base64" } : { text, encoding: "utf8" };
}

/** Reads stdin to its end; `hint` is the message when stdin is a terminal (nothing prompts, CLI.md §1.2). */
export async function readAllInput(
  input: { readonly readable: ReadableStream<Uint8Array>; isTerminal(): boolean },
  refusal: () => Error,
): Promise<Uint8Array> {
  if (input.isTerminal()) throw refusal();
  const parts: Uint8Array[] = [];
  for await (const chunk of input.readable) parts.push(chunk);
  return concatBytes(...parts);
}
