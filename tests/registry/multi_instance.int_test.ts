// Two registry instances sharing one PostgreSQL database (PROTOCOL-BRIEF §4.1, §4.2, §4.5, §4.6, §5): A runs the
// beacon, B runs none (`--beacon-listen off`). Directory data, notify pushes, heartbeats, the replay cache, node-id
// allocation and punch jobs must behave as if there were one registry.
import assert from "node:assert/strict";
import { ed25519Sign } from "../../src/crypto/ed25519.ts";
import { generateIdentity } from "../../src/crypto/identity.ts";
import { RegistryClient } from "../../src/registry/client.ts";
import { trustSignedBytes } from "../../src/registry/protocol.ts";
import { type RegistryHandle, startRegistry } from "../../src/registry/server.ts";
import { openPostgresStore, type PostgresStore } from "../../src/registry/store_postgres.ts";
import { randomBytes, toBase64 } from "../../src/util/bytes.ts";
import { type Clock, ManualClock } from "../../src/util/clock.ts";
import { beaconRegisterSignedBytes, decodeBeaconMessage, encodeBeaconMessage } from "../../src/wire/mod.ts";
import { createTestSchema, postgresTest, probePostgres, type TestSchema } from "../_support/postgres.ts";
import { LIMITS_OFF, quietLogger, signRequest } from "./helpers.ts";
import { addressOf, RawConn, UdpPeer } from "./int_helpers.ts";

const pg = await probePostgres();
const POOL = 4;
const WAIT_STEP_MS = 10;
const WAIT_MAX_MS = 5_000;

interface Pair extends AsyncDisposable {
  readonly a: RegistryHandle;
  readonly b: RegistryHandle;
  readonly storeA: PostgresStore;
  readonly storeB: PostgresStore;
}

async function startPair(url: string, clock?: Clock): Promise<Pair> {
  const schema: TestSchema = await createTestSchema(url);
  const storeA = await openPostgresStore(url, { schema: schema.name, poolSize: POOL, clock });
  const storeB = await openPostgresStore(url, { schema: schema.name, poolSize: POOL, clock });
  const common = { listen: "127.0.0.1:0", limits: LIMITS_OFF, logger: quietLogger(), clock };
  const a = await startRegistry({ ...common, beaconListen: "127.0.0.1:0", store: storeA });
  const b = await startRegistry({ ...common, beaconListen: null, store: storeB });
  return {
    a,
    b,
    storeA,
    storeB,
    async [Symbol.asyncDispose]() {
      await a.close();
      await b.close();
      await schema.drop();
    },
  };
}

async function client(reg: RegistryHandle, extra: { clock?: Clock; onNotify?: (n: number) => void } = {}) {
  return await RegistryClient.connect({ address: addressOf(reg), ...extra });
}

/** Polls `check` until it holds; bounded in time. */
async function waitFor(what: string, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + WAIT_MAX_MS;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, WAIT_STEP_MS));
  }
}

/** `p`, or a failure after WAIT_MAX_MS. */
async function within<T>(p: Promise<T>, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), WAIT_MAX_MS);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

postgresTest(pg, "multi-instance: a node registered through A is found through B", async (url) => {
  await using pair = await startPair(url);
  await using ca = await client(pair.a);
  await using cb = await client(pair.b);
  const alpha = await ca.register(generateIdentity(), { listenPort: 4100, hostname: "alpha", public: true });
  const beta = await cb.register(generateIdentity(), { listenPort: 4200 });
  assert.notEqual(alpha.node_id, beta.node_id);
  const seen = await cb.lookup(alpha.node_id);
  assert.equal(seen.hostname, "alpha");
  assert.equal(seen.online, true);
  assert.deepEqual(seen.endpoints, ["127.0.0.1:4100"]);
  assert.equal((await cb.resolveHostname("alpha")).node_id, alpha.node_id);
  const taken = await cb.setHostname("alpha").catch((e) => e);
  assert.equal(taken.code, "already_exists");
});

postgresTest(pg, "multi-instance: a trust message queued through B is pushed as notify on A", async (url) => {
  await using pair = await startPair(url);
  let notified: (n: number) => void = () => {};
  const inbox = new Promise<number>((r) => notified = r);
  await using target = await client(pair.a, { onNotify: (n) => notified(n) });
  await using sender = await client(pair.b);
  const idB = generateIdentity();
  const to = (await target.register(generateIdentity(), { listenPort: 4000 })).node_id;
  const from = (await sender.register(idB, { listenPort: 4000 })).node_id;
  const now = Date.now();
  const msg: Record<string, unknown> = {
    type: "trust_request",
    from,
    to,
    ts: now,
    exp: now + 600_000,
    nonce: toBase64(randomBytes(16)),
    justification: "across instances",
  };
  msg.sig = toBase64(ed25519Sign(idB.seed, trustSignedBytes(msg)));
  await sender.handshakeRequest(to, msg);
  assert.equal(await within(inbox, "the notify push on A"), 1);
  const poll = await target.handshakePoll();
  assert.deepEqual(poll.messages.map((m) => m.message), [msg]);
});

