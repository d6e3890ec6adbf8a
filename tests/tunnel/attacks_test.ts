// Attacks the brief implies (PROTOCOL-BRIEF §3.3, §3.6, §3.8, §3.9, §5.4, §10): replays, tampering, spoofed sources,
// forged handshakes, floods and random input. Each test checks the drop reason and that no state moved.
import assert from "node:assert/strict";
import { computeMac1, computeMac2, cookieKey, generateIdentity, mac1Key, openCookie } from "../../src/crypto/mod.ts";
import { bytesEqual } from "../../src/util/bytes.ts";
import { ManualClock } from "../../src/util/clock.ts";
import { Initiation, localHandshakeIdentity, type PeerKeys } from "../../src/tunnel/mod.ts";
import {
  encodeBeaconMessage,
  PILH_BYTES,
  PILH_MAC1_OFFSET,
  PILH_MAC2_OFFSET,
  PILR_MAC1_OFFSET,
} from "../../src/wire/mod.ts";
import { withSeed } from "../_support/prng.ts";
import { magicOf, packet, rebind, TestWire } from "./_support.ts";

const A = 0x101;
const B = 0x102;
const EVE_ADDR = { hostname: "203.0.113.66", port: 6666 };

async function connected(extraB: Parameters<TestWire["add"]>[2] = {}) {
  const clock = new ManualClock();
  const wire = new TestWire(clock);
  const a = wire.add(A, "10.0.0.1");
  const b = wire.add(B, "10.0.0.2", extraB);
  const connecting = a.tunnel.connect(B, [b.conn.localAddr], 20_000);
  wire.flush();
  await connecting;
  return { clock, wire, a, b };
}

/** The frames A sends to B for `count` packets, captured instead of delivered. */
function capturePils(a: ReturnType<TestWire["add"]>, count: number): Uint8Array[] {
  for (let i = 0; i < count; i++) a.tunnel.send(B, packet(Uint8Array.of(i)));
  return a.conn.take().map((s) => s.data);
}

Deno.test("a replayed PILH is dropped as hs_replay and gets no second PILR", async () => {
  const clock = new ManualClock();
  const wire = new TestWire(clock);
  const a = wire.add(A, "10.0.0.1");
  const b = wire.add(B, "10.0.0.2");
  const connecting = a.tunnel.connect(B, [b.conn.localAddr], 20_000);
  const pilh = a.conn.sent[0].data.slice();
  wire.flush();
  await connecting;
  clock.advance(1_000);
  b.tunnel.handleDatagram(pilh, a.conn.localAddr);
  b.tunnel.handleDatagram(pilh, EVE_ADDR);
  assert.equal(b.tunnel.dropCount("hs_replay"), 2);
  assert.equal(b.conn.sent.length, 0, "no PILR for a replay");
  await wire.closeAll();
});

Deno.test("a PILH whose timestamp is more than 300 s off is dropped as hs_replay", async () => {
  const clock = new ManualClock();
  const wire = new TestWire(clock);
  const a = wire.add(A, "10.0.0.1");
  const b = wire.add(B, "10.0.0.2");
  const aLocal = localHandshakeIdentity(A, a.identity);
  for (const skew of [-300_001, 300_001]) {
    const { frame } = Initiation.create(aLocal, {
      responderNode: B,
      responderStatic: b.identity.noisePublicKey,
      senderIndex: 77,
      timestampMs: clock.now() + skew,
      cookie: null,
    });
    b.tunnel.handleDatagram(frame, a.conn.localAddr);
  }
  assert.equal(b.tunnel.dropCount("hs_replay"), 2);
  assert.equal(b.conn.sent.length, 0);
  await wire.closeAll();
});

