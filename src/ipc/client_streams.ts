// Client-side stream and datagram helpers (PROTOCOL-BRIEF §8.2, §8.3): a `conn` becomes a ReadableStream /
// WritableStream pair. Reads grant `recv` credit as the consumer drains the queue, so the daemon never sends more than
// the window; writes are STREAM_DATA frames whose `queued` replies are the backpressure. A bound datagram port becomes
// a ReadableStream of datagrams under `recvfrom` credit.
import { IPC_STREAM_DATA_MAX_BYTES } from "../wire/ipc_frame.ts";
import { InternalError, type PilotError } from "../util/errors.ts";
import { DATAGRAM_WINDOW, SEND_PIPELINE_BYTES, STREAM_WINDOW_BYTES } from "./constants.ts";
import type { CloseHow, ConnOpened } from "./commands.ts";
import { type IpcDatagram, type IpcJson, streamCloseError } from "./protocol.ts";

/** Receives what the daemon sends for one connection. */
export interface StreamSink {
  data(bytes: Uint8Array): void;
  eof(): void;
  closed(reason: string, error: unknown): void;
  /** The IPC connection itself ended. */
  lost(err: PilotError): void;
}

export interface DatagramSink {
  datagram(dg: IpcDatagram): void;
  lost(err: PilotError): void;
}

/** What the helpers need of the client. */
export interface IpcStreamHost {
  call(cmd: string, args: IpcJson): Promise<IpcJson>;
  /** One STREAM_DATA frame (≤ IPC_STREAM_DATA_MAX_BYTES), copied before it returns; resolves with `queued`. */
  sendStreamData(conn: number, data: Uint8Array): Promise<number>;
  attachStream(conn: number, sink: StreamSink): void;
  detachStream(conn: number, sink: StreamSink): void;
  attachDatagrams(port: number, sink: DatagramSink): void;
  detachDatagrams(port: number, sink: DatagramSink): void;
}

export interface IpcStreamOptions {
  /** Bytes of `recv` credit outstanding plus bytes received but unread. */
  readonly windowBytes?: number;
  /** Bytes of writes awaiting `queued` before a write waits. */
  readonly sendPipelineBytes?: number;
  /** The `dial` / `accept` answer, when the stream came from one. */
  readonly info?: ConnOpened;
}

/** Credit below this fraction of the window is held back and granted together with later reads. */
const GRANT_BATCH_DIVISOR = 4;

export class IpcStream implements StreamSink {
  readonly conn: number;
  readonly info: ConnOpened | null;
  readonly readable: ReadableStream<Uint8Array>;
  readonly writable: WritableStream<Uint8Array>;
  readonly #host: IpcStreamHost;
  readonly #window: number;
  readonly #pipelineBytes: number;
  readonly #sends = new Set<Promise<void>>();
  #reader: ReadableStreamDefaultController<Uint8Array> | null = null;
  #readDone = false;
  /** `recv` credit granted and not yet used by arriving data. */
  #credit = 0;
  #sendBytes = 0;
  #sendError: PilotError | null = null;

