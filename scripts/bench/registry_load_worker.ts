// A load-generating Web Worker for the registry load benchmark (registry_load.ts): many concurrent registry
// connections, each one request at a time, speaking the registry protocol (PROTOCOL-BRIEF §4.1–§4.2) directly over
// length-prefixed JSON frames. Client-side crypto is native (node:crypto Ed25519/X25519, ~15 µs a signature instead
// of ~180 µs in pure JS), so the one or two client cores are not what limits the rate of the registry under test.
// Every timed request's latency is returned, for percentiles over all workers.
import { Buffer } from "node:buffer";
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject, sign } from "node:crypto";
import { noiseBindingBytes } from "../../src/crypto/mod.ts";
import { registrySignedBytes } from "../../src/registry/mod.ts";
import { concatBytes, fromHex, randomBytes, toBase64 } from "../../src/util/bytes.ts";
import { encodeRegistryFrame, FrameReader, parseJsonBody } from "../../src/wire/mod.ts";
import { absoluteNowMs } from "./load_messages.ts";

type Json = Record<string, unknown>;

export type RegistryLoadRequest =
  /** Untimed: makes `count` more node identities (kept across runs; every run registers them on a fresh store). */
  | { readonly op: "identities"; readonly count: number }
  /** Opens `connections` connections, connection k to `addresses[(offset + k) % addresses.length]`. */
  | { readonly op: "connect"; readonly addresses: readonly string[]; readonly connections: number; offset: number }
  /** Timed: registers this worker's first `count` identities as public nodes. */
  | { readonly op: "register"; readonly count: number }
  /** Timed: `count` lookups of random `targets`, each connection signing as one of its registered nodes. */
  | { readonly op: "lookup"; readonly count: number; readonly targets: readonly number[] }
  /** Timed: `count` heartbeats, each by a random node this worker registered. */
  | { readonly op: "heartbeat"; readonly count: number }
  | { readonly op: "close" };

export interface RegistryLoadTiming {
  /** Absolute ms (timeOrigin + now) of the first request and the last reply. */
  readonly startMs: number;
  readonly endMs: number;
  readonly done: number;
  readonly latenciesMs: Float64Array;
}

export type RegistryLoadReply =
  | {
    readonly ok: true;
    readonly timing?: RegistryLoadTiming;
    readonly nodeIds?: readonly number[];
    /** Registrations answered `internal` (storage failure) and tried again. */
    readonly retried?: number;
  }
  | { readonly ok: false; readonly error: string };

const READ_BUFFER_BYTES = 64 * 1024;
const BENCH_LISTEN_PORT = 4000;
const PKCS8_ED25519_PREFIX = fromHex("302e020100300506032b657004220420");
const RAW_KEY_BYTES = 32;
/** Attempts per registration when the registry answers `internal` (e.g. a transaction that kept conflicting). */
const REGISTER_ATTEMPTS = 5;

/** An `error` reply from the registry. */
class ReplyError extends Error {
  readonly code: string;
  constructor(type: unknown, reply: Json) {
    super(`${type} failed: ${JSON.stringify(reply)}`);
    this.code = String(reply.code);
  }
}

interface BenchIdentity {
  readonly seed: Uint8Array;
  readonly publicKey: Uint8Array;
  readonly noisePublicKey: Uint8Array;
  readonly noiseIssuedAt: number;
  readonly noiseSig: Uint8Array;
}

function signingKey(seed: Uint8Array): KeyObject {
  return createPrivateKey({ key: Buffer.from(concatBytes(PKCS8_ED25519_PREFIX, seed)), format: "der", type: "pkcs8" });
}

/** The raw 32-byte key at the end of an Ed25519/X25519 SubjectPublicKeyInfo. */
function rawPublic(key: KeyObject): Uint8Array {
  const pub = key.type === "public" ? key : createPublicKey(key);
  const der = pub.export({ format: "der", type: "spki" });
  return new Uint8Array(der.subarray(der.length - RAW_KEY_BYTES));
}

/** The same identity generateIdentity() makes (PROTOCOL-BRIEF §3.2), with native keygen and signing. */
function benchIdentity(): BenchIdentity {
  const seed = randomBytes(RAW_KEY_BYTES);
  const key = signingKey(seed);
  const noisePublicKey = rawPublic(generateKeyPairSync("x25519").publicKey);
  const noiseIssuedAt = Date.now();
  const noiseSig = new Uint8Array(sign(null, noiseBindingBytes(noisePublicKey, noiseIssuedAt), key));
  return { seed, publicKey: rawPublic(key), noisePublicKey, noiseIssuedAt, noiseSig };
}

function signed(req: Json, key: KeyObject): Json {
  req.sig = toBase64(new Uint8Array(sign(null, registrySignedBytes(req), key)));
  return req;
}

/** One registry connection, one request in flight. */
class FrameConn {
  readonly #conn: Deno.Conn;
  readonly #reader = new FrameReader();
  readonly #buf = new Uint8Array(READ_BUFFER_BYTES);

  constructor(conn: Deno.Conn) {
    this.#conn = conn;
  }

  /** Sends `req` and returns its `_ok` reply; an `error` reply throws. */
  async request(req: Json): Promise<Json> {
    const frame = encodeRegistryFrame(req);
    for (let off = 0; off < frame.length;) off += await this.#conn.write(frame.subarray(off));
    for (;;) {
      const next = this.#reader.next();
      if (next.kind === "frame") {
        const parsed = parseJsonBody(next.body);
        if (!parsed.ok) throw new Error(`registry sent a malformed frame: ${parsed.reason}`);
        const reply = parsed.value;
        if (reply.type === "notify") continue;
        if (reply.type !== `${req.type}_ok`) throw new ReplyError(req.type, reply);
        return reply;
      }
      if (next.kind === "too_large") throw new Error("registry sent a bad frame length");
      const n = await this.#conn.read(this.#buf);
      if (n === null) throw new Error("registry closed the connection");
      this.#reader.push(this.#buf.subarray(0, n));
    }
  }

