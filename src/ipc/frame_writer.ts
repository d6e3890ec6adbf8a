// One writer per IPC connection (PROTOCOL-BRIEF §8.2): frames from concurrent responses, events and data pushes
// leave in the order they were queued and never interleave. A write settles when the kernel has taken every byte,
// which is what lets daemon → client data count as delivered only once it left the process. Frames queued while a
// write is in progress leave together in the next write: one system call for many small frames under load, and no
// added delay when idle (the first frame goes at once).
import { ConnectionFailedError, type PilotError } from "../util/errors.ts";
import { writeAll } from "./transport.ts";

/** The most bytes one coalesced write carries; a larger frame is written on its own, without a copy. */
export const COALESCE_MAX_BYTES = 256 * 1024;

interface Pending {
  readonly bytes: Uint8Array;
  readonly resolve?: () => void;
  readonly reject?: (err: PilotError) => void;
}

export class FrameWriter {
  readonly #conn: Deno.Conn;
  readonly #onFailure: (err: PilotError) => void;
  readonly #queue: Pending[] = [];
  #queuedBytes = 0;
  #pump: Promise<void> | null = null;
  #failure: PilotError | null = null;

  /** `onFailure` is told once when a write fails (the peer went away); later frames are refused. */
  constructor(conn: Deno.Conn, onFailure: (err: PilotError) => void) {
    this.#conn = conn;
    this.#onFailure = onFailure;
  }

  get queuedBytes(): number {
    return this.#queuedBytes;
  }

  get failed(): boolean {
    return this.#failure !== null;
  }

  /** Queues a frame nobody waits for (a response, an event). */
  send(bytes: Uint8Array): void {
    if (this.#failure !== null) return;
    this.#enqueue({ bytes });
  }

  /** Queues a frame; settles when it was written, rejects if the connection fails first. */
  write(bytes: Uint8Array): Promise<void> {
    if (this.#failure !== null) return Promise.reject(this.#failure);
    return new Promise((resolve, reject) => this.#enqueue({ bytes, resolve, reject }));
  }

  /** Waits until the queue is empty or `timeoutMs` passes; true when everything was written. */
  async drain(timeoutMs: number): Promise<boolean> {
    const pump = this.#pump;
    if (pump === null) return this.#failure === null;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const expired = new Promise<false>((resolve) => timer = setTimeout(() => resolve(false), timeoutMs));
    try {
      return await Promise.race([pump.then(() => this.#failure === null), expired]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Refuses further frames and rejects the queued ones (the connection is closing). */
  fail(err: PilotError): void {
    if (this.#failure !== null) return;
    this.#failure = err;
    for (const p of this.#queue.splice(0)) p.reject?.(err);
    this.#queuedBytes = 0;
  }

  /** Resolves when the background write loop has stopped. */
  async settled(): Promise<void> {
    await this.#pump;
  }

  #enqueue(p: Pending): void {
    this.#queue.push(p);
    this.#queuedBytes += p.bytes.length;
    this.#pump ??= this.#run();
  }

  async #run(): Promise<void> {
    try {
      while (this.#queue.length > 0 && this.#failure === null) {
        const head = this.#queue[0];
        let count = 1;
        let bytes = head.bytes.length;
        while (count < this.#queue.length && bytes + this.#queue[count].bytes.length <= COALESCE_MAX_BYTES) {
          bytes += this.#queue[count].bytes.length;
          count++;
        }
        const batch = this.#queue.slice(0, count);
        try {
          await writeAll(this.#conn, count === 1 ? head.bytes : joined(batch, bytes));
        } catch (err) {
          const failure = new ConnectionFailedError("ipc connection lost", { detail: "ipc_closed", cause: err });
          this.fail(failure);
          this.#onFailure(failure);
          return;
        }
        // fail() may have emptied the queue while the write was in progress; the batch was written all the same.
        if (this.#queue[0] === head) {
          this.#queue.splice(0, count);
          this.#queuedBytes -= bytes;
        }
        for (const p of batch) p.resolve?.();
      }
    } finally {
      this.#pump = null;
    }
  }
}

function joined(batch: readonly Pending[], bytes: number): Uint8Array {
  const out = new Uint8Array(bytes);
  let offset = 0;
  for (const p of batch) {
    out.set(p.bytes, offset);
    offset += p.bytes.length;
  }
  return out;
}
