// One stream connection as its application sees it (PROTOCOL-BRIEF §7, §8.3): received bytes wait here until
// read, and each read returns its bytes to the receive window as credit, so a slow reader closes the window instead
// of growing memory; writes wait for send-buffer space. Wraps a Connection and its driver.
import { concatBytes } from "../util/bytes.ts";
import { ConnectionFailedError, type PilotError } from "../util/errors.ts";
import { formatAddr } from "../wire/mod.ts";
import type { Connection } from "./connection.ts";
import { ConnDriver, type DriverDeps } from "./driver.ts";
import { closeError, type CloseReason, RST_ABORTED } from "./rst.ts";
import type { ConnState, ConnStats } from "./types.ts";

export interface StreamConnHooks {
  onEstablished?(conn: StreamConn): void;
  onClosed?(conn: StreamConn, reason: CloseReason): void;
}

/** Our FIN has been acknowledged in these states (or the connection closed normally). */
const FIN_ACKED_STATES: ReadonlySet<ConnState> = new Set(["FIN_WAIT_2", "TIME_WAIT"]);

export class StreamConn {
  readonly id: number;
  readonly driver: ConnDriver;
  readonly closed: Promise<CloseReason>;
  /** Resolves with null once established, or with the close reason if the connection ended first. */
  readonly ready: Promise<CloseReason | null>;
  #chunks: Uint8Array[] = [];
  #buffered = 0;
  #eof = false;
  #readShut = false;
  #reason: CloseReason | null = null;
  #wasEstablished = false;
  #readWaiters: (() => void)[] = [];
  #writeWaiters: (() => void)[] = [];
  #finWaiters: (() => void)[] = [];
  #resolveClosed!: (r: CloseReason) => void;
  #resolveReady!: (r: CloseReason | null) => void;
  readonly #hooks: StreamConnHooks;

