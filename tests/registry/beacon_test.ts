// The beacon without sockets (PROTOCOL-BRIEF §5.1–5.4): a recording sink, a manual clock and the registry store.
import assert from "node:assert/strict";
import { ed25519Sign } from "../../src/crypto/ed25519.ts";
import { randomBytes, toHex } from "../../src/util/bytes.ts";
import {
  type BeaconMessage,
  beaconRegisterSignedBytes,
  decodeBeaconMessage,
  encodeBeaconMessage,
  ipFromText,
} from "../../src/wire/mod.ts";
import { Beacon, type DatagramSink, type UdpAddr } from "../../src/registry/beacon.ts";
import { parseLimits, type RegistryLimits } from "../../src/registry/limits.ts";
import { Harness, LIMITS_OFF, quietLogger, type TestNode } from "./helpers.ts";

class RecordingSink implements DatagramSink {
  readonly sent: { msg: BeaconMessage; bytes: Uint8Array; to: UdpAddr }[] = [];
  send(bytes: Uint8Array, to: UdpAddr): void {
    this.sent.push({ msg: decodeBeaconMessage(bytes), bytes: bytes.slice(), to });
  }
  take(): { msg: BeaconMessage; bytes: Uint8Array; to: UdpAddr }[] {
    return this.sent.splice(0);
  }
}

async function setup(limits: RegistryLimits = LIMITS_OFF) {
  const h = await Harness.create({ limits });
  const sink = new RecordingSink();
  const beacon = new Beacon(sink, {
    store: h.store,
    clock: h.clock,
    log: quietLogger(h.clock),
    metrics: h.ctx.metrics,
    limits,
  });
  return { h, sink, beacon };
}

function discover(nodeId: number): Uint8Array {
  return encodeBeaconMessage({ type: "discover", nodeId, txid: randomBytes(8) });
}

/** DISCOVER then a signed REGISTER from `from`, as a daemon does after registry registration (§5.2). */
async function registerAt(
  ctx: { h: Harness; sink: RecordingSink; beacon: Beacon },
  node: TestNode,
  from: UdpAddr,
): Promise<number> {
  await ctx.beacon.handleDatagram(discover(node.nodeId), from);
  const reply = ctx.sink.take()[0].msg;
  assert.equal(reply.type, "discover_reply");
  if (reply.type !== "discover_reply") throw new Error("unreachable");
  const ts = ctx.h.clock.now();
  const sig = ed25519Sign(
    node.identity.seed,
    beaconRegisterSignedBytes(node.nodeId, ts, reply.challenge, reply.ip, reply.port),
  );
  const reg = encodeBeaconMessage({
    type: "register",
    nodeId: node.nodeId,
    txid: randomBytes(8),
    tsMs: ts,
    challenge: reply.challenge,
    sig,
  });
  await ctx.beacon.handleDatagram(reg, from);
  const ack = ctx.sink.take()[0].msg;
  if (ack.type !== "register_ack") throw new Error(`expected register_ack, got ${ack.type}`);
  return ack.status;
}

const A_ADDR = { hostname: "198.51.100.10", port: 40000 };
const B_ADDR = { hostname: "203.0.113.20", port: 50000 };

Deno.test("DISCOVER is answered with the observed endpoint, status 1 and a challenge", async () => {
  const { h, sink, beacon } = await setup();
  try {
    const txid = randomBytes(8);
    await beacon.handleDatagram(encodeBeaconMessage({ type: "discover", nodeId: 0, txid }), A_ADDR);
    const [out] = sink.take();
    assert.deepEqual(out.to, A_ADDR);
    assert.equal(out.msg.type, "discover_reply");
    if (out.msg.type !== "discover_reply") return;
    assert.deepEqual(out.msg.txid, txid);
    assert.equal(out.msg.status, 1);
    assert.deepEqual(out.msg.ip, ipFromText("198.51.100.10"));
    assert.equal(out.msg.port, 40000);
    assert.equal(out.bytes.length, 33);
  } finally {
    await h.close();
  }
});

