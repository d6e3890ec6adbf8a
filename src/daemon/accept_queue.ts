// One IPC-bound stream port (PROTOCOL-BRIEF §8.3 `accept`): the listener's established connections wait here until
// an `accept` takes them. Several accepts may be outstanding; an accept that times out or whose client left is
// withdrawn, so a later connection never goes to a caller that is gone. At most `backlog` connections wait here;
// beyond that the listener's own backlog fills and new SYNs get RST 3.
import { type Listener, RST_ABORTED, type StreamConn } from "../transport/mod.ts";
import { ConnectionFailedError, TimeoutError } from "../util/errors.ts";

interface Waiter {
  readonly resolve: (conn: StreamConn) => void;
  readonly reject: (err: Error) => void;
}

export class AcceptQueue {
  readonly port: number;
  readonly #listener: Listener;
  readonly #backlog: number;
  readonly #ready: StreamConn[] = [];
  readonly #waiters = new Set<Waiter>();
  readonly #loop: Promise<void>;
  #room: (() => void) | null = null;
  #closed = false;

  constructor(listener: Listener, backlog: number) {
    this.port = listener.port;
    this.#listener = listener;
    this.#backlog = backlog;
    this.#loop = this.#pump();
  }

  /** The next connection; `timeout` (detail `accept`) after `timeoutMs`, `connection_failed` once `signal` aborts. */
  accept(timeoutMs: number | undefined, signal: AbortSignal): Promise<StreamConn> {
    const conn = this.#takeReady();
    if (conn !== undefined) return Promise.resolve(conn);
    if (this.#closed) return Promise.reject(new ConnectionFailedError(`port ${this.port} was unbound`));
    return new Promise((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const finish = () => {
        clearTimeout(timer);
        signal.removeEventListener("abort", onAbort);
        this.#waiters.delete(waiter);
      };
      const waiter: Waiter = {
        resolve: (c) => {
          finish();
          resolve(c);
        },
        reject: (err) => {
          finish();
          reject(err);
        },
      };
      const onAbort = () => waiter.reject(new ConnectionFailedError("ipc client closed", { detail: "ipc_closed" }));
      if (timeoutMs !== undefined) {
        timer = setTimeout(() => {
          waiter.reject(
            new TimeoutError(`no connection on port ${this.port} within ${timeoutMs} ms`, { detail: "accept" }),
          );
        }, timeoutMs);
      }
      signal.addEventListener("abort", onAbort, { once: true });
      this.#waiters.add(waiter);
      if (signal.aborted) onAbort();
    });
  }

  /** Closes the listener; waiting accepts fail and connections nobody accepted are reset. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#listener.close();
    this.#room?.();
    await this.#loop;
    for (const w of [...this.#waiters]) w.reject(new ConnectionFailedError(`port ${this.port} was unbound`));
    for (const c of this.#ready.splice(0)) c.abort(RST_ABORTED);
  }

  async #pump(): Promise<void> {
    while (!this.#closed) {
      if (this.#ready.length >= this.#backlog) {
        await new Promise<void>((resolve) => this.#room = resolve);
        this.#room = null;
        continue;
      }
      const conn = await this.#listener.accept();
      if (conn === null) return;
      const waiter = this.#waiters.values().next().value;
      if (waiter !== undefined) waiter.resolve(conn);
      else if (this.#closed) conn.abort(RST_ABORTED);
      else this.#ready.push(conn);
    }
  }

  #takeReady(): StreamConn | undefined {
    for (;;) {
      const conn = this.#ready.shift();
      if (conn === undefined) return undefined;
      this.#room?.();
      // A connection reset while it waited is of no use to anyone.
      if (conn.closeReason === null || conn.closeReason.kind === "normal" || conn.bufferedBytes > 0) return conn;
    }
  }
}
