// Test support for the commands that talk to built-in services: the fake daemon's `dial` connects the CLI's stream
// to a real service object (data exchange, event broker) running in the test, through a bridge that turns IPC
// STREAM_DATA / close / eof into a ServiceStream. The service sees this node (SELF) as the peer, as a remote
// daemon would see the sender through its tunnel.
import type { ServicePeer, ServiceStream, StreamService } from "../../../src/daemon/services/service_stream.ts";
import type { IpcClientContext, IpcHandlers } from "../../../src/ipc/mod.ts";
import { ConnectionFailedError } from "../../../src/util/errors.ts";
import { type Script, SELF_ADDR, SELF_ID } from "./_daemon.ts";

export const SELF_PEER: ServicePeer = { node: SELF_ID, address: SELF_ADDR, hostname: "alice" };

/** The daemon side of one dialled connection. */
class BridgeStream implements ServiceStream {
  readonly #client: IpcClientContext;
  readonly #conn: number;
  #chunks: Uint8Array[] = [];
  #eof = false;
  #reset = false;
  #writeClosed = false;
  #readShut = false;
  #waiters: (() => void)[] = [];

  constructor(client: IpcClientContext, conn: number) {
    this.#client = client;
    this.#conn = conn;
    client.signal.addEventListener("abort", () => this.peerGone(true), { once: true });
  }

  /** Bytes the CLI sent; after a full close they are answered with a reset, as the transport does. */
  deliver(data: Uint8Array): void {
    if (this.#readShut) {
      this.abort();
      return;
    }
    this.#chunks.push(data.slice());
    this.#wake();
  }

  /** The CLI half-closed (`reset` false) or went away. */
  peerGone(reset: boolean): void {
    if (reset) this.#reset = true;
    this.#eof = true;
    this.#wake();
  }

  async read(): Promise<Uint8Array | null> {
    for (;;) {
      const c = this.#chunks.shift();
      if (c !== undefined) return c;
      if (this.#reset) throw new ConnectionFailedError("connection reset", { detail: "reset" });
      if (this.#eof) return null;
      await new Promise<void>((r) => this.#waiters.push(r));
    }
  }

  async write(data: Uint8Array): Promise<void> {
    if (this.#reset || this.#writeClosed) throw new ConnectionFailedError("stream closed", { detail: "closed" });
    await this.#client.pushStreamData(this.#conn, data.slice());
  }

  async closeWrite(): Promise<void> {
    if (this.#writeClosed) return;
    this.#writeClosed = true;
    await this.#client.pushStreamEof(this.#conn).catch(() => {});
  }

  close(): void {
    this.closeWrite().catch(() => {});
    this.#readShut = true;
    this.#chunks = [];
  }

  abort(): void {
    if (this.#reset) return;
    this.#reset = true;
    this.#writeClosed = true;
    this.#wake();
    this.#client.pushStreamClosed(this.#conn, "reset").catch(() => {});
  }

  #wake(): void {
    for (const w of this.#waiters.splice(0)) w();
  }
}

export interface ServiceOptions {
  /** Port → the service that answers there. */
  readonly services: Readonly<Record<number, StreamService>>;
  /** Fails the dial of an address (untrusted, offline member). */
  readonly dialError?: (addr: string, port: number) => Error | undefined;
  /** Who the service sees on the other end. */
  readonly peer?: ServicePeer;
}

export function serviceDaemon(options: ServiceOptions) {
  let nextConn = 1;
  const bridges = new Map<number, BridgeStream>();
  const running: Promise<void>[] = [];
  const scripts: Record<string, Script> = {
    dial: (args, client) => {
      const addr = args.addr as string;
      const port = args.port as number;
      const failure = options.dialError?.(addr, port);
      if (failure !== undefined) return Promise.reject(failure);
      const service = options.services[port];
      if (service === undefined) {
        return Promise.reject(new ConnectionFailedError("refused", { detail: "refused" }));
      }
      const conn = nextConn++;
      client.ownConn(conn);
      const bridge = new BridgeStream(client, conn);
      bridges.set(conn, bridge);
      running.push(service.serve(bridge, options.peer ?? SELF_PEER));
      return Promise.resolve({ conn, local_port: 49152, remote: addr, remote_port: port });
    },
    close: (args, client) => {
      const conn = args.conn as number;
      bridges.get(conn)?.peerGone(args.how === "abort");
      if (args.how !== "write") client.disownConn(conn);
      return Promise.resolve({});
    },
  };
  const extra: Omit<IpcHandlers, "commands"> = {
    streamData: (_client, conn, data) => {
      bridges.get(conn)?.deliver(data);
      return Promise.resolve();
    },
  };
  return { scripts, extra, settled: () => Promise.all(running) };
}