Deno.test("REGISTER records the endpoint for 60 s; DISCOVER refreshes it; another endpoint gets status 2", async () => {
  const ctx = await setup();
  const { h, sink, beacon } = ctx;
  try {
    const a = await h.register();
    assert.equal(await registerAt(ctx, a, A_ADDR), 0);
    assert.deepEqual(beacon.registration(a.nodeId), { ip: "198.51.100.10", port: 40000 });
    const stored = await h.store.read((tx) => tx.beaconEndpoint(a.nodeId, h.clock.now()));
    assert.equal(stored?.port, 40000);

    h.clock.advance(50_000);
    await beacon.handleDatagram(discover(a.nodeId), A_ADDR);
    const refreshed = sink.take()[0].msg;
    assert.equal(refreshed.type === "discover_reply" && refreshed.status, 0);
    h.clock.advance(50_000);
    assert.ok(beacon.registration(a.nodeId), "the refresh extended the TTL");
    const storedLater = await h.store.read((tx) => tx.beaconEndpoint(a.nodeId, h.clock.now()));
    assert.ok(storedLater, "the store copy was renewed too");

    await beacon.handleDatagram(discover(a.nodeId), { hostname: "198.51.100.10", port: 40001 });
    const moved = sink.take()[0].msg;
    assert.equal(moved.type === "discover_reply" && moved.status, 2);

    h.clock.advance(60_000);
    assert.equal(beacon.registration(a.nodeId), undefined);
  } finally {
    await h.close();
  }
});

Deno.test("REGISTER replayed from another address fails with a stale challenge (status 3)", async () => {
  const ctx = await setup();
  const { h, sink, beacon } = ctx;
  try {
    const a = await h.register();
    await beacon.handleDatagram(discover(a.nodeId), A_ADDR);
    const reply = sink.take()[0].msg;
    if (reply.type !== "discover_reply") throw new Error("no reply");
    const ts = h.clock.now();
    const reg = encodeBeaconMessage({
      type: "register",
      nodeId: a.nodeId,
      txid: randomBytes(8),
      tsMs: ts,
      challenge: reply.challenge,
      sig: ed25519Sign(a.identity.seed, beaconRegisterSignedBytes(a.nodeId, ts, reply.challenge, reply.ip, reply.port)),
    });
    await beacon.handleDatagram(reg, B_ADDR);
    const ack = sink.take()[0];
    assert.deepEqual(ack.to, B_ADDR);
    assert.equal(ack.msg.type === "register_ack" && ack.msg.status, 3);
    assert.equal(beacon.registration(a.nodeId), undefined);
    // The previous epoch's challenge is still good; two epochs back is not.
    h.clock.advance(60_001);
    await beacon.handleDatagram(reg, A_ADDR);
    const late = sink.take()[0].msg;
    assert.equal(late.type === "register_ack" && late.status, 4, "previous-epoch challenge valid, ts too old");
    h.clock.advance(60_000);
    await beacon.handleDatagram(reg, A_ADDR);
    const stale = sink.take()[0].msg;
    assert.equal(stale.type === "register_ack" && stale.status, 3, "two epochs back the challenge is stale");
  } finally {
    await h.close();
  }
});

