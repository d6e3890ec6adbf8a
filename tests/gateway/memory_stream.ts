// Test support: an in-memory byte-stream pair with the BridgeStream shape. Each direction is a bounded queue: a write
// waits while the reading side holds `windowBytes` unread, so backpressure propagates as it does over IPC. Half-close
// (FIN), close and reset are recorded, and counters show how many bytes each end accepted and read.
import type { BridgeCloseHow, BridgeStream } from "../../src/gateway/mod.ts";

class Pipe {
  readonly readable: ReadableStream<Uint8Array>;
  #controller!: ReadableStreamDefaultController<Uint8Array>;
  #wake: (() => void) | null = null;
  #ended = false;
  /** Bytes taken off the queue by the reader. */
  consumed = 0;

  constructor(windowBytes: number) {
    this.readable = new ReadableStream<Uint8Array>({
      start: (c) => {
        this.#controller = c;
      },
      pull: () => this.#notify(),
      cancel: () => {
        this.#ended = true;
        this.#notify();
      },
    }, { highWaterMark: windowBytes, size: (c) => c.byteLength });
  }

  /** Waits for room, then queues; fails once the pipe has ended. */
  async push(chunk: Uint8Array): Promise<void> {
    // Each wait ends at a read (pull), a cancel or an end: the reader paces it, the test's timeout bounds it.
    while ((this.#controller.desiredSize ?? 0) <= 0 && !this.#ended) {
      await new Promise<void>((resolve) => this.#wake = resolve);
    }
    if (this.#ended) throw new Error("memory pipe closed");
    this.#controller.enqueue(chunk.slice());
  }

  end(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#controller.close();
    this.#notify();
  }

  fail(err: Error): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#controller.error(err);
    this.#notify();
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = null;
    wake?.();
  }
}

export class MemoryStreamEnd implements BridgeStream {
  readonly readable: ReadableStream<Uint8Array>;
  readonly writable: WritableStream<Uint8Array>;
  /** Every close(how) call, in order; a writable close is recorded as "write". */
  readonly closes: BridgeCloseHow[] = [];
  /** Bytes handed to `writable` (counted when write() is called, so a writer that ignores backpressure shows). */
  accepted = 0;
  readonly #in: Pipe;
  readonly #out: Pipe;

  constructor(incoming: Pipe, outgoing: Pipe, windowBytes: number) {
    this.#in = incoming;
    this.#out = outgoing;
    this.readable = incoming.readable.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>(
        {
          transform: (chunk, c) => {
            incoming.consumed += chunk.byteLength;
            c.enqueue(chunk);
          },
        },
        { highWaterMark: 1 },
        { highWaterMark: 0 },
      ),
    );
    this.writable = new WritableStream<Uint8Array>({
      write: (chunk) => outgoing.push(chunk),
      close: () => {
        this.closes.push("write");
        outgoing.end();
      },
      abort: () => outgoing.fail(new Error("reset by peer")),
    }, {
      highWaterMark: windowBytes,
      size: (chunk) => {
        this.accepted += chunk.byteLength;
        return chunk.byteLength;
      },
    });
  }

  /** Bytes the far end has read of what this end wrote. */
  get deliveredToPeer(): number {
    return this.#out.consumed;
  }

  close(how: BridgeCloseHow): Promise<void> {
    this.closes.push(how);
    if (how === "abort") this.reset();
    else {
      this.#out.end();
      if (how === "both") this.#in.end();
    }
    return Promise.resolve();
  }

  /** A reset from this end: the far end's reads fail and its writes are refused. */
  reset(): void {
    this.#out.fail(new Error("reset by peer"));
    this.#in.fail(new Error("reset"));
  }
}

/** Two connected ends: what one writes, the other reads. */
export function memoryStreamPair(windowBytes = 65_536): [MemoryStreamEnd, MemoryStreamEnd] {
  const ab = new Pipe(windowBytes);
  const ba = new Pipe(windowBytes);
  return [new MemoryStreamEnd(ba, ab, windowBytes), new MemoryStreamEnd(ab, ba, windowBytes)];
}
