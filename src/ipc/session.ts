// One connected IPC client on the daemon side (PROTOCOL-BRIEF §8.2, §8.3): the read loop, framing violations (an
// error event, then close), the connections and ports the client owns with their credit outboxes, and the close
// hooks through which the daemon FINs and unbinds what the client leaves behind.
import { IpcFrameReader, MAX_IPC_FRAME_BYTES } from "../wire/ipc_frame.ts";
import type { Logger } from "../log/logger.ts";
import { ConnectionFailedError, InvalidArgumentError, NotFoundError, type PilotError } from "../util/errors.ts";
import { CLOSE_FLUSH_TIMEOUT_MS, READ_CHUNK_BYTES } from "./constants.ts";
import { type DispatchSession, RequestDispatcher } from "./dispatch.ts";
import { FrameWriter } from "./frame_writer.ts";
import { closeAfterLinger, closeQuietly } from "./transport.ts";
import type { CloseHook, IpcHandlers, IpcHelloInfo, OwnedPort, PortProto } from "./handlers.ts";
import { DatagramOutbox, StreamOutbox } from "./outbox.ts";
import {
  encodeErrorEvent,
  encodeEvent,
  errorBody,
  EVENT_CLOSED,
  EVENT_EOF,
  type IpcDatagram,
  type IpcJson,
  type StreamCloseReason,
} from "./protocol.ts";

export interface SessionOptions {
  readonly id: number;
  readonly conn: Deno.Conn;
  readonly handlers: IpcHandlers;
  readonly logger: Logger;
  readonly token: string | null;
  readonly maxOutstanding: number;
  /** Told once, after the close hooks ran. */
  readonly onEnded: (session: IpcSession) => void;
}

/** Above this many queued output bytes the session stops reading until the client has taken them. */
const READ_PAUSE_QUEUED_BYTES = 4 * 1_048_576;

export class IpcSession implements DispatchSession {
  readonly id: number;
  readonly #conn: Deno.Conn;
  readonly #log: Logger;
  readonly #writer: FrameWriter;
  readonly #dispatcher: RequestDispatcher;
  readonly #abort = new AbortController();
  readonly #streams = new Map<number, StreamOutbox>();
  readonly #streamPorts = new Set<number>();
  readonly #datagramPorts = new Map<number, DatagramOutbox>();
  readonly #hooks = new Set<CloseHook>();
  readonly #onEnded: (session: IpcSession) => void;
  readonly #done: Promise<void>;
  #hello: IpcHelloInfo | null = null;
  #closing = false;
  /** Set when the session closes on a violation: the client may have sent more we will not read. */
  #linger = false;

