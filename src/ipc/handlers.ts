// What the IPC server asks of the daemon and what it offers each command (PROTOCOL-BRIEF §8.2, §8.3). The server is
// a framework: it frames, dispatches, enforces limits, credit and ownership; the daemon supplies the commands.
import type { PilotError } from "../util/errors.ts";
import type { IpcDatagram, IpcJson, StreamCloseReason } from "./protocol.ts";

/** The request object minus `id` and `cmd`. */
export type IpcArgs = Readonly<Record<string, unknown>>;
/** Fields merged into `{"id","ok":true,…}`; `id` and `ok` cannot be overridden. */
export type IpcResult = IpcJson;

/** Runs one command; throw a PilotError to fail it (anything else becomes `internal`). */
export type IpcCommandHandler = (args: IpcArgs, client: IpcClientContext) => Promise<IpcResult | void>;

export type PortProto = "stream" | "datagram";

export interface OwnedPort {
  readonly proto: PortProto;
  readonly port: number;
}

/** What the client said in `hello`. */
export interface IpcHelloInfo {
  readonly client: string;
  readonly version: string;
}

export type CloseHook = (client: IpcClientContext) => void | Promise<void>;

/** One connected client, as command handlers see it. */
export interface IpcClientContext {
  /** Server-assigned, for logs. */
  readonly id: number;
  /** Aborted when the client goes away; long waits (`accept`, `dial`) should follow it. */
  readonly signal: AbortSignal;
  /** Null until a `hello` succeeded. */
  readonly hello: IpcHelloInfo | null;
  readonly closed: boolean;

  /** Connections created by this client (§8.3: others get `not_found`). */
  readonly conns: ReadonlySet<number>;
  readonly ports: readonly OwnedPort[];
  /** Records a connection this client created; throws ConnectionFailedError if the client already left. */
  ownConn(conn: number): void;
  ownsConn(conn: number): boolean;
  /** Forgets a connection; daemon → client data not yet sent is dropped. */
  disownConn(conn: number): void;
  /** Records a bound port; throws ConnectionFailedError if the client already left. */
  ownPort(proto: PortProto, port: number): void;
  ownsPort(proto: PortProto, port: number): boolean;
  disownPort(proto: PortProto, port: number): void;

  /** Sends `{"event":name,…fields}`; dropped silently once the client left. */
  pushEvent(name: string, fields?: IpcJson): void;
  /**
   * Queues data of an owned connection; it leaves within the client's `recv` credit. Resolves when written, rejects
   * when the connection is disowned or the client leaves first. Do not modify `bytes` until then.
   */
  pushStreamData(conn: number, bytes: Uint8Array): Promise<void>;
  /** The `eof` event, after all data pushed before it. */
  pushStreamEof(conn: number): Promise<void>;
  /**
   * The `closed` event, then the connection is disowned. Reason `closed` keeps the order after pushed data; the
   * others (`reset`, `timeout`, `not_trusted`) drop unsent data and report at once.
   */
  pushStreamClosed(conn: number, reason: StreamCloseReason, error?: PilotError): Promise<void>;
  /** One DATAGRAM frame to a bound datagram port, within `recvfrom` credit; false when it was dropped. */
  pushDatagram(dg: IpcDatagram): boolean;

  /** Runs when the client leaves, after its socket closed, with its connections and ports still listed. */
  onClose(hook: CloseHook): () => void;
  /** Flushes queued frames (bounded), then closes the client. */
  close(): Promise<void>;
}

export interface IpcHandlers {
  /** cmd → handler. `recv` and `recvfrom` are the server's own; `hello` runs after the server's token check. */
  readonly commands: Readonly<Record<string, IpcCommandHandler>>;
  /** STREAM_DATA for an owned connection; resolve once buffered: that is the `send` backpressure (§8.2). */
  streamData?(client: IpcClientContext, conn: number, data: Uint8Array): Promise<void>;
  /** DATAGRAM from the client (`sendto`); local port 0 means the client's ephemeral port (§7.10). */
  datagram?(client: IpcClientContext, dg: IpcDatagram): Promise<void>;
  /** A client was accepted (within the client limit). */
  clientOpened?(client: IpcClientContext): void;
}
