// Daemon → client flow control (PROTOCOL-BRIEF §8.2, §8.3): STREAM_DATA leaves only within the byte credit the
// client granted with `recv`, DATAGRAM frames only within the datagram credit of `recvfrom`. The daemon pushes
// whenever it has data; the outbox holds it until credit exists, so the daemon never needs to know about credit.
import { encodeIpcFrame } from "../wire/ipc_frame.ts";
import { IPC_STREAM_DATA_MAX_BYTES } from "../wire/ipc_frame.ts";
import { InvalidArgumentError, type PilotError } from "../util/errors.ts";
import { DAEMON_DATA_ID, DATAGRAM_QUEUE_MAX } from "./constants.ts";
import type { IpcDatagram } from "./protocol.ts";

/** How an outbox hands frames to the connection's writer: settles when written. */
export type WriteFrame = (frame: Uint8Array) => Promise<void>;
/** Fire-and-forget variant for frames nobody waits on. */
export type SendFrame = (frame: Uint8Array) => void;

type StreamItem =
  | {
    readonly kind: "data";
    readonly bytes: Uint8Array;
    offset: number;
    readonly resolve: () => void;
    readonly reject: (err: PilotError) => void;
  }
  | {
    readonly kind: "event";
    readonly frame: Uint8Array;
    readonly resolve: () => void;
    readonly reject: (err: PilotError) => void;
  };

/** One stream connection's pending data and events, released in order within `recv` credit. */
export class StreamOutbox {
  readonly conn: number;
  readonly #write: WriteFrame;
  readonly #items: StreamItem[] = [];
  #credit = 0;
  #pendingBytes = 0;
  #closed: PilotError | null = null;

  constructor(conn: number, write: WriteFrame) {
    this.conn = conn;
    this.#write = write;
  }

  /** Bytes the client may still be sent. */
  get credit(): number {
    return this.#credit;
  }

  /** Bytes pushed but not yet sent for lack of credit. */
  get pendingBytes(): number {
    return this.#pendingBytes;
  }

  grant(bytes: number): void {
    this.#credit = Math.min(this.#credit + bytes, Number.MAX_SAFE_INTEGER);
    this.#release();
  }

  /**
   * Queues data; resolves once its last byte was written to the client. The outbox keeps a reference to `bytes`
   * until then, so the caller must not modify them.
   */
  push(bytes: Uint8Array): Promise<void> {
    if (this.#closed !== null) return Promise.reject(this.#closed);
    if (bytes.length === 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.#items.push({ kind: "data", bytes, offset: 0, resolve, reject });
      this.#pendingBytes += bytes.length;
      this.#release();
    });
  }

  /** Queues a JSON event frame behind the data pushed before it (events need no credit). */
  pushFrame(frame: Uint8Array): Promise<void> {
    if (this.#closed !== null) return Promise.reject(this.#closed);
    return new Promise((resolve, reject) => {
      this.#items.push({ kind: "event", frame, resolve, reject });
      this.#release();
    });
  }

  /** Drops everything not yet sent, rejecting its promises with `err`; later pushes reject too. */
  discard(err: PilotError): void {
    if (this.#closed === null) this.#closed = err;
    for (const item of this.#items.splice(0)) item.reject(err);
    this.#pendingBytes = 0;
  }

  #release(): void {
    while (this.#items.length > 0) {
      const head = this.#items[0];
      if (head.kind === "event") {
        this.#items.shift();
        this.#write(head.frame).then(head.resolve, head.reject);
        continue;
      }
      if (this.#credit === 0) return;
      const n = Math.min(this.#credit, head.bytes.length - head.offset, IPC_STREAM_DATA_MAX_BYTES);
      const data = head.bytes.subarray(head.offset, head.offset + n);
      const written = this.#write(encodeIpcFrame({ kind: "stream_data", id: DAEMON_DATA_ID, conn: this.conn, data }));
      this.#credit -= n;
      this.#pendingBytes -= n;
      head.offset += n;
      if (head.offset === head.bytes.length) {
        this.#items.shift();
        // Frames leave in order, so the last chunk being written means all of them were.
        written.then(head.resolve, head.reject);
      } else {
        written.catch(() => {/* the last chunk reports the failure */});
      }
    }
  }
}

/** One bound datagram port: frames within `recvfrom` credit, a bounded backlog, drops beyond it. */
export class DatagramOutbox {
  readonly port: number;
  readonly #send: SendFrame;
  readonly #backlog: Uint8Array[] = [];
  #credit = 0;
  #closed = false;

  constructor(port: number, send: SendFrame) {
    this.port = port;
    this.#send = send;
  }

  get credit(): number {
    return this.#credit;
  }

  get backlog(): number {
    return this.#backlog.length;
  }

  grant(count: number): void {
    this.#credit = Math.min(this.#credit + count, Number.MAX_SAFE_INTEGER);
    while (this.#credit > 0 && this.#backlog.length > 0) {
      this.#credit--;
      this.#send(this.#backlog.shift()!);
    }
  }

  /** Sends or holds one datagram; false when it was dropped (backlog full or port released). */
  push(dg: IpcDatagram): boolean {
    if (this.#closed) return false;
    let frame: Uint8Array;
    try {
      frame = encodeIpcFrame({ kind: "datagram", id: DAEMON_DATA_ID, ...dg });
    } catch (err) {
      throw new InvalidArgumentError(`cannot deliver datagram to port ${this.port}: ${(err as Error).message}`, {
        detail: "too_large",
      });
    }
    if (this.#credit > 0 && this.#backlog.length === 0) {
      this.#credit--;
      this.#send(frame);
      return true;
    }
    if (this.#backlog.length >= DATAGRAM_QUEUE_MAX) return false;
    this.#backlog.push(frame);
    return true;
  }

  discard(): void {
    this.#closed = true;
    this.#backlog.length = 0;
  }
}