Deno.test("a PILH with a bad mac1 is dropped before any key lookup or reply", async () => {
  const clock = new ManualClock();
  const wire = new TestWire(clock);
  let lookups = 0;
  const a = wire.add(A, "10.0.0.1");
  const b = wire.add(B, "10.0.0.2", {
    keyResolver: (n) => {
      lookups++;
      return wire.registry.get(n) ?? null;
    },
  });
  void a.tunnel.connect(B, [b.conn.localAddr], 1_000).catch(() => {});
  const pilh = a.conn.take()[0].data;
  pilh[PILH_MAC1_OFFSET + 3] ^= 0x80;
  b.tunnel.handleDatagram(pilh, a.conn.localAddr);
  assert.equal(b.tunnel.dropCount("bad_mac1"), 1);
  assert.equal(b.tunnel.dropCount("hs_decrypt"), 0);
  assert.equal(lookups, 0);
  assert.equal(b.conn.sent.length, 0);
  await wire.closeAll();
});

Deno.test("a replayed PILS is dropped as replay and a tampered one as auth_fail; neither changes state", async () => {
  const { wire, a, b } = await connected();
  const [f0, f1] = capturePils(a, 2);
  b.tunnel.handleDatagram(f0, a.conn.localAddr);
  const before = JSON.stringify(b.tunnel.peers());
  b.tunnel.handleDatagram(f0, a.conn.localAddr);
  assert.equal(b.tunnel.dropCount("replay"), 1);
  for (const at of [4, 9, 16, f1.length - 1]) {
    const bad = f1.slice();
    bad[at] ^= 0x10;
    b.tunnel.handleDatagram(bad, EVE_ADDR);
  }
  assert.equal(b.tunnel.dropCount("auth_fail"), 3, "one flip hit the receiver index: unknown_index");
  assert.equal(b.tunnel.dropCount("unknown_index"), 1);
  assert.equal(JSON.stringify(b.tunnel.peers()), before, "counters, endpoint and last_seen unchanged");
  assert.equal(b.packets.length, 1);
  b.tunnel.handleDatagram(f1, a.conn.localAddr);
  assert.equal(b.packets.length, 2, "the genuine frame with the tampered counter still opens");
  await wire.closeAll();
});

Deno.test("a PILS from a new address with an old counter does not move the endpoint", async () => {
  const { wire, a, b } = await connected();
  const [old, newer] = capturePils(a, 2);
  b.tunnel.handleDatagram(newer, a.conn.localAddr);
  b.tunnel.handleDatagram(old, EVE_ADDR);
  assert.equal(b.packets.length, 2, "an in-window frame is still delivered");
  b.tunnel.handleDatagram(newer, EVE_ADDR);
  assert.equal(b.tunnel.dropCount("replay"), 1);
  assert.deepEqual(b.tunnel.peers().map((p) => p.endpoint), ["10.0.0.1:4000"]);
  assert.ok(!b.events.some((e) => e.type === "path_changed"));
  await wire.closeAll();
});

Deno.test("a PILS with a newer counter from a new address roams the endpoint", async () => {
  const { wire, a, b } = await connected();
  const [f] = capturePils(a, 1);
  const roamed = { hostname: "198.51.100.7", port: 40000 };
  b.tunnel.handleDatagram(f, roamed);
  assert.deepEqual(b.tunnel.peers().map((p) => p.endpoint), ["198.51.100.7:40000"]);
  assert.deepEqual(b.events.at(-1), { type: "path_changed", peer: A, path: "direct", endpoint: roamed });
  b.tunnel.send(A, packet("reply"));
  assert.deepEqual(b.conn.take().map((s) => s.to), [roamed]);
  await wire.closeAll();
});

Deno.test("a PILH from a new address never moves the endpoint", async () => {
  const { wire, a, b, clock } = await connected();
  clock.advance(1_000);
  const aLocal = localHandshakeIdentity(A, a.identity);
  const { frame } = Initiation.create(aLocal, {
    responderNode: B,
    responderStatic: b.identity.noisePublicKey,
    senderIndex: 1234,
    timestampMs: clock.now(),
    cookie: null,
  });
  b.tunnel.handleDatagram(frame, EVE_ADDR);
  assert.deepEqual(b.conn.take().map((s) => [magicOf(s.data), s.to]), [["PILR", EVE_ADDR]], "answered at the source");
  assert.deepEqual(b.tunnel.peers().map((p) => p.endpoint), ["10.0.0.1:4000"]);
  b.tunnel.send(A, packet("still on the current keyset and endpoint"));
  wire.flush();
  assert.equal(a.packets.length, 1);
  await wire.closeAll();
});

