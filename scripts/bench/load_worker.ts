// A load-generating Web Worker for the benchmarks: holds registry clients or raw echo connections and runs the
// timed request loops of load_messages.ts. Several of these run in parallel so that the client side is not what
// limits a rate measured against a single-threaded server process.
import { generateIdentity, type Identity } from "../../src/crypto/mod.ts";
import { RegistryClient } from "../../src/registry/mod.ts";
import { randomBytes, toBase64 } from "../../src/util/bytes.ts";
import { encodeRegistryFrame, FrameReader, parseJsonBody } from "../../src/wire/mod.ts";
import { absoluteNowMs, type LoadReply, type LoadRequest, type LoadTiming } from "./load_messages.ts";

const READ_BUFFER_BYTES = 64 * 1024;
const BENCH_LISTEN_PORT = 4000;

/** One raw TCP connection speaking length-prefixed JSON, one request at a time. */
class EchoConn {
  readonly #conn: Deno.Conn;
  readonly #reader = new FrameReader();
  readonly #buf = new Uint8Array(READ_BUFFER_BYTES);

  constructor(conn: Deno.Conn) {
    this.#conn = conn;
  }

  async request(obj: Record<string, unknown>): Promise<Record<string, unknown>> {
    const frame = encodeRegistryFrame(obj);
    for (let off = 0; off < frame.length;) off += await this.#conn.write(frame.subarray(off));
    for (;;) {
      const next = this.#reader.next();
      if (next.kind === "frame") {
        const parsed = parseJsonBody(next.body);
        if (!parsed.ok) throw new Error(`echo reply is not a JSON object: ${parsed.reason}`);
        return parsed.value;
      }
      if (next.kind === "too_large") throw new Error("echo reply has a bad frame length");
      const n = await this.#conn.read(this.#buf);
      if (n === null) throw new Error("echo server closed the connection");
      this.#reader.push(this.#buf.subarray(0, n));
    }
  }

  close(): void {
    this.#conn.close();
  }
}

/** A request shaped like a signed `lookup` (same fields and sizes), for the transport-and-JSON baseline. */
function lookupShapedRequest(target: number): Record<string, unknown> {
  return {
    type: "lookup",
    target,
    node_id: 1,
    ts: Date.now(),
    nonce: toBase64(randomBytes(16)),
    sig: toBase64(randomBytes(64)),
  };
}

/** Runs `perRequest` on every connection concurrently while a shared counter stays below `count`. */
async function timedLoop<C>(
  conns: readonly C[],
  count: number,
  perRequest: (conn: C, i: number) => Promise<void>,
): Promise<LoadTiming> {
  let next = 0;
  const startMs = absoluteNowMs();
  await Promise.all(conns.map(async (conn) => {
    while (next < count) await perRequest(conn, next++);
  }));
  return { startMs, endMs: absoluteNowMs(), done: count };
}

class LoadWorker {
  readonly #identities: Identity[] = [];
  /** Identities before this index are registered. */
  #registered = 0;
  #clients: RegistryClient[] = [];
  #echo: EchoConn[] = [];

  async handle(req: LoadRequest): Promise<LoadReply> {
    switch (req.op) {
      case "identities":
        for (let i = 0; i < req.count; i++) this.#identities.push(generateIdentity());
        return { ok: true };
      case "connect_registry":
        this.#clients = await Promise.all(
          Array.from({ length: req.connections }, () => RegistryClient.connect({ address: req.address })),
        );
        return { ok: true };
      case "connect_echo": {
        const [hostname, port] = splitHostPort(req.address);
        const conns = await Promise.all(
          Array.from({ length: req.connections }, () => Deno.connect({ hostname, port })),
        );
        this.#echo = conns.map((c) => new EchoConn(c));
        return { ok: true };
      }
      case "register":
        return await this.#register(req.count);
      case "lookup": {
        const { targets } = req;
        const timing = await timedLoop(this.#clients, req.count, async (client) => {
          const target = targets[Math.floor(Math.random() * targets.length)];
          const ok = await client.lookup(target);
          if (ok.node_id !== target) throw new Error(`lookup of ${target} answered node ${ok.node_id}`);
        });
        return { ok: true, timing };
      }
      case "echo": {
        const timing = await timedLoop(this.#echo, req.count, async (conn, i) => {
          const reply = await conn.request(lookupShapedRequest(i + 1));
          if (reply.target !== i + 1) throw new Error("echo reply does not match its request");
        });
        return { ok: true, timing };
      }
      case "close":
        await Promise.all(this.#clients.map((c) => c.close()));
        for (const c of this.#echo) c.close();
        this.#clients = [];
        this.#echo = [];
        return { ok: true };
    }
  }

  async #register(count: number): Promise<LoadReply> {
    const first = this.#registered;
    if (first + count > this.#identities.length) {
      throw new Error(`only ${this.#identities.length - first} identities left`);
    }
    this.#registered += count;
    const nodeIds: number[] = new Array(count);
    const timing = await timedLoop(this.#clients, count, async (client, i) => {
      const ok = await client.register(this.#identities[first + i], { listenPort: BENCH_LISTEN_PORT, public: true });
      nodeIds[i] = ok.node_id;
    });
    return { ok: true, timing, nodeIds };
  }
}

function splitHostPort(address: string): [string, number] {
  const colon = address.lastIndexOf(":");
  return [address.slice(0, colon), Number(address.slice(colon + 1))];
}

interface WorkerScope {
  postMessage(message: LoadReply): void;
  addEventListener(type: "message", listener: (event: MessageEvent<LoadRequest>) => void): void;
}

const scope = globalThis as unknown as WorkerScope;
const worker = new LoadWorker();
// Requests arrive one at a time (the pool waits for each reply), so handling them in order needs no queue.
scope.addEventListener("message", (event) => {
  worker.handle(event.data).then(
    (reply) => scope.postMessage(reply),
    (err) => scope.postMessage({ ok: false, error: err instanceof Error ? err.message : String(err) }),
  );
});