  constructor(id: number, conn: Connection, deps: DriverDeps, hooks: StreamConnHooks = {}) {
    this.id = id;
    this.#hooks = hooks;
    this.closed = new Promise((resolve) => this.#resolveClosed = resolve);
    this.ready = new Promise((resolve) => this.#resolveReady = resolve);
    this.driver = new ConnDriver(conn, deps, {
      onDeliver: (data) => this.#onDeliver(data),
      onEof: () => {
        this.#eof = true;
        this.#wake(this.#readWaiters);
      },
      onEstablished: () => {
        this.#wasEstablished = true;
        this.#resolveReady(null);
        this.#hooks.onEstablished?.(this);
      },
      onWritable: () => this.#wake(this.#writeWaiters),
      onState: (s) => {
        if (FIN_ACKED_STATES.has(s)) this.#wake(this.#finWaiters);
      },
      onClosed: (reason) => this.#onClosed(reason),
    });
  }

  get conn(): Connection {
    return this.driver.conn;
  }

  get state(): ConnState {
    return this.driver.conn.state;
  }

  get closeReason(): CloseReason | null {
    return this.#reason;
  }

  /** Received bytes not yet read. */
  get bufferedBytes(): number {
    return this.#buffered;
  }

  stats(): ConnStats {
    return this.driver.conn.stats();
  }

  /** The remote socket address as text, for messages. */
  get remoteText(): string {
    return formatAddr(this.conn.remote.addr);
  }

  /**
   * The next received chunk, or null at end of stream. Rejects with the connection's error if it was reset or timed
   * out (bytes that arrived before are still returned first).
   */
  async read(): Promise<Uint8Array | null> {
    for (;;) {
      const chunk = this.tryRead();
      if (chunk !== undefined) return chunk;
      if (this.#reason !== null) throw this.#error() ?? new ConnectionFailedError("connection closed");
      await new Promise<void>((resolve) => this.#readWaiters.push(resolve));
    }
  }

  /** A chunk if one is buffered, null at end of stream, undefined if nothing is available yet. */
  tryRead(): Uint8Array | null | undefined {
    const chunk = this.#chunks.shift();
    if (chunk !== undefined) {
      this.#buffered -= chunk.length;
      this.driver.run((c) => c.readCredit(chunk.length));
      return chunk;
    }
    if (this.#eof || (this.#reason !== null && this.#reason.kind === "normal")) return null;
    return undefined;
  }

  /** `first` (a chunk already read) plus whatever else is buffered, while under `maxBytes`, as one array. */
  gather(first: Uint8Array, maxBytes: number): Uint8Array {
    const parts = [first];
    let total = first.length;
    while (total < maxBytes) {
      const next = this.tryRead();
      if (next === undefined || next === null) break;
      parts.push(next);
      total += next.length;
    }
    return parts.length === 1 ? first : concatBytes(...parts);
  }

  /** Writes all of `data`, waiting for send-buffer space; rejects if the write side is closed or the connection ends. */
  async write(data: Uint8Array): Promise<void> {
    let off = 0;
    while (off < data.length) {
      const c = this.conn;
      if (!c.canWrite) throw this.#error() ?? this.#writeClosedError();
      const n = Math.min(c.sendSpace, data.length - off);
      if (n > 0) {
        this.driver.run((conn) => conn.write(data.subarray(off, off + n)));
        off += n;
      } else {
        await new Promise<void>((resolve) => this.#writeWaiters.push(resolve));
      }
    }
  }

  /** Half-close: FIN after the queued data. Resolves once the FIN is acknowledged; rejects if the connection fails. */
  async closeWrite(): Promise<void> {
    this.driver.run((c) => c.closeWrite());
    for (;;) {
      if (FIN_ACKED_STATES.has(this.state) || this.#reason?.kind === "normal") return;
      if (this.#reason !== null) throw this.#error() ?? this.#writeClosedError();
      await new Promise<void>((resolve) => this.#finWaiters.push(resolve));
    }
  }

  /** Full close: FIN after queued data, and unread or later data is discarded (late data is answered by RST 5). */
  close(): void {
    this.#readShut = true;
    this.#discardBuffered();
    this.driver.run((c) => c.close());
  }

  /** Stops reading only: buffered and later data is discarded (its credit returned so the peer is not stalled). */
  shutdownRead(): void {
    this.#readShut = true;
    this.#discardBuffered();
  }

  abort(rst: number = RST_ABORTED): void {
    this.driver.run((c) => c.abort(rst));
  }

  setNoDelay(on: boolean): void {
    this.driver.run((c) => c.setNoDelay(on));
  }

  setPathLimit(bytes: number): void {
    this.driver.run((c) => c.setPathLimit(bytes));
  }

  /** A new tunnel session to the peer: an unanswered SYN goes again at once (Connection.pathRenewed). */
  pathRenewed(): void {
    this.driver.run((c) => c.pathRenewed());
  }

  /** The error describing how the connection ended, or null for an orderly close or while it is open. */
  #error(): PilotError | null {
    if (this.#reason === null) return null;
    return closeError(this.#reason, this.remoteText, this.conn.remote.port, !this.#wasEstablished);
  }

  #writeClosedError(): PilotError {
    return new ConnectionFailedError(
      `cannot write to ${this.remoteText} port ${this.conn.remote.port}: stream closed for writing`,
      { detail: "closed" },
    );
  }

  #onDeliver(data: Uint8Array): void {
    if (this.#readShut) {
      this.driver.run((c) => c.readCredit(data.length));
      return;
    }
    this.#chunks.push(data);
    this.#buffered += data.length;
    this.#wake(this.#readWaiters);
  }

  #discardBuffered(): void {
    const n = this.#buffered;
    this.#chunks = [];
    this.#buffered = 0;
    if (n > 0) this.driver.run((c) => c.readCredit(n));
  }

  #onClosed(reason: CloseReason): void {
    this.#reason = reason;
    this.#resolveReady(reason);
    this.#wake(this.#readWaiters);
    this.#wake(this.#writeWaiters);
    this.#wake(this.#finWaiters);
    this.#resolveClosed(reason);
    this.#hooks.onClosed?.(this, reason);
  }

  #wake(waiters: (() => void)[]): void {
    if (waiters.length === 0) return;
    const all = waiters.splice(0);
    for (const w of all) w();
  }
}