Deno.test("forged PILRs are dropped and the genuine PILR still completes the handshake", async () => {
  const clock = new ManualClock();
  const wire = new TestWire(clock);
  const a = wire.add(A, "10.0.0.1");
  const b = wire.add(B, "10.0.0.2");
  const connecting = a.tunnel.connect(B, [b.conn.localAddr], 20_000);
  const pilh = a.conn.take()[0].data;
  b.tunnel.handleDatagram(pilh, a.conn.localAddr);
  const pilr = b.conn.take()[0].data;
  // Garbage with the right receiver index: bad mac1.
  const garbage = crypto.getRandomValues(new Uint8Array(100));
  garbage.set(pilr.subarray(0, 12));
  a.tunnel.handleDatagram(garbage, EVE_ADDR);
  // Valid mac1 (Alice's static key is public) over garbage: fails in Noise.
  garbage.set(computeMac1(mac1Key(a.identity.noisePublicKey), garbage.subarray(0, PILR_MAC1_OFFSET)), PILR_MAC1_OFFSET);
  a.tunnel.handleDatagram(garbage, EVE_ADDR);
  // Unknown receiver index.
  const stray = pilr.slice();
  stray[11] ^= 0xff;
  a.tunnel.handleDatagram(stray, EVE_ADDR);
  assert.deepEqual(a.tunnel.drops(), { bad_mac1: 1, hs_decrypt: 1, unknown_index: 1 });
  assert.deepEqual(a.tunnel.peers().map((p) => p.authenticated), [false]);
  a.tunnel.handleDatagram(pilr, b.conn.localAddr);
  assert.equal((await connecting).kind, "direct");
  assert.deepEqual(a.tunnel.peers().map((p) => p.endpoint), ["10.0.0.2:4000"]);
  await wire.closeAll();
});

Deno.test("a forged PILC is dropped as bad_cookie and the next PILH carries no mac2", async () => {
  const clock = new ManualClock();
  const wire = new TestWire(clock);
  const a = wire.add(A, "10.0.0.1");
  const b = wire.add(B, "10.0.0.2");
  wire.filter = () => "drop";
  const connecting = a.tunnel.connect(B, [b.conn.localAddr], 3_000);
  const failed = assert.rejects(connecting);
  const pilh = a.conn.take()[0].data;
  const pilc = new Uint8Array(52);
  pilc.set(new TextEncoder().encode("PILC"));
  pilc.set(pilh.subarray(4, 8), 4); // the right receiver index, but not sealed by B
  a.tunnel.handleDatagram(pilc, EVE_ADDR);
  assert.equal(a.tunnel.dropCount("bad_cookie"), 1);
  pilc[7] ^= 1;
  a.tunnel.handleDatagram(pilc, EVE_ADDR);
  assert.equal(a.tunnel.dropCount("unknown_index"), 1);
  clock.advance(1_000);
  a.tunnel.tick();
  const retry = a.conn.take().find((s) => magicOf(s.data) === "PILH")!;
  assert.ok(retry.data.subarray(PILH_MAC2_OFFSET).every((x) => x === 0));
  clock.advance(2_000);
  a.tunnel.tick();
  await failed;
  await wire.closeAll();
});

Deno.test("a PILH whose binding is older than the newest seen is dropped as hs_stale_binding", async () => {
  const { wire, a, b, clock } = await connected();
  clock.advance(1_000);
  const older = rebind(a.identity, a.identity.noiseIssuedAt - 60_000);
  const { frame } = Initiation.create(localHandshakeIdentity(A, older), {
    responderNode: B,
    responderStatic: b.identity.noisePublicKey,
    senderIndex: 55,
    timestampMs: clock.now(),
    cookie: null,
  });
  b.tunnel.handleDatagram(frame, a.conn.localAddr);
  assert.equal(b.tunnel.dropCount("hs_stale_binding"), 1);
  assert.equal(b.conn.sent.length, 0);
  await wire.closeAll();
});