  constructor(options: SessionOptions) {
    this.id = options.id;
    this.#conn = options.conn;
    this.#log = options.logger;
    this.#onEnded = options.onEnded;
    this.#writer = new FrameWriter(options.conn, () => this.#shutdownSocket());
    this.#dispatcher = new RequestDispatcher({
      session: this,
      handlers: options.handlers,
      send: (frame) => this.#writer.send(frame),
      token: options.token,
      maxOutstanding: options.maxOutstanding,
      logger: options.logger,
    });
    this.#done = this.#run();
  }

  get signal(): AbortSignal {
    return this.#abort.signal;
  }

  get hello(): IpcHelloInfo | null {
    return this.#hello;
  }

  get closed(): boolean {
    return this.#closing;
  }

  get conns(): ReadonlySet<number> {
    return new Set(this.#streams.keys());
  }

  get ports(): readonly OwnedPort[] {
    const out: OwnedPort[] = [];
    for (const port of this.#streamPorts) out.push({ proto: "stream", port });
    for (const port of this.#datagramPorts.keys()) out.push({ proto: "datagram", port });
    return out;
  }

  /** Requests received and not yet answered. */
  get outstanding(): number {
    return this.#dispatcher.outstanding;
  }

  /** Resolves when the session has ended and its close hooks ran. */
  get done(): Promise<void> {
    return this.#done;
  }

  ownConn(conn: number): void {
    this.#assertOpen();
    if (!this.#streams.has(conn)) this.#streams.set(conn, new StreamOutbox(conn, (f) => this.#writer.write(f)));
  }

  ownsConn(conn: number): boolean {
    return this.#streams.has(conn);
  }

  disownConn(conn: number): void {
    const outbox = this.#streams.get(conn);
    if (outbox === undefined) return;
    this.#streams.delete(conn);
    outbox.discard(new ConnectionFailedError(`connection ${conn} closed`, { detail: "closed" }));
  }

  ownPort(proto: PortProto, port: number): void {
    this.#assertOpen();
    if (proto === "stream") this.#streamPorts.add(port);
    else if (!this.#datagramPorts.has(port)) {
      this.#datagramPorts.set(port, new DatagramOutbox(port, (f) => this.#writer.send(f)));
    }
  }

  ownsPort(proto: PortProto, port: number): boolean {
    return proto === "stream" ? this.#streamPorts.has(port) : this.#datagramPorts.has(port);
  }

  disownPort(proto: PortProto, port: number): void {
    if (proto === "stream") {
      this.#streamPorts.delete(port);
      return;
    }
    this.#datagramPorts.get(port)?.discard();
    this.#datagramPorts.delete(port);
  }

  pushEvent(name: string, fields: IpcJson = {}): void {
    if (!this.#closing) this.#writer.send(encodeEvent(name, fields));
  }

  pushStreamData(conn: number, bytes: Uint8Array): Promise<void> {
    const outbox = this.#streams.get(conn);
    if (outbox === undefined) return Promise.reject(this.#unknownConn(conn));
    return outbox.push(bytes);
  }

  pushStreamEof(conn: number): Promise<void> {
    const outbox = this.#streams.get(conn);
    if (outbox === undefined) return Promise.reject(this.#unknownConn(conn));
    return outbox.pushFrame(encodeEvent(EVENT_EOF, { conn }));
  }

  pushStreamClosed(conn: number, reason: StreamCloseReason, error?: PilotError): Promise<void> {
    const fields: IpcJson = { conn, reason };
    if (error !== undefined) fields.error = errorBody(error);
    const frame = encodeEvent(EVENT_CLOSED, fields);
    const outbox = this.#streams.get(conn);
    if (outbox === undefined || reason !== "closed") {
      this.disownConn(conn);
      return this.#closing ? Promise.resolve() : this.#writer.write(frame);
    }
    const sent = outbox.pushFrame(frame);
    // Forget the connection once the event is out, unless the daemon already reused the number meanwhile.
    const forget = () => {
      if (this.#streams.get(conn) === outbox) this.#streams.delete(conn);
    };
    sent.then(forget, forget);
    return sent;
  }

  pushDatagram(dg: IpcDatagram): boolean {
    const outbox = this.#datagramPorts.get(dg.localPort);
    return outbox !== undefined && !this.#closing && outbox.push(dg);
  }

  grantStreamCredit(conn: number, bytes: number): void {
    const outbox = this.#streams.get(conn);
    if (outbox === undefined) throw this.#unknownConn(conn);
    outbox.grant(bytes);
  }

  grantDatagramCredit(port: number, count: number): void {
    const outbox = this.#datagramPorts.get(port);
    if (outbox === undefined) throw new NotFoundError(`port ${port} is not bound`, { detail: "port" });
    outbox.grant(count);
  }

  acceptHello(info: IpcHelloInfo): void {
    this.#hello = info;
  }

  onClose(hook: CloseHook): () => void {
    this.#hooks.add(hook);
    return () => this.#hooks.delete(hook);
  }

  /** Flushes queued frames (bounded by CLOSE_FLUSH_TIMEOUT_MS), closes the socket and waits for the hooks. */
  async close(): Promise<void> {
    if (!this.#closing) {
      this.#closing = true;
      await this.#writer.drain(CLOSE_FLUSH_TIMEOUT_MS);
      this.#shutdownSocket();
    }
    await this.#done;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  #assertOpen(): void {
    if (this.#closing) throw new ConnectionFailedError("ipc client closed", { detail: "ipc_closed" });
  }

  #unknownConn(conn: number): PilotError {
    return new NotFoundError(`connection ${conn} not found`, { detail: "conn" });
  }

  #shutdownSocket(): void {
    this.#closing = true;
    closeQuietly(this.#conn);
  }

  async #run(): Promise<void> {
    try {
      await this.#readLoop();
    } catch (err) {
      this.#log.debug("ipc client read failed", { client: this.id, error: (err as Error).message });
    } finally {
      await this.#teardown();
    }
  }

  async #readLoop(): Promise<void> {
    const reader = new IpcFrameReader();
    const buf = new Uint8Array(READ_CHUNK_BYTES);
    while (!this.#closing) {
      if (this.#writer.queuedBytes > READ_PAUSE_QUEUED_BYTES) await this.#writer.settled();
      let n: number | null;
      try {
        n = await this.#conn.read(buf);
      } catch {
        return; // closed under us: by close(), or the client reset the connection
      }
      if (n === null || this.#closing) return;
      reader.push(buf.subarray(0, n));
      for (;;) {
        const r = reader.next();
        if (r.kind === "need_more") break;
        let verdict;
        if (r.kind === "too_large") {
          verdict = badFrame(`invalid ipc frame: length ${r.length} outside 1..${MAX_IPC_FRAME_BYTES}`);
        } else if (r.kind === "malformed") {
          verdict = badFrame(r.error.message);
        } else {
          verdict = this.#dispatcher.handle(r.frame);
        }
        if (verdict === "continue") continue;
        if (verdict !== "close") {
          this.#log.debug("ipc framing violation", { client: this.id, error: verdict.message });
          this.#writer.send(encodeErrorEvent(verdict));
        }
        this.#closing = true;
        this.#linger = true;
        return;
      }
    }
  }

  async #teardown(): Promise<void> {
    this.#closing = true;
    this.#abort.abort();
    await this.#writer.drain(CLOSE_FLUSH_TIMEOUT_MS);
    const gone = new ConnectionFailedError("ipc client closed", { detail: "ipc_closed" });
    this.#writer.fail(gone);
    if (this.#linger) await closeAfterLinger(this.#conn, CLOSE_FLUSH_TIMEOUT_MS);
    else this.#shutdownSocket();
    await this.#writer.settled();
    for (const outbox of this.#streams.values()) outbox.discard(gone);
    for (const outbox of this.#datagramPorts.values()) outbox.discard();
    for (const hook of [...this.#hooks]) {
      try {
        await hook(this);
      } catch (err) {
        this.#log.warn("ipc close hook failed", { client: this.id, error: (err as Error).message });
      }
    }
    this.#hooks.clear();
    this.#streams.clear();
    this.#streamPorts.clear();
    this.#datagramPorts.clear();
    this.#log.debug("ipc client closed", { client: this.id });
    this.#onEnded(this);
  }
}

function badFrame(message: string): PilotError {
  return new InvalidArgumentError(message, { detail: "bad_frame" });
}
