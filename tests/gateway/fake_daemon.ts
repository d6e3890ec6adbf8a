// Test support: a daemon stand-in for the gateway. A real IpcServer (PROTOCOL-BRIEF §8) whose `dial` connects the
// new stream to a local TCP server (pilot port → 127.0.0.1 port), with the real framework's credit and `send`
// backpressure; `resolve` knows a few hostnames. Plus the TCP servers the tests dial: HTTP (Deno.serve) and two that
// close early.
import { type IpcClientContext, IpcServer } from "../../src/ipc/mod.ts";
import { Logger, MemorySink } from "../../src/log/logger.ts";
import { ConnectionFailedError, NotFoundError } from "../../src/util/errors.ts";

export const DAEMON_ADDRESS = "0:0000.0000.0100";

interface FakeConn {
  readonly tcp: Deno.TcpConn;
  readonly client: IpcClientContext;
  pump: Promise<void>;
}

export interface FakeDaemonOptions {
  readonly socketPath: string;
  /** pilot port → TCP port on 127.0.0.1 */
  readonly routes: ReadonlyMap<number, number>;
  /** hostname → address */
  readonly names?: Readonly<Record<string, string>>;
}

const READ_BYTES = 65_536;

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < bytes.length) offset += await conn.write(bytes.subarray(offset));
}

function closeQuietly(conn: Deno.Conn): void {
  try {
    conn.close();
  } catch {
    // already closed
  }
}

export class FakeDaemon implements AsyncDisposable {
  readonly log = new MemorySink();
  /** Pilot ports dialled, in order. */
  readonly dials: number[] = [];
  readonly #conns = new Map<number, FakeConn>();
  #server!: IpcServer;
  #nextConn = 1;

  static async start(options: FakeDaemonOptions): Promise<FakeDaemon> {
    const daemon = new FakeDaemon();
    daemon.#server = await IpcServer.start({
      address: options.socketPath,
      logger: new Logger({ sink: daemon.log, level: "debug" }),
      handlers: {
        commands: {
          hello: () => Promise.resolve({ daemon_version: "test", node_id: 256, address: DAEMON_ADDRESS }),
          resolve: (args) => {
            const address = options.names?.[String(args.name)];
            if (address === undefined) throw new NotFoundError(`cannot resolve "${args.name}"`);
            return Promise.resolve({ node_id: 0, address, hostname: String(args.name), public: true });
          },
          dial: (args, client) => daemon.#dial(options.routes, Number(args.port), String(args.addr), client),
          close: (args) => Promise.resolve(daemon.#close(Number(args.conn), String(args.how))),
        },
        streamData: async (_client, conn, data) => {
          const c = daemon.#conns.get(conn);
          if (c === undefined) throw new NotFoundError(`connection ${conn} not found`);
          try {
            await writeAll(c.tcp, data);
          } catch {
            throw new ConnectionFailedError(`connection ${conn} reset by peer`, { detail: "reset" });
          }
        },
        clientOpened: (client) => {
          client.onClose(() => {
            for (const [id, c] of daemon.#conns) if (c.client === client) daemon.#close(id, "both");
          });
        },
      },
    });
    return daemon;
  }

  /** Streams open now. */
  get open(): number {
    return this.#conns.size;
  }

  async close(): Promise<void> {
    await this.#server.close();
    const pumps = [...this.#conns.values()].map((c) => c.pump);
    for (const id of [...this.#conns.keys()]) this.#close(id, "both");
    await Promise.all(pumps);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  async #dial(routes: ReadonlyMap<number, number>, port: number, addr: string, client: IpcClientContext) {
    this.dials.push(port);
    const tcpPort = routes.get(port);
    if (tcpPort === undefined) {
      throw new ConnectionFailedError(`connection refused: ${addr} port ${port}`, { detail: "refused" });
    }
    const tcp = await Deno.connect({ hostname: "127.0.0.1", port: tcpPort });
    const id = this.#nextConn++;
    client.ownConn(id);
    const conn: FakeConn = { tcp, client, pump: Promise.resolve() };
    this.#conns.set(id, conn);
    conn.pump = this.#pump(id, conn);
    return { conn: id, local_port: 49_152 + id, remote: addr, remote_port: port };
  }

  /** TCP → client within its `recv` credit; the end becomes `eof`, a failure `closed` with reason reset. */
  async #pump(id: number, c: FakeConn): Promise<void> {
    try {
      for (;;) {
        const buf = new Uint8Array(READ_BYTES);
        const n = await c.tcp.read(buf);
        if (n === null) break;
        await c.client.pushStreamData(id, buf.subarray(0, n));
      }
      await c.client.pushStreamEof(id);
    } catch {
      if (this.#conns.get(id) === c) {
        this.#conns.delete(id);
        closeQuietly(c.tcp);
        await c.client.pushStreamClosed(id, "reset").catch(() => {});
      }
    }
  }

  #close(id: number, how: string): Record<string, never> {
    const c = this.#conns.get(id);
    if (c === undefined) return {};
    if (how === "write") {
      c.tcp.closeWrite().catch(() => {});
      return {};
    }
    this.#conns.delete(id);
    closeQuietly(c.tcp);
    c.client.disownConn(id);
    return {};
  }
}

/** Deterministic bytes whose value depends on the offset. */
export function pattern(n: number, seed = 0): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (i * 31 + (i >>> 9) + seed) & 0xff;
  return out;
}

export const BIG_BYTES = 10 * 1024 * 1024;

/** `/big` (10 MiB of pattern), `/hello?n=…`, `/echo` (POST body back). */
export function startHttpServer(): Deno.HttpServer<Deno.NetAddr> {
  const big = pattern(BIG_BYTES, 9);
  return Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const url = new URL(req.url);
    if (url.pathname === "/big") return new Response(big);
    if (url.pathname === "/hello") return new Response(`hello ${url.searchParams.get("n") ?? ""}`);
    if (url.pathname === "/echo") return new Response(new Uint8Array(await req.arrayBuffer()));
    return new Response("not found", { status: 404 });
  });
}

/** A TCP server that answers each request with `Connection: close` and closes; or, `instant`, closes at once. */
export class EarlyCloseServer implements AsyncDisposable {
  readonly port: number;
  readonly #listener: Deno.TcpListener;
  readonly #loop: Promise<void>;
  readonly #served = new Set<Promise<void>>();

  constructor(instant: boolean) {
    this.#listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    this.port = (this.#listener.addr as Deno.NetAddr).port;
    this.#loop = this.#accept(instant);
  }

  async #accept(instant: boolean): Promise<void> {
    for (;;) {
      let conn: Deno.TcpConn;
      try {
        conn = await this.#listener.accept();
      } catch {
        return;
      }
      const done: Promise<void> = (instant ? Promise.resolve(closeQuietly(conn)) : this.#answer(conn))
        .finally(() => this.#served.delete(done));
      this.#served.add(done);
    }
  }

  async #answer(conn: Deno.TcpConn): Promise<void> {
    try {
      // Read the request head only (bounded), so closing does not reset the connection over unread bytes.
      const buf = new Uint8Array(4096);
      let head = "";
      for (let i = 0; i < 64 && !head.includes("\r\n\r\n"); i++) {
        const n = await conn.read(buf);
        if (n === null) break;
        head += new TextDecoder().decode(buf.subarray(0, n));
      }
      await writeAll(
        conn,
        new TextEncoder().encode("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close\r\n\r\nearly"),
      );
    } catch {
      // the client went away
    } finally {
      closeQuietly(conn);
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.#listener.close();
    await this.#loop;
    await Promise.all([...this.#served]);
  }
}