Deno.test("a PILH whose binding is not signed by the node's identity key is dropped as hs_bad_binding", async () => {
  const clock = new ManualClock();
  const wire = new TestWire(clock);
  const a = wire.add(A, "10.0.0.1");
  const b = wire.add(B, "10.0.0.2");
  const mallory = generateIdentity(clock);
  // Mallory claims node A with her own keys.
  const { frame } = Initiation.create(localHandshakeIdentity(A, mallory), {
    responderNode: B,
    responderStatic: b.identity.noisePublicKey,
    senderIndex: 9,
    timestampMs: clock.now(),
    cookie: null,
  });
  b.tunnel.handleDatagram(frame, EVE_ADDR);
  assert.equal(b.tunnel.dropCount("hs_bad_binding"), 1);
  assert.equal(b.conn.sent.length, 0);
  void a;
  await wire.closeAll();
});

Deno.test("a PILH from a node the resolver does not know is dropped as hs_unknown_key", async () => {
  const clock = new ManualClock();
  const wire = new TestWire(clock);
  const a = wire.add(A, "10.0.0.1");
  const b = wire.add(B, "10.0.0.2");
  wire.registry.delete(A);
  const { frame } = Initiation.create(localHandshakeIdentity(A, a.identity), {
    responderNode: B,
    responderStatic: b.identity.noisePublicKey,
    senderIndex: 9,
    timestampMs: clock.now(),
    cookie: null,
  });
  b.tunnel.handleDatagram(frame, a.conn.localAddr);
  assert.equal(b.tunnel.dropCount("hs_unknown_key"), 1);
  await wire.closeAll();
});

Deno.test("a flood of PILH puts the responder under load: cookies, and a legitimate initiator gets in with mac2", async () => {
  const clock = new ManualClock();
  const wire = new TestWire(clock);
  const a = wire.add(A, "10.0.0.1");
  const b = wire.add(B, "10.0.0.2");
  const bMac1 = mac1Key(b.identity.noisePublicKey);
  const flood = (n: number) => {
    for (let i = 0; i < n; i++) {
      const f = crypto.getRandomValues(new Uint8Array(PILH_BYTES));
      f.set(new TextEncoder().encode("PILH"));
      f.set(computeMac1(bMac1, f.subarray(0, PILH_MAC1_OFFSET)), PILH_MAC1_OFFSET);
      b.tunnel.handleDatagram(f, EVE_ADDR);
    }
  };
  flood(220);
  assert.equal(b.tunnel.dropCount("hs_decrypt"), 40, "the per-source burst let 40 reach Noise");
  assert.equal(b.tunnel.dropCount("hs_rate"), 160);
  assert.equal(b.tunnel.dropCount("hs_cookie"), 20, "above 200 per second every PILH without mac2 gets a PILC");
  const cookiesToEve = b.conn.take().filter((s) => magicOf(s.data) === "PILC" && s.to === EVE_ADDR);
  assert.equal(cookiesToEve.length, 20);

  const connecting = a.tunnel.connect(B, [b.conn.localAddr], 20_000);
  wire.flush();
  assert.equal(b.tunnel.dropCount("hs_cookie"), 21, "A got a cookie instead of a PILR");
  assert.deepEqual(a.tunnel.peers().map((p) => p.authenticated), [false]);

  clock.advance(1_000);
  flood(220); // still under load when A retries
  b.conn.take();
  a.tunnel.tick();
  const retry = a.conn.sent.find((s) => magicOf(s.data) === "PILH")!;
  assert.ok(!retry.data.subarray(PILH_MAC2_OFFSET).every((x) => x === 0), "the retry carries mac2");
  wire.flush();
  assert.equal((await connecting).kind, "direct");
  await wire.closeAll();
});

