// Client-side bookkeeping of requests in flight (PROTOCOL-BRIEF §8.2, §10): ids 1..2^32−1 not in use, the cap of
// 1024 outstanding requests (more wait their turn here rather than be refused by the daemon), per-request timeouts
// and cancellation, and matching each response to its request by id, in whatever order they come.
import { type PilotError, TimeoutError } from "../util/errors.ts";
import { MAX_OUTSTANDING_REQUESTS, REQUEST_ID_MAX } from "./constants.ts";
import { errorFromBody, type IpcJson } from "./protocol.ts";

export interface RequestOptions {
  /** No answer within this → TimeoutError; the request stays running in the daemon. */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

interface Pending {
  readonly resolve: (result: IpcJson) => void;
  readonly reject: (err: PilotError) => void;
}

export class RequestTable {
  readonly #pending = new Map<number, Pending>();
  readonly #waiters: Array<() => void> = [];
  readonly #max: number;
  #used = 0;
  #nextId = 1;
  #failure: PilotError | null = null;

  constructor(maxOutstanding: number = MAX_OUTSTANDING_REQUESTS) {
    this.#max = maxOutstanding;
  }

  /**
   * One request: waits for a slot, picks an id, calls `send(id)` to write the frame, and resolves with the response's
   * fields (minus `id` and `ok`) or rejects with the daemon's error rebuilt.
   */
  async run(cmd: string, send: (id: number) => void, options: RequestOptions = {}): Promise<IpcJson> {
    if (this.#failure !== null) throw this.#failure;
    await this.#acquire();
    try {
      if (this.#failure !== null) throw this.#failure;
      return await this.#exchange(cmd, this.#allocateId(), send, options);
    } finally {
      this.#release();
    }
  }

  /** Hands a response to its request; false when no request has that id (it timed out, or the daemon erred). */
  settle(msg: IpcJson): boolean {
    const pending = typeof msg.id === "number" ? this.#pending.get(msg.id) : undefined;
    if (pending === undefined) return false;
    if (msg.ok === true) {
      const { id: _id, ok: _ok, ...result } = msg;
      pending.resolve(result);
    } else {
      pending.reject(errorFromBody(msg.error));
    }
    return true;
  }

  /** Fails every request in flight or waiting, and every later one, with `err`. */
  failAll(err: PilotError): void {
    this.#failure ??= err;
    for (const p of [...this.#pending.values()]) p.reject(err);
    for (const waiter of this.#waiters.splice(0)) waiter();
  }

  #exchange(cmd: string, id: number, send: (id: number) => void, options: RequestOptions): Promise<IpcJson> {
    return new Promise<IpcJson>((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const signal = options.signal;
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
        this.#pending.delete(id);
      };
      const onAbort = () => {
        done();
        reject(new TimeoutError(`request "${cmd}" was cancelled`, { detail: "cancelled", cause: signal?.reason }));
      };
      if (signal?.aborted) return onAbort();
      signal?.addEventListener("abort", onAbort);
      if (options.timeoutMs !== undefined) {
        timer = setTimeout(() => {
          done();
          reject(
            new TimeoutError(`no response from the daemon to "${cmd}" within ${options.timeoutMs} ms`, {
              hint: "retry with a longer --timeout",
            }),
          );
        }, options.timeoutMs);
      }
      this.#pending.set(id, {
        resolve: (r) => {
          done();
          resolve(r);
        },
        reject: (e) => {
          done();
          reject(e);
        },
      });
      try {
        send(id);
      } catch (err) {
        done();
        reject(err);
      }
    });
  }

  #acquire(): Promise<void> {
    if (this.#used < this.#max) {
      this.#used++;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  #release(): void {
    const next = this.#waiters.shift();
    if (next !== undefined) next(); // the slot passes straight to the waiter
    else this.#used--;
  }

  #allocateId(): number {
    for (;;) {
      const id = this.#nextId;
      this.#nextId = id === REQUEST_ID_MAX ? 1 : id + 1;
      if (!this.#pending.has(id)) return id;
    }
  }
}
