// The typed IPC client of the CLI and the TypeScript SDK (PROTOCOL-BRIEF §8): connects with the §8.1 ownership check,
// says `hello`, multiplexes requests by id (answers in any order), delivers events, and routes daemon → client data
// frames to the stream and datagram helpers of client_streams.ts.
import { encodeIpcFrame, encodeIpcJson, type IpcFrame, IpcFrameReader } from "../wire/ipc_frame.ts";
import { parseJsonBody } from "../wire/registry_frame.ts";
import {
  ConnectionFailedError,
  InternalError,
  InvalidArgumentError,
  NotRunningError,
  type PilotError,
  TimeoutError,
} from "../util/errors.ts";
import { CLOSE_FLUSH_TIMEOUT_MS, CONNECT_TIMEOUT_MS, READ_CHUNK_BYTES } from "./constants.ts";
import type {
  ConnOpened,
  DialArgs,
  HelloResult,
  IpcCommandArgs,
  IpcCommandName,
  IpcCommandResult,
} from "./commands.ts";
import {
  datagramReadable,
  type DatagramSink,
  type IpcDatagramOptions,
  IpcStream,
  type IpcStreamHost,
  type IpcStreamOptions,
  type StreamSink,
} from "./client_streams.ts";
import { FrameWriter } from "./frame_writer.ts";
import { type RequestOptions, RequestTable } from "./request_table.ts";
import { errorFromBody, EVENT_CLOSED, EVENT_EOF, EVENT_ERROR, type IpcDatagram, type IpcJson } from "./protocol.ts";
import { NOT_RUNNING_HINT } from "./socket_path.ts";
import { closeQuietly, describeIpcAddress, dialIpc, type IpcAddress } from "./transport.ts";

export interface IpcConnectOptions {
  /** `client` of `hello`. */
  readonly client?: string;
  /** `version` of `hello`. */
  readonly version?: string;
  /** Skip `hello` (TCP mode requires it before anything else). */
  readonly hello?: boolean;
  /** Bound on connect + `hello`; a silent daemon counts as not running. */
  readonly timeoutMs?: number;
}

export type IpcEvent = Readonly<IpcJson> & { readonly event: string };
export type IpcEventListener = (event: IpcEvent) => void;

/** Arguments may be left out of commands that take none (or only optional ones). */
type RequestParams<C extends IpcCommandName> = Record<string, never> extends IpcCommandArgs<C>
  ? [args?: IpcCommandArgs<C>, options?: RequestOptions]
  : [args: IpcCommandArgs<C>, options?: RequestOptions];

/** A datagram to send; local port 0 (the default) uses this client's ephemeral port (§7.10). */
export interface OutgoingDatagram extends Omit<IpcDatagram, "localPort"> {
  readonly localPort?: number;
}

/** Where the request id sits in a STREAM_DATA or DATAGRAM frame: after length (4) and kind (1). */
const DATA_FRAME_ID_OFFSET = 5;

/** A request too large for one frame (or not serialisable) is the caller's `invalid_argument`. */
function encodeOrRefuse(cmd: string, encode: () => Uint8Array): Uint8Array {
  try {
    return encode();
  } catch (err) {
    throw new InvalidArgumentError(`cannot send "${cmd}": ${(err as Error).message}`, { detail: "too_large" });
  }
}

/** Data frames are encoded when the caller hands the bytes over; the id is written once a slot is free. */
function withRequestId(frame: Uint8Array, id: number): Uint8Array {
  new DataView(frame.buffer, frame.byteOffset, frame.byteLength).setUint32(DATA_FRAME_ID_OFFSET, id);
  return frame;
}

const DEFAULT_CLIENT_NAME = "sdk";
/** Connections whose early eof/closed events are held until a stream attaches (oldest forgotten first). */
const EARLY_EVENTS_CONNS_MAX = 256;

function deliverStreamEvent(sink: StreamSink, event: IpcEvent): void {
  if (event.event === EVENT_EOF) sink.eof();
  else sink.closed(typeof event.reason === "string" ? event.reason : "closed", event.error);
}
const DEFAULT_CLIENT_VERSION = "0";

export class IpcClient implements IpcStreamHost {
  readonly address: IpcAddress;
  readonly #conn: Deno.Conn;
  readonly #writer: FrameWriter;
  readonly #requests = new RequestTable();
  readonly #listeners = new Set<IpcEventListener>();
  readonly #streams = new Map<number, StreamSink>();
  /**
   * `eof`/`closed` events for connections no stream is attached to yet: an accept reply and the eof of an empty
   * inbound stream can arrive in one read, before the caller's continuation attaches. Replayed on attach.
   */
  readonly #early = new Map<number, IpcEvent[]>();
  readonly #datagrams = new Map<number, DatagramSink>();
  readonly #done: Promise<PilotError>;
  #failure: PilotError | null = null;
  #ended: PilotError | null = null;
  #hello: HelloResult | null = null;