Deno.test("cookie replies are capped at 50 per second in total", async () => {
  const clock = new ManualClock();
  const wire = new TestWire(clock);
  const b = wire.add(B, "10.0.0.2");
  const bMac1 = mac1Key(b.identity.noisePublicKey);
  for (let i = 0; i < 400; i++) {
    const f = crypto.getRandomValues(new Uint8Array(PILH_BYTES));
    f.set(new TextEncoder().encode("PILH"));
    f.set(computeMac1(bMac1, f.subarray(0, PILH_MAC1_OFFSET)), PILH_MAC1_OFFSET);
    b.tunnel.handleDatagram(f, { hostname: `203.0.113.${i % 200}`, port: 1000 + i });
  }
  assert.equal(b.tunnel.dropCount("hs_cookie"), 50);
  assert.equal(b.tunnel.dropCount("cookie_rate"), 150);
  assert.equal(b.conn.sent.filter((s) => magicOf(s.data) === "PILC").length, 50);
  await wire.closeAll();
});

Deno.test("a cookie opens for its source and mac2 made with it passes; one from another source does not", async () => {
  const clock = new ManualClock();
  const wire = new TestWire(clock);
  const b = wire.add(B, "10.0.0.2");
  const bMac1 = mac1Key(b.identity.noisePublicKey);
  let cookie: Uint8Array | null = null;
  for (let i = 0; i < 205; i++) {
    const f = crypto.getRandomValues(new Uint8Array(PILH_BYTES));
    f.set(new TextEncoder().encode("PILH"));
    f.set(computeMac1(bMac1, f.subarray(0, PILH_MAC1_OFFSET)), PILH_MAC1_OFFSET);
    b.tunnel.handleDatagram(f, EVE_ADDR);
    const pilc = b.conn.take().find((s) => magicOf(s.data) === "PILC");
    if (pilc !== undefined && cookie === null) {
      cookie = openCookie(
        cookieKey(b.identity.noisePublicKey),
        pilc.data.subarray(8, 20),
        pilc.data.subarray(20),
        f.subarray(PILH_MAC1_OFFSET, PILH_MAC2_OFFSET),
      );
    }
  }
  assert.ok(cookie !== null);
  const cookiesBefore = b.tunnel.dropCount("hs_cookie");
  const withMac2 = (from: typeof EVE_ADDR) => {
    const f = crypto.getRandomValues(new Uint8Array(PILH_BYTES));
    f.set(new TextEncoder().encode("PILH"));
    f.set(computeMac1(bMac1, f.subarray(0, PILH_MAC1_OFFSET)), PILH_MAC1_OFFSET);
    f.set(computeMac2(cookie!, f.subarray(0, PILH_MAC2_OFFSET)), PILH_MAC2_OFFSET);
    b.tunnel.handleDatagram(f, from);
  };
  withMac2({ hostname: "203.0.113.67", port: 6666 });
  assert.equal(b.tunnel.dropCount("hs_cookie"), cookiesBefore + 1, "another source's cookie is no good");
  withMac2(EVE_ADDR);
  assert.equal(b.tunnel.dropCount("hs_cookie"), cookiesBefore + 1, "the source's own cookie passes mac2");
  await wire.closeAll();
});

Deno.test("32 waiting key lookups put the responder under load and lookups give up after 5 s", async () => {
  const clock = new ManualClock();
  const wire = new TestWire(clock);
  const b = wire.add(B, "10.0.0.2", { keyResolver: () => new Promise<PeerKeys | null>(() => {}) });
  for (let i = 0; i < 33; i++) {
    const id = generateIdentity(clock);
    const { frame } = Initiation.create(localHandshakeIdentity(0x200 + i, id), {
      responderNode: B,
      responderStatic: b.identity.noisePublicKey,
      senderIndex: 100 + i,
      timestampMs: clock.now(),
      cookie: null,
    });
    b.tunnel.handleDatagram(frame, { hostname: `10.1.0.${i}`, port: 4000 });
  }
  assert.equal(b.tunnel.dropCount("hs_cookie"), 1, "the 33rd PILH met a responder under load");
  clock.advance(5_000);
  b.tunnel.tick();
  assert.equal(b.tunnel.dropCount("hs_lookup_timeout"), 32);
  await wire.closeAll();
});