  constructor(host: IpcStreamHost, conn: number, options: IpcStreamOptions = {}) {
    this.#host = host;
    this.conn = conn;
    this.info = options.info ?? null;
    this.#window = options.windowBytes ?? STREAM_WINDOW_BYTES;
    this.#pipelineBytes = options.sendPipelineBytes ?? SEND_PIPELINE_BYTES;
    this.readable = new ReadableStream<Uint8Array>({
      start: (controller) => {
        this.#reader = controller;
      },
      pull: (controller) => this.#grant(controller),
      cancel: () => this.#endRead(),
    }, { highWaterMark: this.#window, size: (chunk) => chunk.byteLength });
    this.writable = new WritableStream<Uint8Array>({
      write: (chunk) => this.#write(chunk),
      close: async () => {
        await this.#flush();
        await this.#host.call("close", { conn, how: "write" });
      },
      abort: async () => {
        await this.#host.call("close", { conn, how: "abort" }).catch(() => {});
      },
    });
    host.attachStream(conn, this);
  }

  /** `close` with `how` (§8.3): `write` half-closes, `both` closes, `abort` resets. Ends reading unless `write`. */
  async close(how: CloseHow = "both"): Promise<void> {
    if (how !== "write") {
      if (!this.#readDone) this.#reader?.close();
      this.#endRead();
    }
    try {
      await this.#host.call("close", { conn: this.conn, how });
    } finally {
      if (how !== "write") this.#host.detachStream(this.conn, this);
    }
  }

  data(bytes: Uint8Array): void {
    if (this.#readDone) return;
    if (bytes.length > this.#credit) {
      this.#fail(new InternalError(`daemon sent ${bytes.length} bytes on connection ${this.conn} beyond recv credit`));
      return;
    }
    this.#credit -= bytes.length;
    this.#reader?.enqueue(bytes);
  }

  eof(): void {
    if (this.#readDone) return;
    this.#reader?.close();
    this.#endRead();
  }

  closed(reason: string, error: unknown): void {
    const err = streamCloseError(this.conn, reason, error);
    this.#sendError ??= err;
    // A clean close after the peer's FIN ends reading normally; anything else fails the reader.
    if (reason === "closed" && error === undefined) this.eof();
    else this.#fail(err);
    this.#host.detachStream(this.conn, this);
  }

  lost(err: PilotError): void {
    this.#sendError ??= err;
    this.#fail(err);
  }

  #grant(controller: ReadableStreamDefaultController<Uint8Array>): void {
    if (this.#readDone) return;
    const room = (controller.desiredSize ?? 0) - this.#credit;
    if (room <= 0 || (this.#credit > 0 && room < this.#window / GRANT_BATCH_DIVISOR)) return;
    this.#credit += room;
    this.#host.call("recv", { conn: this.conn, credit: room }).catch((err: PilotError) => this.#fail(err));
  }

  #fail(err: PilotError): void {
    if (this.#readDone) return;
    this.#reader?.error(err);
    this.#endRead();
  }

  #endRead(): void {
    this.#readDone = true;
  }

  async #write(chunk: Uint8Array): Promise<void> {
    for (let offset = 0; offset < chunk.length; offset += IPC_STREAM_DATA_MAX_BYTES) {
      if (this.#sendError !== null) throw this.#sendError;
      const part = chunk.subarray(offset, offset + IPC_STREAM_DATA_MAX_BYTES);
      this.#sendBytes += part.length;
      const sent: Promise<void> = this.#host.sendStreamData(this.conn, part).then(
        () => {},
        (err: PilotError) => {
          this.#sendError ??= err;
        },
      ).finally(() => {
        this.#sendBytes -= part.length;
        this.#sends.delete(sent);
      });
      this.#sends.add(sent);
      while (this.#sendBytes > this.#pipelineBytes && this.#sends.size > 0) await Promise.race(this.#sends);
    }
    if (this.#sendError !== null) throw this.#sendError;
  }

  async #flush(): Promise<void> {
    await Promise.all(this.#sends);
    if (this.#sendError !== null) throw this.#sendError;
  }
}

export interface IpcDatagramOptions {
  /** Datagrams of `recvfrom` credit outstanding plus datagrams received but unread. */
  readonly window?: number;
}

/** A bound datagram port as a ReadableStream; cancel it to stop receiving (the port stays bound). */
export function datagramReadable(
  host: IpcStreamHost,
  port: number,
  options: IpcDatagramOptions = {},
): ReadableStream<IpcDatagram> {
  const window = options.window ?? DATAGRAM_WINDOW;
  let credit = 0;
  let done = false;
  let controller: ReadableStreamDefaultController<IpcDatagram> | null = null;
  const sink: DatagramSink = {
    datagram(dg) {
      if (done) return;
      credit = Math.max(0, credit - 1);
      controller?.enqueue(dg);
    },
    lost(err) {
      if (done) return;
      done = true;
      controller?.error(err);
    },
  };
  const stop = () => {
    done = true;
    host.detachDatagrams(port, sink);
  };
  const stream = new ReadableStream<IpcDatagram>({
    start(c) {
      controller = c;
    },
    pull(c) {
      if (done) return;
      const room = (c.desiredSize ?? 0) - credit;
      if (room <= 0 || (credit > 0 && room < window / GRANT_BATCH_DIVISOR)) return;
      credit += room;
      host.call("recvfrom", { port, credit: room }).catch((err: PilotError) => {
        if (!done) c.error(err);
        stop();
      });
    },
    cancel: stop,
  }, { highWaterMark: window, size: () => 1 });
  host.attachDatagrams(port, sink);
  return stream;
}