  close(): void {
    this.#conn.close();
  }
}

/** Runs requests on every connection concurrently until `count` are done; records each one's latency. */
async function timedLoop(
  conns: readonly FrameConn[],
  count: number,
  perRequest: (conn: FrameConn, connIndex: number, i: number) => Promise<void>,
): Promise<RegistryLoadTiming> {
  const latenciesMs = new Float64Array(count);
  let next = 0;
  const startMs = absoluteNowMs();
  await Promise.all(conns.map(async (conn, c) => {
    while (next < count) {
      const i = next++;
      const t0 = performance.now();
      await perRequest(conn, c, i);
      latenciesMs[i] = performance.now() - t0;
    }
  }));
  return { startMs, endMs: absoluteNowMs(), done: count, latenciesMs };
}

function splitHostPort(address: string): { hostname: string; port: number } {
  const colon = address.lastIndexOf(":");
  return { hostname: address.slice(0, colon), port: Number(address.slice(colon + 1)) };
}

class RegistryLoadWorker {
  readonly #identities: BenchIdentity[] = [];
  #conns: FrameConn[] = [];
  /** Node ids of this run's registered identities, by identity index. */
  #nodeIds: number[] = [];
  /** The node each connection signs lookups as, with its key. */
  #signers: { nodeId: number; key: KeyObject }[] = [];

  async handle(req: RegistryLoadRequest): Promise<RegistryLoadReply> {
    switch (req.op) {
      case "identities":
        for (let i = 0; i < req.count; i++) this.#identities.push(benchIdentity());
        return { ok: true };
      case "connect":
        this.#conns = await Promise.all(
          Array.from({ length: req.connections }, async (_, k) => {
            const address = req.addresses[(req.offset + k) % req.addresses.length];
            return new FrameConn(await Deno.connect({ ...splitHostPort(address), transport: "tcp" }));
          }),
        );
        this.#nodeIds = [];
        this.#signers = [];
        return { ok: true };
      case "register":
        return await this.#register(req.count);
      case "lookup": {
        const { targets } = req;
        const timing = await timedLoop(this.#conns, req.count, async (conn, c) => {
          const signer = this.#signers[c % this.#signers.length];
          const target = targets[Math.floor(Math.random() * targets.length)];
          const reply = await conn.request(signed(this.#signedFields("lookup", signer.nodeId, { target }), signer.key));
          if (reply.node_id !== target) throw new Error(`lookup of ${target} answered node ${reply.node_id}`);
        });
        return { ok: true, timing };
      }
      case "heartbeat": {
        const timing = await timedLoop(this.#conns, req.count, async (conn) => {
          const i = Math.floor(Math.random() * this.#nodeIds.length);
          const key = signingKey(this.#identities[i].seed);
          await conn.request(signed(this.#signedFields("heartbeat", this.#nodeIds[i], {}), key));
        });
        return { ok: true, timing };
      }
      case "close":
        for (const c of this.#conns) c.close();
        this.#conns = [];
        return { ok: true };
    }
  }

  #signedFields(type: string, nodeId: number, fields: Json): Json {
    return { ...fields, type, node_id: nodeId, ts: Date.now(), nonce: toBase64(randomBytes(16)) };
  }

  async #register(count: number): Promise<RegistryLoadReply> {
    if (count > this.#identities.length) throw new Error(`only ${this.#identities.length} identities made`);
    const nodeIds = new Array<number>(count);
    let retried = 0;
    const timing = await timedLoop(this.#conns, count, async (conn, _c, i) => {
      for (let attempt = 1;; attempt++) {
        try {
          nodeIds[i] = await this.#registerOne(conn, this.#identities[i]);
          return;
        } catch (err) {
          if (!(err instanceof ReplyError) || err.code !== "internal" || attempt >= REGISTER_ATTEMPTS) throw err;
          retried++;
        }
      }
    });
    this.#nodeIds = nodeIds;
    this.#signers = this.#conns.map((_, c) => ({
      nodeId: nodeIds[c % count],
      key: signingKey(this.#identities[c % count].seed),
    }));
    return { ok: true, timing, nodeIds, retried };
  }

  /** register_begin + register; the node id. */
  async #registerOne(conn: FrameConn, id: BenchIdentity): Promise<number> {
    const publicKey = toBase64(id.publicKey);
    const begin = await conn.request({ type: "register_begin", public_key: publicKey });
    const req: Json = {
      type: "register",
      public_key: publicKey,
      challenge: begin.challenge,
      ts: Date.now(),
      nonce: toBase64(randomBytes(16)),
      listen_port: BENCH_LISTEN_PORT,
      noise_public_key: toBase64(id.noisePublicKey),
      noise_issued_at: id.noiseIssuedAt,
      noise_sig: toBase64(id.noiseSig),
      public: true,
    };
    const ok = await conn.request(signed(req, signingKey(id.seed)));
    return Number(ok.node_id);
  }
}

interface WorkerScope {
  postMessage(message: RegistryLoadReply): void;
  addEventListener(type: "message", listener: (event: MessageEvent<RegistryLoadRequest>) => void): void;
}

const scope = globalThis as unknown as WorkerScope;
const worker = new RegistryLoadWorker();
// The pool sends one request at a time and waits for its reply, so handling them in order needs no queue.
scope.addEventListener("message", (event) => {
  worker.handle(event.data).then(
    (reply) => scope.postMessage(reply),
    (err) => scope.postMessage({ ok: false, error: err instanceof Error ? err.message : String(err) }),
  );
});
