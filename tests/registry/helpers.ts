// Test harness for the registry: an in-process context over a :memory: store and a manual clock, a fake connection
// that records pushes, and helpers that register nodes and sign requests exactly as the client does.
import assert from "node:assert/strict";
import { ed25519Sign } from "../../src/crypto/ed25519.ts";
import { generateIdentity, type Identity } from "../../src/crypto/identity.ts";
import { Logger, MemorySink } from "../../src/log/logger.ts";
import { randomBytes, toBase64, utf8 } from "../../src/util/bytes.ts";
import { type Clock, ManualClock } from "../../src/util/clock.ts";
import { ChallengeBook, ReplayCache } from "../../src/registry/auth.ts";
import {
  type BeaconHooks,
  type ConnInfo,
  Liveness,
  NodeSessions,
  RateLimiter,
  type RegistryContext,
} from "../../src/registry/context.ts";
import { handleFrame } from "../../src/registry/dispatch.ts";
import { DEFAULT_LIMITS, parseLimits, type RegistryLimits } from "../../src/registry/limits.ts";
import { RegistryMetrics } from "../../src/registry/metrics.ts";
import { registrySignedBytes } from "../../src/registry/protocol.ts";
import { MEMORY_STORE, openSqliteStore } from "../../src/registry/store_sqlite.ts";
import type { RegistryStore } from "../../src/registry/store.ts";

export type Json = Record<string, unknown>;

export const LIMITS_OFF: RegistryLimits = parseLimits({ enabled: false });

let connIds = 1;

export class FakeConn implements ConnInfo {
  readonly id = connIds++;
  readonly challenges = new ChallengeBook();
  readonly pushed: Json[] = [];
  readonly remoteIp: string;
  constructor(remoteIp = "127.0.0.1") {
    this.remoteIp = remoteIp;
  }
  push(frame: Json): void {
    this.pushed.push(frame);
  }
}

export function quietLogger(clock?: Clock): Logger {
  return new Logger({ sink: new MemorySink(), level: "error", clock });
}

export interface TestNode {
  readonly nodeId: number;
  readonly identity: Identity;
  readonly conn: FakeConn;
}

/** Builds a complete signed request as RegistryClient.signRequest does. */
export function signRequest(
  node: { nodeId: number; identity: Identity },
  ts: number,
  type: string,
  fields: Json = {},
): Json {
  const req: Json = { ...fields, type, node_id: node.nodeId, ts, nonce: toBase64(randomBytes(16)) };
  req.sig = toBase64(ed25519Sign(node.identity.seed, registrySignedBytes(req)));
  return req;
}

export class Harness {
  readonly clock: ManualClock;
  readonly store: RegistryStore;
  readonly ctx: RegistryContext;
  readonly state = { closing: false };

  private constructor(store: RegistryStore, clock: ManualClock, limits: RegistryLimits, beacon: BeaconHooks | null) {
    this.store = store;
    this.clock = clock;
    this.ctx = {
      store,
      clock,
      log: quietLogger(clock),
      limits,
      registryId: "test-registry",
      startedAtMs: clock.now(),
      replay: new ReplayCache(),
      liveness: new Liveness(),
      sessions: new NodeSessions(),
      rates: new RateLimiter(limits),
      metrics: new RegistryMetrics(),
      beacon,
    };
  }

  static async create(
    opts: { limits?: RegistryLimits; beacon?: BeaconHooks; clock?: ManualClock } = {},
  ): Promise<Harness> {
    const clock = opts.clock ?? new ManualClock(1_767_225_600_000);
    return new Harness(await openSqliteStore(MEMORY_STORE), clock, opts.limits ?? LIMITS_OFF, opts.beacon ?? null);
  }

  /** Sends raw body bytes as one frame. */
  raw(body: Uint8Array, conn: ConnInfo = new FakeConn()): Promise<Json> {
    return handleFrame(this.ctx, conn, body, this.state);
  }

  send(obj: Json, conn: ConnInfo = new FakeConn()): Promise<Json> {
    return this.raw(utf8(JSON.stringify(obj)), conn);
  }

  /** Sends and asserts an `_ok` reply. */
  async ok(obj: Json, conn?: ConnInfo): Promise<Json> {
    const reply = await this.send(obj, conn);
    assert.equal(reply.type, `${obj.type}_ok`, `expected ${obj.type}_ok, got ${JSON.stringify(reply)}`);
    return reply;
  }

  /** Sends and asserts an `error` reply with `code`. */
  async fails(obj: Json, code: string, conn?: ConnInfo): Promise<Json> {
    const reply = await this.send(obj, conn);
    assert.equal(reply.type, "error", `expected error ${code}, got ${JSON.stringify(reply)}`);
    assert.equal(reply.code, code, `expected ${code}, got ${JSON.stringify(reply)}`);
    return reply;
  }

  registerRequest(identity: Identity, challenge: string, fields: Json = {}): Json {
    const req: Json = {
      type: "register",
      public_key: toBase64(identity.publicKey),
      challenge,
      ts: this.clock.now(),
      nonce: toBase64(randomBytes(16)),
      listen_port: 4000,
      noise_public_key: toBase64(identity.noisePublicKey),
      noise_issued_at: identity.noiseIssuedAt,
      noise_sig: toBase64(identity.noiseSig),
      ...fields,
    };
    req.sig = toBase64(ed25519Sign(identity.seed, registrySignedBytes(req)));
    return req;
  }

  async begin(identity: Identity, conn: ConnInfo): Promise<string> {
    const r = await this.ok({ type: "register_begin", public_key: toBase64(identity.publicKey) }, conn);
    return String(r.challenge);
  }

  /** Registers a (new or given) identity over a fresh fake connection. */
  async register(
    fields: Json = {},
    identity: Identity = generateIdentity(this.clock),
  ): Promise<TestNode & { reply: Json }> {
    const conn = new FakeConn();
    const challenge = await this.begin(identity, conn);
    const reply = await this.ok(this.registerRequest(identity, challenge, fields), conn);
    return { nodeId: Number(reply.node_id), identity, conn, reply };
  }

  signed(node: TestNode, type: string, fields: Json = {}): Json {
    return signRequest(node, this.clock.now(), type, fields);
  }

  /** Signs and sends as `node`, asserting `_ok`. */
  call(node: TestNode, type: string, fields: Json = {}): Promise<Json> {
    return this.ok(this.signed(node, type, fields), node.conn);
  }

  async close(): Promise<void> {
    await this.store.close();
  }
}

export { DEFAULT_LIMITS };