Deno.test("relayed frames must come from the authenticated peer (relay_mismatch) and be tunnel frames", async () => {
  const { wire, a, b, clock } = await connected();
  const [f] = capturePils(a, 1);
  b.tunnel.receiveRelayed(0x333, f);
  assert.equal(b.tunnel.dropCount("relay_mismatch"), 1);
  clock.advance(1_000);
  const { frame } = Initiation.create(localHandshakeIdentity(A, a.identity), {
    responderNode: B,
    responderStatic: b.identity.noisePublicKey,
    senderIndex: 5,
    timestampMs: clock.now(),
    cookie: null,
  });
  b.tunnel.receiveRelayed(0x333, frame);
  assert.equal(b.tunnel.dropCount("relay_mismatch"), 2);
  b.tunnel.receiveRelayed(A, encodeBeaconMessage({ type: "discover", nodeId: A, txid: new Uint8Array(8) }));
  const pilp = new Uint8Array(16);
  pilp.set(new TextEncoder().encode("PILP"));
  b.tunnel.receiveRelayed(A, pilp);
  assert.equal(b.tunnel.dropCount("relay_bad_inner"), 2);
  b.tunnel.receiveRelayed(A, new Uint8Array(1464));
  assert.equal(b.tunnel.dropCount("relay_too_large"), 1);
  assert.equal(b.packets.length, 0);
  b.tunnel.receiveRelayed(A, f);
  assert.equal(b.packets.length, 1, "the same frame relayed from its real sender is accepted");
  assert.deepEqual(b.tunnel.peers().map((p) => p.path), ["direct"], "a relayed PILS does not move a direct peer");
  await wire.closeAll();
});

Deno.test("100,000 random and mutated datagrams never throw and leave the tunnel working", async () => {
  await withSeed(async (rng) => {
    const { wire, a, b } = await connected();
    const genuine = capturePils(a, 8);
    const pilhShape = new Uint8Array(PILH_BYTES);
    pilhShape.set(new TextEncoder().encode("PILH"));
    const templates = [...genuine, pilhShape];
    const magics = ["PILH", "PILR", "PILC", "PILS", "PILP", "PILT"].map((m) => new TextEncoder().encode(m));
    const sizes = [224, 100, 52, 32 + rng.int(0, 64), 16, 8];
    const from = { hostname: "198.51.100.1", port: 1 };
    for (let i = 0; i < 100_000; i++) {
      let d: Uint8Array;
      const mode = rng.int(0, 3);
      if (mode === 0) {
        d = rng.bytes(rng.int(0, 80));
      } else if (mode === 1) {
        const k = rng.int(0, magics.length - 1);
        d = rng.bytes(sizes[k]);
        d.set(magics[k]);
      } else {
        const template = rng.pick(templates);
        d = template.slice();
        for (let flips = rng.int(1, 3); flips > 0; flips--) d[rng.int(0, d.length - 1)] ^= 1 << rng.int(0, 7);
        // Two flips of one bit cancel out; a mutation must differ from its genuine template.
        if (bytesEqual(d, template)) d[rng.int(0, d.length - 1)] ^= 1;
      }
      if (mode === 3 && i % 2 === 0) b.tunnel.receiveRelayed(rng.int(0, 0x1000), d);
      else b.tunnel.handleDatagram(d, from);
    }
    assert.equal(b.tunnel.dropCount("malformed"), 0, "every input met a typed check");
    assert.equal(b.packets.length, 0, "nothing random authenticated");
    assert.deepEqual(b.tunnel.peers().map((p) => p.endpoint), ["10.0.0.1:4000"]);
    b.conn.take();
    for (const f of genuine) b.tunnel.handleDatagram(f, a.conn.localAddr);
    assert.equal(b.packets.length, 8, "the genuine frames still open after the barrage");
    a.tunnel.send(B, packet("after"));
    b.tunnel.send(A, packet("after"));
    wire.flush();
    assert.equal(b.packets.length, 9);
    assert.equal(a.packets.length, 1);
    await wire.closeAll();
  });
});