Deno.test("REGISTER: bad signature is status 1, unknown node status 2, clock skew status 4", async () => {
  const ctx = await setup();
  const { h, sink, beacon } = ctx;
  try {
    const a = await h.register();
    const b = await h.register();
    const forged = { ...a, identity: b.identity };
    assert.equal(await registerAt(ctx, forged, A_ADDR), 1);
    assert.equal(await registerAt(ctx, { ...a, nodeId: 0x7000 }, A_ADDR), 2);
    await beacon.handleDatagram(discover(a.nodeId), A_ADDR);
    const reply = sink.take()[0].msg;
    if (reply.type !== "discover_reply") throw new Error("no reply");
    const ts = h.clock.now() - 61_000;
    const sig = ed25519Sign(
      a.identity.seed,
      beaconRegisterSignedBytes(a.nodeId, ts, reply.challenge, reply.ip, reply.port),
    );
    await beacon.handleDatagram(
      encodeBeaconMessage({
        type: "register",
        nodeId: a.nodeId,
        txid: randomBytes(8),
        tsMs: ts,
        challenge: reply.challenge,
        sig,
      }),
      A_ADDR,
    );
    assert.equal(sink.take()[0].msg.type === "register_ack" ? 4 : -1, 4);
  } finally {
    await h.close();
  }
});

function relay(src: number, dst: number, inner: Uint8Array): Uint8Array {
  return encodeBeaconMessage({ type: "relay", srcNode: src, dstNode: dst, inner });
}

function pils(size = 64): Uint8Array {
  const b = randomBytes(size);
  b.set([0x50, 0x49, 0x4c, 0x53]);
  return b;
}

Deno.test("RELAY between visible registered nodes becomes RELAY_DELIVER to the destination's endpoint", async () => {
  const ctx = await setup();
  const { h, sink, beacon } = ctx;
  try {
    const a = await h.register({ public: true });
    const b = await h.register();
    await registerAt(ctx, a, A_ADDR);
    await registerAt(ctx, b, B_ADDR);
    const inner = pils(100);
    await beacon.handleDatagram(relay(b.nodeId, a.nodeId, inner), B_ADDR);
    const [out] = sink.take();
    assert.deepEqual(out.to, A_ADDR);
    assert.equal(out.msg.type, "relay_deliver");
    if (out.msg.type !== "relay_deliver") return;
    assert.equal(out.msg.srcNode, b.nodeId);
    assert.equal(out.msg.dstNode, a.nodeId);
    assert.deepEqual(out.msg.inner, inner);
  } finally {
    await h.close();
  }
});

Deno.test("RELAY from a spoofed source is dropped as relay_spoof", async () => {
  const ctx = await setup();
  const { h, sink, beacon } = ctx;
  try {
    const a = await h.register({ public: true });
    const b = await h.register({ public: true });
    await registerAt(ctx, a, A_ADDR);
    await registerAt(ctx, b, B_ADDR);
    await beacon.handleDatagram(relay(b.nodeId, a.nodeId, pils()), { hostname: "192.0.2.66", port: 50000 });
    await beacon.handleDatagram(relay(b.nodeId, a.nodeId, pils()), { hostname: "203.0.113.20", port: 50001 });
    assert.deepEqual(sink.take(), []);
    assert.equal(h.ctx.metrics.drops("relay_spoof"), 2);
  } finally {
    await h.close();
  }
});

Deno.test("RELAY drops: unknown destination, invisible pair, bad inner magic, oversized inner, budget", async () => {
  const ctx = await setup(parseLimits({ relay_packets_per_s: 3 }));
  const { h, sink, beacon } = ctx;
  try {
    const a = await h.register();
    const b = await h.register();
    await registerAt(ctx, a, A_ADDR);
    await registerAt(ctx, b, B_ADDR);
    await beacon.handleDatagram(relay(a.nodeId, 0x7777, pils()), A_ADDR);
    assert.equal(h.ctx.metrics.drops("relay_unknown_dst"), 1);
    await beacon.handleDatagram(relay(a.nodeId, b.nodeId, pils()), A_ADDR);
    assert.equal(h.ctx.metrics.drops("relay_not_visible"), 1);
    await h.call(a, "set_visibility", { public: true });
    // Visibility answers are cached per pair for 10 s.
    h.clock.advance(10_001);
    const bad = pils();
    bad[3] = 0x54; // "PILT": no plaintext frames travel on the wire
    await beacon.handleDatagram(relay(a.nodeId, b.nodeId, bad), A_ADDR);
    assert.equal(h.ctx.metrics.drops("relay_bad_inner"), 1);
    await beacon.handleDatagram(relay(a.nodeId, b.nodeId, pils(1464)), A_ADDR);
    assert.equal(h.ctx.metrics.drops("relay_too_large"), 1);
    await beacon.handleDatagram(relay(a.nodeId, b.nodeId, pils(1463)), A_ADDR);
    assert.equal(sink.take().length, 1);
    await beacon.handleDatagram(relay(a.nodeId, b.nodeId, pils()), A_ADDR);
    await beacon.handleDatagram(relay(a.nodeId, b.nodeId, pils()), A_ADDR);
    await beacon.handleDatagram(relay(a.nodeId, b.nodeId, pils()), A_ADDR);
    assert.equal(sink.take().length, 2);
    assert.equal(h.ctx.metrics.drops("relay_rate"), 1);
  } finally {
    await h.close();
  }
});