postgresTest(pg, "multi-instance: heartbeats through either instance keep a node online", async (url) => {
  const clock = new ManualClock(Date.now());
  await using pair = await startPair(url, clock);
  await using ca = await client(pair.a, { clock });
  await using cq = await client(pair.a, { clock });
  const id = generateIdentity(clock);
  const node = (await ca.register(id, { listenPort: 4000, public: true })).node_id;
  const quiet = (await cq.register(generateIdentity(clock), { listenPort: 4000, public: true })).node_id;

  clock.advance(100_000);
  const raw = await RawConn.open(pair.b);
  try {
    const hb = await raw.request(signRequest({ nodeId: node, identity: id }, clock.now(), "heartbeat"));
    assert.equal(hb.type, "heartbeat_ok", JSON.stringify(hb));
  } finally {
    raw.close();
  }
  clock.advance(100_000);
  // 200 s after registering: only the heartbeat B received keeps `node` within the 180 s online window.
  assert.equal((await cq.lookup(node)).online, true);
  assert.equal((await ca.lookup(quiet)).online, false);
});

postgresTest(pg, "multi-instance: a nonce used on A is rejected as a replay on B", async (url) => {
  await using pair = await startPair(url);
  await using ca = await client(pair.a);
  const reg = await ca.register(generateIdentity(), { listenPort: 4000 });
  const captured = ca.signRequest("set_hostname", { hostname: "first" });
  assert.equal((await ca.request(captured)).type, "set_hostname_ok");
  const nonce = String(captured.nonce);
  // A hands the nonce to the store as soon as it is recorded; once it is there, B has heard of it.
  await waitFor("A's nonce is in the store", async () => {
    const entries = await pair.storeB.read((tx) => tx.loadReplayEntries(Date.now()));
    return entries.some((e) => e.nodeId === reg.node_id && toBase64(e.nonce) === nonce);
  });
  await pair.storeB.syncEvents();
  await ca.setHostname("second");
  const raw = await RawConn.open(pair.b);
  try {
    const r = await raw.request(captured);
    assert.equal(r.code, "replay", JSON.stringify(r));
  } finally {
    raw.close();
  }
  assert.equal((await ca.lookup(reg.node_id)).hostname, "second");
});

postgresTest(pg, "multi-instance: concurrent registrations on both instances get unique node ids", async (url) => {
  await using pair = await startPair(url);
  const PER_INSTANCE = 8;
  const clients = await Promise.all(
    Array.from({ length: PER_INSTANCE * 2 }, (_, i) => client(i % 2 === 0 ? pair.a : pair.b)),
  );
  try {
    const ids = await Promise.all(
      clients.map((c) => c.register(generateIdentity(), { listenPort: 4000 }).then((ok) => ok.node_id)),
    );
    assert.equal(new Set(ids).size, ids.length, `duplicate node ids: ${ids}`);
    // The same key registering on both instances at once is one node.
    const twin = generateIdentity();
    const [x, y] = await Promise.all([
      clients[0].register(twin, { listenPort: 1 }),
      clients[1].register(twin, {
        listenPort: 2,
      }),
    ]);
    assert.equal(x.node_id, y.node_id);
    assert.equal([x.new, y.new].filter(Boolean).length, 1);
  } finally {
    for (const c of clients) await c.close();
  }
});

async function joinBeacon(reg: RegistryHandle, peer: UdpPeer, nodeId: number, seed: Uint8Array): Promise<void> {
  const port = reg.beaconAddr!.port;
  await peer.send(encodeBeaconMessage({ type: "discover", nodeId, txid: randomBytes(8) }), port);
  const reply = decodeBeaconMessage(await peer.receive());
  if (reply.type !== "discover_reply") throw new Error("expected discover_reply");
  const ts = Date.now();
  const sig = ed25519Sign(seed, beaconRegisterSignedBytes(nodeId, ts, reply.challenge, reply.ip, reply.port));
  await peer.send(
    encodeBeaconMessage({ type: "register", nodeId, txid: randomBytes(8), tsMs: ts, challenge: reply.challenge, sig }),
    port,
  );
  const ack = decodeBeaconMessage(await peer.receive());
  if (ack.type !== "register_ack" || ack.status !== 0) throw new Error("beacon registration failed");
}

postgresTest(pg, "multi-instance: punch on B reaches A's beacon; deregister on B clears it there", async (url) => {
  await using pair = await startPair(url);
  await using ca = await client(pair.a);
  await using cb = await client(pair.b);
  const idA = generateIdentity();
  const idB = generateIdentity();
  const nodeA = (await ca.register(idA, { listenPort: 4000, public: true })).node_id;
  const nodeB = (await cb.register(idB, { listenPort: 4000, public: true })).node_id;
  const pa = new UdpPeer();
  const pb = new UdpPeer();
  try {
    await joinBeacon(pair.a, pa, nodeA, idA.seed);
    await joinBeacon(pair.a, pb, nodeB, idB.seed);
    const p = await cb.punch(nodeA);
    assert.equal(p.target_endpoint, `127.0.0.1:${pa.port}`);
    const [toA, toB] = [decodeBeaconMessage(await pa.receive()), decodeBeaconMessage(await pb.receive())];
    if (toA.type !== "punch_command" || toB.type !== "punch_command") throw new Error("expected punch commands");
    assert.equal(toA.peerNode, nodeB);
    assert.equal(toB.peerNode, nodeA);

    assert.notEqual(pair.a.beacon!.registration(nodeB), undefined);
    await cb.deregister();
    await pair.storeA.syncEvents();
    assert.equal(pair.a.beacon!.registration(nodeB), undefined);
  } finally {
    pa.close();
    pb.close();
  }
});
