// A stream listener (PROTOCOL-BRIEF §7.2, §10): connections it created wait in its accept queue once established.
// Its backlog (≤ 128) bounds the connections not yet accepted, half-open ones included.
import type { StreamConn } from "./stream_conn.ts";

export class Listener {
  readonly port: number;
  readonly backlog: number;
  /** Created by this listener and not yet accepted (SYN_RCVD or queued). */
  readonly #pending = new Set<StreamConn>();
  #queue: StreamConn[] = [];
  #waiters: ((c: StreamConn | null) => void)[] = [];
  #closed = false;
  readonly #onClose: (l: Listener) => void;

  constructor(port: number, backlog: number, onClose: (l: Listener) => void) {
    this.port = port;
    this.backlog = backlog;
    this.#onClose = onClose;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Whether one more connection fits the backlog. */
  get hasRoom(): boolean {
    return this.#pending.size < this.backlog;
  }

  /** Established connections waiting for accept(). */
  get queued(): number {
    return this.#queue.length;
  }

  /** The next established connection, or null once the listener is closed. */
  accept(): Promise<StreamConn | null> {
    const c = this.#queue.shift();
    if (c !== undefined) {
      this.#pending.delete(c);
      return Promise.resolve(c);
    }
    if (this.#closed) return Promise.resolve(null);
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /** Stops listening: queued and half-open connections are aborted by the owner; waiting accept() calls get null. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const w of this.#waiters.splice(0)) w(null);
    this.#onClose(this);
  }

  /** @internal Connections to abort when the listener closes. */
  takeUnaccepted(): StreamConn[] {
    const all = [...this.#pending];
    this.#pending.clear();
    this.#queue = [];
    return all;
  }

  /** @internal */
  addPending(c: StreamConn): void {
    this.#pending.add(c);
  }

  /** @internal The connection was established: hand it to a waiting accept() or queue it. */
  established(c: StreamConn): void {
    if (!this.#pending.has(c)) return;
    const w = this.#waiters.shift();
    if (w !== undefined) {
      this.#pending.delete(c);
      w(c);
    } else {
      this.#queue.push(c);
    }
  }

  /** @internal The connection ended before being accepted. */
  forget(c: StreamConn): void {
    if (!this.#pending.delete(c)) return;
    const i = this.#queue.indexOf(c);
    if (i >= 0) this.#queue.splice(i, 1);
  }
}