Deno.test("malformed and reserved beacon datagrams are counted drops", async () => {
  const { h, sink, beacon } = await setup();
  try {
    await beacon.handleDatagram(new Uint8Array(0), A_ADDR);
    await beacon.handleDatagram(new Uint8Array([0x01, 0, 0]), A_ADDR);
    await beacon.handleDatagram(new Uint8Array([0x03, 1, 2, 3]), A_ADDR);
    await beacon.handleDatagram(
      encodeBeaconMessage({ type: "register_ack", txid: randomBytes(8), status: 0, ttlS: 60 }),
      A_ADDR,
    );
    await beacon.handleDatagram(discover(0), { hostname: "not-an-ip", port: 1 });
    assert.deepEqual(sink.take(), []);
    assert.equal(h.ctx.metrics.drops("beacon_bad_len"), 2);
    assert.equal(h.ctx.metrics.drops("beacon_bad_type"), 2);
    assert.equal(h.ctx.metrics.drops("beacon_bad_source"), 1);
  } finally {
    await h.close();
  }
});

Deno.test("punch jobs become PUNCH_COMMANDs to both peers with the same punch id and a 250 ms delay", async () => {
  const ctx = await setup();
  const { h, sink, beacon } = ctx;
  try {
    const punchId = toHex(randomBytes(8));
    await h.store.transaction((tx) =>
      tx.insertPunchJob({
        punchId,
        nodeA: 0x100,
        nodeB: 0x101,
        endpointA: "198.51.100.10:40000",
        endpointB: "[2001:db8::1]:50000",
        createdAtMs: h.clock.now(),
      })
    );
    await beacon.pollPunchJobs();
    const sent = sink.take();
    assert.equal(sent.length, 2);
    const [toA, toB] = sent;
    assert.deepEqual(toA.to, A_ADDR);
    assert.deepEqual(toB.to, { hostname: "2001:db8::1", port: 50000 });
    if (toA.msg.type !== "punch_command" || toB.msg.type !== "punch_command") throw new Error("not punch commands");
    assert.equal(toA.msg.peerNode, 0x101);
    assert.equal(toB.msg.peerNode, 0x100);
    assert.equal(toHex(toA.msg.punchId), punchId);
    assert.equal(toHex(toB.msg.punchId), punchId);
    assert.equal(toA.msg.delayMs, 250);
    assert.equal(toA.msg.port, 50000);
    assert.equal(toA.bytes.length, 34);
    assert.equal(toB.bytes.length, 22);
    // A second job for the pair inside 5 s is not sent.
    await h.store.transaction((tx) =>
      tx.insertPunchJob({
        punchId: toHex(randomBytes(8)),
        nodeA: 0x101,
        nodeB: 0x100,
        endpointA: "[2001:db8::1]:50000",
        endpointB: "198.51.100.10:40000",
        createdAtMs: h.clock.now(),
      })
    );
    await beacon.pollPunchJobs();
    assert.deepEqual(sink.take(), []);
  } finally {
    await h.close();
  }
});