  /**
   * Connects and says `hello`. A missing, refused or silent socket is NotRunningError `daemon is not running
   * (socket <path>)`; a path that is not this user's socket is NotRunningError `socket <path> is owned by uid N`.
   */
  static async connect(address: IpcAddress | string, options: IpcConnectOptions = {}): Promise<IpcClient> {
    const addr: IpcAddress = typeof address === "string" ? { transport: "unix", path: address } : address;
    const { conn, token } = await dialIpc(addr);
    const client = new IpcClient(addr, conn);
    if (options.hello === false) return client;
    const args = {
      version: options.version ?? DEFAULT_CLIENT_VERSION,
      client: options.client ?? DEFAULT_CLIENT_NAME,
      ...(token === null ? {} : { token }),
    };
    try {
      client.#hello = await client.request("hello", args, { timeoutMs: options.timeoutMs ?? CONNECT_TIMEOUT_MS });
    } catch (err) {
      await client.close();
      if (err instanceof TimeoutError) {
        throw new NotRunningError(`daemon is not running (${describeIpcAddress(addr)})`, {
          hint: NOT_RUNNING_HINT,
          cause: err,
        });
      }
      throw err;
    }
    return client;
  }

  private constructor(address: IpcAddress, conn: Deno.Conn) {
    this.address = address;
    this.#conn = conn;
    this.#writer = new FrameWriter(conn, (err) => {
      this.#failure ??= err;
      closeQuietly(conn);
    });
    this.#done = this.#run();
  }

  /** The daemon's `hello` answer (null when connected with `hello: false`). */
  get helloResult(): HelloResult | null {
    return this.#hello;
  }

  /** Resolves with the reason once the connection has ended (local close, daemon gone, error event). */
  get closed(): Promise<PilotError> {
    return this.#done;
  }

  /** Runs a §8.3 command; resolves with its result fields, or throws the daemon's PilotError rebuilt. */
  request<C extends IpcCommandName>(cmd: C, ...params: RequestParams<C>): Promise<IpcCommandResult<C>> {
    const [args, options] = params;
    return this.#exchange(cmd, (id) => encodeIpcJson({ ...(args ?? {}), id, cmd }), options) as Promise<
      IpcCommandResult<C>
    >;
  }

  /** An untyped request, for commands the map does not know. */
  call(cmd: string, args: IpcJson = {}, options?: RequestOptions): Promise<IpcJson> {
    return this.#exchange(cmd, (id) => encodeIpcJson({ ...args, id, cmd }), options);
  }

  /** Listens to every event (`eof`, `closed`, and any the daemon adds); returns the unsubscribe function. */
  onEvent(listener: IpcEventListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * One STREAM_DATA frame (≤ IPC_STREAM_DATA_MAX_BYTES); resolves with `queued` once the daemon buffered it (the
   * `send` backpressure). `data` is copied before this returns, so the caller may reuse it at once.
   */
  async sendStreamData(conn: number, data: Uint8Array, options?: RequestOptions): Promise<number> {
    const frame = encodeOrRefuse("send", () => encodeIpcFrame({ kind: "stream_data", id: 0, conn, data }));
    const result = await this.#exchange("send", (id) => withRequestId(frame, id), options);
    return typeof result.queued === "number" ? result.queued : 0;
  }

  /** One DATAGRAM frame (`sendto`); resolves with `queued`. The data is copied before this returns. */
  async sendto(dg: OutgoingDatagram, options?: RequestOptions): Promise<number> {
    const frame = encodeOrRefuse("sendto", () =>
      encodeIpcFrame({
        kind: "datagram",
        id: 0,
        localPort: dg.localPort ?? 0,
        remote: dg.remote,
        remotePort: dg.remotePort,
        data: dg.data,
      }));
    const result = await this.#exchange("sendto", (id) => withRequestId(frame, id), options);
    return typeof result.queued === "number" ? result.queued : 0;
  }

  /**
   * Wraps a connection this client owns in a ReadableStream / WritableStream pair. Reading is credit-driven: data
   * arrives only for connections with a stream, so a raw `recv` without one leads to dropped data.
   */
  openStream(conn: number, options?: IpcStreamOptions): IpcStream {
    return new IpcStream(this, conn, options);
  }

  /** `dial`, then the stream of the new connection. */
  async dialStream(args: DialArgs, options?: IpcStreamOptions & RequestOptions): Promise<IpcStream> {
    const info = await this.request("dial", args, options);
    return this.openStream(info.conn, { ...options, info });
  }

  /** `accept` on a bound stream port, then the stream of the accepted connection. */
  async acceptStream(port: number, options: IpcStreamOptions & RequestOptions = {}): Promise<IpcStream> {
    // The daemon applies the timeout (`timeout_ms`) and answers `timeout` itself.
    const args = options.timeoutMs === undefined ? { port } : { port, timeout_ms: options.timeoutMs };
    const info: ConnOpened = await this.request("accept", args, { signal: options.signal });
    return this.openStream(info.conn, { ...options, info });
  }

  /** Datagrams arriving on a bound datagram port, under `recvfrom` credit. */
  openDatagrams(port: number, options?: IpcDatagramOptions): ReadableStream<IpcDatagram> {
    return datagramReadable(this, port, options);
  }

  attachStream(conn: number, sink: StreamSink): void {
    if (this.#streams.has(conn)) throw new InvalidArgumentError(`connection ${conn} already has a stream`);
    if (this.#ended !== null) {
      sink.lost(this.#ended);
      return;
    }
    this.#streams.set(conn, sink);
    const early = this.#early.get(conn);
    if (early) {
      this.#early.delete(conn);
      for (const event of early) deliverStreamEvent(sink, event);
    }
  }

  detachStream(conn: number, sink: StreamSink): void {
    if (this.#streams.get(conn) === sink) this.#streams.delete(conn);
  }

  attachDatagrams(port: number, sink: DatagramSink): void {
    if (this.#datagrams.has(port)) throw new InvalidArgumentError(`port ${port} already has a datagram reader`);
    if (this.#ended !== null) {
      sink.lost(this.#ended);
      return;
    }
    this.#datagrams.set(port, sink);
  }

  detachDatagrams(port: number, sink: DatagramSink): void {
    if (this.#datagrams.get(port) === sink) this.#datagrams.delete(port);
  }

  /**
   * Sends what is queued (bounded by CLOSE_FLUSH_TIMEOUT_MS), then closes; requests still unanswered fail with
   * ConnectionFailedError (detail `ipc_closed`).
   */
  async close(): Promise<void> {
    if (this.#ended === null && this.#failure === null) {
      this.#failure = new ConnectionFailedError("ipc client closed", { detail: "ipc_closed" });
      await this.#writer.drain(CLOSE_FLUSH_TIMEOUT_MS);
      closeQuietly(this.#conn);
    }
    await this.#done;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  async #exchange(cmd: string, build: (id: number) => Uint8Array, options?: RequestOptions): Promise<IpcJson> {
    return await this.#requests.run(cmd, (id) => this.#writer.send(encodeOrRefuse(cmd, () => build(id))), options);
  }

  async #run(): Promise<PilotError> {
    try {
      await this.#readLoop();
    } catch (err) {
      this.#failure ??= new InternalError(`ipc read failed: ${(err as Error).message}`);
    }
    closeQuietly(this.#conn);
    const reason = this.#failure ??
      new NotRunningError(`daemon closed the connection (${describeIpcAddress(this.address)})`, {
        hint: NOT_RUNNING_HINT,
      });
    this.#ended = reason;
    this.#writer.fail(reason);
    this.#requests.failAll(reason);
    for (const sink of [...this.#streams.values()]) sink.lost(reason);
    for (const sink of [...this.#datagrams.values()]) sink.lost(reason);
    this.#streams.clear();
    this.#datagrams.clear();
    await this.#writer.settled();
    return reason;
  }

  async #readLoop(): Promise<void> {
    const reader = new IpcFrameReader();
    const buf = new Uint8Array(READ_CHUNK_BYTES);
    for (;;) {
      let n: number | null;
      try {
        n = await this.#conn.read(buf);
      } catch {
        return; // closed locally, or the daemon reset the connection
      }
      if (n === null) return;
      reader.push(buf.subarray(0, n));
      for (;;) {
        const r = reader.next();
        if (r.kind === "need_more") break;
        if (r.kind === "frame" && this.#onFrame(r.frame)) continue;
        this.#failure ??= new InternalError("daemon sent an invalid ipc frame", { detail: "bad_frame" });
        return;
      }
    }
  }

  /** False when the frame breaks the protocol. */
  #onFrame(frame: IpcFrame): boolean {
    if (frame.kind === "stream_data") {
      this.#streams.get(frame.conn)?.data(frame.data);
      return frame.id === 0;
    }
    if (frame.kind === "datagram") {
      const { id: _id, kind: _kind, ...dg } = frame;
      this.#datagrams.get(frame.localPort)?.datagram(dg);
      return frame.id === 0;
    }
    const parsed = parseJsonBody(frame.body);
    if (!parsed.ok) return false;
    const msg = parsed.value;
    if (typeof msg.event === "string") {
      this.#onEvent(msg as IpcEvent);
      return true;
    }
    if (typeof msg.id !== "number") return false;
    this.#requests.settle(msg); // an unknown id was answered after a local timeout
    return true;
  }

  #holdEarly(conn: number, event: IpcEvent): void {
    const held = this.#early.get(conn);
    if (held) {
      if (held.length < 2) held.push(event);
      return;
    }
    if (this.#early.size >= EARLY_EVENTS_CONNS_MAX) {
      const oldest = this.#early.keys().next().value;
      if (oldest !== undefined) this.#early.delete(oldest);
    }
    this.#early.set(conn, [event]);
  }

  #onEvent(event: IpcEvent): void {
    if (event.event === EVENT_ERROR) this.#failure ??= errorFromBody(event.error);
    if (typeof event.conn === "number" && (event.event === EVENT_EOF || event.event === EVENT_CLOSED)) {
      const sink = this.#streams.get(event.conn);
      if (sink) deliverStreamEvent(sink, event);
      else this.#holdEarly(event.conn, event);
    }
    for (const listener of [...this.#listeners]) {
      try {
        listener(event);
      } catch {
        // a listener's bug must not stop the read loop
      }
    }
  }
}
