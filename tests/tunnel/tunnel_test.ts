// The Tunnel manager on a hand-cranked wire with a ManualClock: establishment, queueing, keyset promotion, the
// rekey / stale / unused timers, retries, BYE, relay and the §3.1 demultiplexing rules.
import assert from "node:assert/strict";
import { ManualClock } from "../../src/util/clock.ts";
import { ConnectionFailedError } from "../../src/util/errors.ts";
import { PILS_HEADER_BYTES } from "../../src/wire/mod.ts";
import { magicOf, packet, TestWire } from "./_support.ts";

const A = 0x101;
const B = 0x102;

function setup() {
  const clock = new ManualClock();
  const wire = new TestWire(clock);
  const a = wire.add(A, "10.0.0.1");
  const b = wire.add(B, "10.0.0.2");
  const advance = (ms: number) => wire.advance(ms, (d) => clock.advance(d));
  return { clock, wire, a, b, advance };
}

Deno.test("connect() completes a handshake and packets flow both ways", async () => {
  const { wire, a, b } = setup();
  const connecting = a.tunnel.connect(B, [b.conn.localAddr], 20_000);
  wire.flush();
  const path = await connecting;
  assert.equal(path.kind, "direct");
  // PILH, PILR, the initiator's key confirmation and the responder's acknowledgement (both empty PILS).
  assert.deepEqual(wire.log.map((l) => `${magicOf(l.data)}${l.data.length}`), [
    "PILH224",
    "PILR100",
    "PILS32",
    "PILS32",
  ]);
  a.tunnel.send(B, packet("ping"));
  wire.flush();
  b.tunnel.send(A, packet("pong"));
  wire.flush();
  assert.deepEqual(b.packets.map((p) => [p.from, new TextDecoder().decode(p.data.subarray(1)), p.path]), [
    [A, "ping", "direct"],
  ]);
  assert.deepEqual(a.packets.map((p) => [p.from, new TextDecoder().decode(p.data.subarray(1))]), [[B, "pong"]]);
  const [peerOfA] = a.tunnel.peers();
  assert.equal(peerOfA.node_id, B);
  assert.equal(peerOfA.endpoint, "10.0.0.2:4000");
  assert.equal(peerOfA.path, "direct");
  assert.ok(peerOfA.encrypted && peerOfA.authenticated);
  assert.equal(peerOfA.pkts_sent, 1);
  assert.equal(peerOfA.pkts_recv, 1);
  assert.deepEqual(a.events, [{ type: "established", peer: B, path: "direct", rekeyed: false }]);
  assert.deepEqual(b.events, [{ type: "established", peer: A, path: "direct", rekeyed: false }]);
  await wire.closeAll();
});

Deno.test("the initiator repeats its key confirmation each second until something comes back", async () => {
  const { wire, a, b, advance } = setup();
  let blockB = true;
  wire.filter = (
    data,
    from,
  ) => (blockB && from.hostname === "10.0.0.2" && magicOf(data) === "PILS" ? "drop" : "deliver");
  const connecting = a.tunnel.connect(B, [b.conn.localAddr], 20_000);
  wire.flush();
  await connecting;
  const fromA = () => wire.log.filter((l) => l.from.hostname === "10.0.0.1" && magicOf(l.data) === "PILS").length;
  assert.equal(fromA(), 1);
  advance(3_000);
  assert.equal(fromA(), 4, "one more each second while the acknowledgement is lost");
  blockB = false;
  advance(1_000);
  const settled = fromA();
  advance(5_000);
  assert.equal(fromA(), settled, "quiet once the responder's keepalive arrived");
  await wire.closeAll();
});

Deno.test("the responder promotes its next keyset only on the first authenticated PILS", async () => {
  const { wire, a, b } = setup();
  let held: Uint8Array[] = [];
  wire.filter = (data) => {
    if (magicOf(data) === "PILS") {
      held.push(data);
      return "drop";
    }
    return "deliver";
  };
  const connecting = a.tunnel.connect(B, [b.conn.localAddr], 20_000);
  wire.flush();
  await connecting;
  assert.equal(held.length, 1, "the initiator sent an empty keepalive as key confirmation");
  assert.deepEqual(b.tunnel.peers().map((p) => [p.encrypted, p.authenticated, p.endpoint]), [[true, false, null]]);
  assert.equal(b.events.length, 0);
  b.tunnel.handleDatagram(held[0], a.conn.localAddr);
  assert.deepEqual(b.tunnel.peers().map((p) => [p.authenticated, p.endpoint]), [[true, "10.0.0.1:4000"]]);
  assert.equal(b.events.length, 1);
  held = [];
  await wire.closeAll();
});

Deno.test("packets sent while handshaking are queued and leave only inside PILS", async () => {
  const { wire, a, b } = setup();
  const secret = "plaintext-that-must-not-leak";
  const connecting = a.tunnel.connect(B, [b.conn.localAddr], 20_000);
  for (let i = 0; i < 3; i++) a.tunnel.send(B, packet(`${secret}-${i}`));
  assert.deepEqual(a.conn.sent.map((s) => magicOf(s.data)), ["PILH"], "nothing but the PILH left yet");
  wire.flush();
  await connecting;
  assert.deepEqual(b.packets.map((p) => new TextDecoder().decode(p.data.subarray(1))), [
    `${secret}-0`,
    `${secret}-1`,
    `${secret}-2`,
  ]);
  const needle = new TextEncoder().encode(secret);
  for (const { data } of wire.log) {
    assert.ok(["PILH", "PILR", "PILS"].includes(magicOf(data)));
    assert.ok(!containsBytes(data, needle), "plaintext found on the wire");
  }
  const confirmations = wire.log.filter((l) =>
    l.from.hostname === "10.0.0.1" && magicOf(l.data) === "PILS" && l.data.length === 32
  );
  assert.equal(confirmations.length, 0, "queued packets confirm the keys; the initiator adds no keepalive");
  await wire.closeAll();
});

Deno.test("the queue keeps the newest 64 packets and counts queue_full", async () => {
  const { wire, a, b } = setup();
  const connecting = a.tunnel.connect(B, [b.conn.localAddr], 20_000);
  for (let i = 0; i < 70; i++) a.tunnel.send(B, packet(Uint8Array.of(i)));
  assert.equal(a.tunnel.dropCount("queue_full"), 6);
  wire.flush();
  await connecting;
  assert.deepEqual(b.packets.map((p) => p.data[1]), Array.from({ length: 64 }, (_, i) => i + 6));
  await wire.closeAll();
});

Deno.test("send() rejects something that is not an overlay packet", async () => {
  const { wire, a } = setup();
  assert.throws(() => a.tunnel.send(B, Uint8Array.of(0x01, 2)), /not an overlay packet/);
  assert.throws(() => a.tunnel.send(B, new Uint8Array(0)), /not an overlay packet/);
  await wire.closeAll();
});

Deno.test("handshake retries come after 1, 2, 4, 8, 8 s, each a fresh PILH, until the deadline", async () => {
  const { wire, a, b, clock, advance } = setup();
  wire.filter = () => "drop";
  const start = clock.monotonic();
  const connecting = a.tunnel.connect(B, [b.conn.localAddr], 20_000);
  wire.flush();
  const failed = assert.rejects(connecting, (err) => {
    assert.ok(err instanceof ConnectionFailedError);
    assert.equal(err.detail, "no_path");
    return true;
  });
  const times: number[] = [];
  const senders = new Set<string>();
  const ephemerals = new Set<string>();
  let seen = 0;
  for (let t = 0; t < 21_000; t += 250) {
    for (const l of wire.log.slice(seen)) {
      if (magicOf(l.data) !== "PILH") continue;
      times.push(clock.monotonic() - start);
      senders.add(l.data.subarray(4, 8).join());
      ephemerals.add(l.data.subarray(8, 40).join());
    }
    seen = wire.log.length;
    advance(250);
  }
  await failed;
  // Sent at 0 s, retried at 1, 3, 7, 15 s; the next (23 s) is past the 20 s deadline.
  assert.deepEqual(times, [0, 1_000, 3_000, 7_000, 15_000]);
  assert.equal(senders.size, 5, "a new sender index each time");
  assert.equal(ephemerals.size, 5, "a new ephemeral key each time");
  assert.deepEqual(a.events.at(-1), { type: "handshake_failed", peer: B });
  assert.deepEqual(a.tunnel.peers(), []);
  await wire.closeAll();
});

Deno.test("connect() sends the PILH to at most 4 candidates", async () => {
  const { wire, a, b } = setup();
  const candidates = [1, 2, 3, 4, 5].map((i) => ({ hostname: `10.9.0.${i}`, port: 4000 }));
  const connecting = a.tunnel.connect(B, [...candidates], 1_000);
  assert.deepEqual(a.conn.sent.map((s) => s.to.hostname), ["10.9.0.1", "10.9.0.2", "10.9.0.3", "10.9.0.4"]);
  a.conn.take();
  void b;
  await a.tunnel.close();
  await assert.rejects(connecting, ConnectionFailedError);
  await wire.closeAll();
});

Deno.test("connect() fails at once for an unknown node and for a reserved node id", async () => {
  const { wire, a } = setup();
  await assert.rejects(a.tunnel.connect(0x999, [{ hostname: "10.0.0.9", port: 1 }], 5_000), /no keys/);
  await assert.rejects(a.tunnel.connect(0x10, [], 5_000), /invalid node id "16": not a peer node/);
  await assert.rejects(a.tunnel.connect(A, [], 5_000), /cannot connect to 0:0000.0000.0101: own node id/);
  await wire.closeAll();
});

Deno.test("the initiator rekeys on its next send after 120 s; the old keyset still receives", async () => {
  const { wire, a, b, clock } = setup();
  const connecting = a.tunnel.connect(B, [b.conn.localAddr], 20_000);
  wire.flush();
  await connecting;
  clock.advance(60_000);
  b.tunnel.send(A, packet("old-1"));
  const inFlight = b.conn.take(); // sealed under the first keyset, delivered after the rekey
  clock.advance(60_000);
  a.tunnel.send(B, packet("trigger"));
  assert.ok(a.conn.sent.some((s) => magicOf(s.data) === "PILH"), "a PILH follows the send");
  wire.flush();
  assert.deepEqual(a.events.at(-1), { type: "established", peer: B, path: "direct", rekeyed: true });
  for (const { data } of inFlight) a.tunnel.handleDatagram(data, b.conn.localAddr);
  assert.deepEqual(a.packets.map((p) => new TextDecoder().decode(p.data.subarray(1))), ["old-1"]);
  b.tunnel.send(A, packet("new"));
  wire.flush();
  assert.equal(a.packets.length, 2);
  await wire.closeAll();
});

Deno.test("the responder of a keyset rekeys at 135 s, not at 120 s", async () => {
  const { wire, a, b, clock } = setup();
  const connecting = a.tunnel.connect(B, [b.conn.localAddr], 20_000);
  wire.flush();
  await connecting;
  clock.advance(125_000);
  b.tunnel.send(A, packet("x"));
  assert.ok(!b.conn.sent.some((s) => magicOf(s.data) === "PILH"));
  wire.flush();
  clock.advance(10_000);
  b.tunnel.send(A, packet("y"));
  assert.ok(b.conn.sent.some((s) => magicOf(s.data) === "PILH"));
  wire.flush();
  assert.deepEqual(b.events.at(-1), { type: "established", peer: A, path: "direct", rekeyed: true });
  await wire.closeAll();
});

Deno.test("after 180 s without a new keyset packets queue instead of using the expired keys", async () => {
  const { wire, a, b, clock, advance } = setup();
  const connecting = a.tunnel.connect(B, [b.conn.localAddr], 20_000);
  wire.flush();
  await connecting;
  wire.filter = (data) => (magicOf(data) === "PILH" ? "drop" : "deliver");
  clock.advance(180_000);
  a.tunnel.send(B, packet("late"));
  assert.ok(a.conn.sent.every((s) => magicOf(s.data) === "PILH"), "no PILS under the expired keyset");
  wire.flush();
  assert.equal(b.packets.length, 0);
  wire.filter = () => "deliver";
  advance(1_000);
  assert.deepEqual(b.packets.map((p) => new TextDecoder().decode(p.data.subarray(1))), ["late"]);
  await wire.closeAll();
});

Deno.test("a peer that sends for 15 s and hears nothing starts a new handshake", async () => {
  const { wire, a, b, advance } = setup();
  const connecting = a.tunnel.connect(B, [b.conn.localAddr], 20_000);
  wire.flush();
  await connecting;
  let pilhFromA = 0;
  wire.filter = (data, from) => {
    if (from.hostname === "10.0.0.1" && magicOf(data) === "PILH") pilhFromA++;
    return from.hostname === "10.0.0.2" ? "drop" : "deliver";
  };
  a.tunnel.send(B, packet("one-way"));
  advance(14_750);
  assert.equal(pilhFromA, 0);
  advance(500);
  assert.equal(pilhFromA, 1);
  await wire.closeAll();
});

Deno.test("a receiver of one-way traffic answers with a keepalive so the sender never goes stale", async () => {
  const { wire, a, b, advance } = setup();
  const connecting = a.tunnel.connect(B, [b.conn.localAddr], 20_000);
  wire.flush();
  await connecting;
  for (let i = 0; i < 12; i++) {
    a.tunnel.send(B, packet(`tick-${i}`));
    advance(5_000);
  }
  assert.equal(b.packets.length, 12);
  const pilh = wire.log.filter((l) => magicOf(l.data) === "PILH").length;
  assert.equal(pilh, 1, "only the first handshake in 60 s");
  await wire.closeAll();
});

Deno.test("an unused peer loses its keysets after 180 s unless it has an open connection", async () => {
  const clock = new ManualClock();
  const wire = new TestWire(clock);
  let active = false;
  const a = wire.add(A, "10.0.0.1", { peerActive: () => active });
  const b = wire.add(B, "10.0.0.2");
  const connecting = a.tunnel.connect(B, [b.conn.localAddr], 20_000);
  wire.flush();
  await connecting;
  active = true;
  wire.advance(200_000, (d) => clock.advance(d), 1_000);
  assert.equal(a.tunnel.peers().length, 1, "kept while a connection is open");
  assert.ok(a.events.some((e) => e.type === "established" && e.rekeyed), "keepalives kept the keys fresh");
  active = false;
  wire.advance(179_000, (d) => clock.advance(d), 1_000);
  assert.equal(a.tunnel.peers().length, 1, "180 s from the moment the connection closed");
  wire.advance(1_000, (d) => clock.advance(d), 1_000);
  assert.deepEqual(a.tunnel.peers(), []);
  assert.ok(a.events.some((e) => e.type === "keys_wiped" && e.reason === "unused"));
  await wire.closeAll();
});

Deno.test("NAT keepalives go out every 25 s on a direct path with recent traffic", async () => {
  const { wire, a, b, advance } = setup();
  const connecting = a.tunnel.connect(B, [b.conn.localAddr], 20_000);
  wire.flush();
  await connecting;
  a.tunnel.send(B, packet("x"));
  wire.flush();
  const before = wire.log.length;
  advance(60_000);
  const keepalivesFromA = wire.log.slice(before).filter((l) =>
    l.from.hostname === "10.0.0.1" && magicOf(l.data) === "PILS" && l.data.length === 32
  );
  assert.equal(keepalivesFromA.length, 2);
  await wire.closeAll();
});

Deno.test("close() sends BYE and the peer discards its keysets", async () => {
  const { wire, a, b } = setup();
  const connecting = a.tunnel.connect(B, [b.conn.localAddr], 20_000);
  wire.flush();
  await connecting;
  await a.tunnel.close();
  wire.flush();
  assert.deepEqual(b.events.at(-1), { type: "keys_wiped", peer: A, reason: "bye" });
  assert.deepEqual(b.tunnel.peers(), []);
  assert.throws(() => a.tunnel.send(B, packet("x")), /closed/);
  await wire.closeAll();
});

Deno.test("a relayed handshake puts the peer on the relay path and replies return through the relay", async () => {
  const { wire, a, b } = setup();
  wire.filter = () => "drop"; // no direct path at all
  const connecting = a.tunnel.connect(B, [b.conn.localAddr], 20_000, { relay: true });
  wire.flush();
  assert.equal((await connecting).kind, "relay");
  a.tunnel.send(B, packet("via relay"));
  wire.flush();
  b.tunnel.send(A, packet("back via relay"));
  wire.flush();
  assert.deepEqual(b.packets.map((p) => p.path), ["relay"]);
  assert.deepEqual(a.packets.map((p) => p.path), ["relay"]);
  assert.deepEqual(a.tunnel.peers().map((p) => [p.path, p.endpoint]), [["relay", null]]);
  await wire.closeAll();
});

Deno.test("a direct PILS does not move a relayed peer to direct without a path challenge", async () => {
  const { wire, a, b } = setup();
  wire.filter = () => "drop";
  const connecting = a.tunnel.connect(B, [], 20_000, { relay: true });
  wire.flush();
  await connecting;
  a.tunnel.send(B, packet("sneaky"));
  const [{ inner }] = a.relayed.splice(0);
  b.tunnel.handleDatagram(inner, a.conn.localAddr);
  assert.equal(b.packets.length, 1, "the frame itself is authentic and delivered");
  assert.deepEqual(b.tunnel.peers().map((p) => [p.path, p.endpoint]), [["relay", null]]);
  await wire.closeAll();
});

Deno.test("a packet too large for the relay is dropped as relay_too_large, not queued", async () => {
  const { wire, a, b } = setup();
  wire.filter = () => "drop";
  const connecting = a.tunnel.connect(B, [], 20_000, { relay: true });
  wire.flush();
  await connecting;
  a.tunnel.send(B, packet(new Uint8Array(1_431))); // 1,432 + 32 = 1,464 > 1,463
  assert.equal(a.tunnel.dropCount("relay_too_large"), 1);
  a.tunnel.send(B, packet(new Uint8Array(1_430)));
  wire.flush();
  assert.deepEqual(b.packets.map((p) => p.data.length), [1_431]);
  assert.equal(wire.log.filter((l) => magicOf(l.data) === "PILH").length, 1, "no new handshake");
  await wire.closeAll();
});

Deno.test("probePath() moves a relayed peer to a direct endpoint only after PATH_RESPONSE from it", async () => {
  const { wire, a, b } = setup();
  let directOpen = false;
  wire.filter = () => (directOpen ? "deliver" : "drop");
  const connecting = a.tunnel.connect(B, [], 20_000, { relay: true });
  wire.flush();
  await connecting;
  const failing = a.tunnel.probePath(B, b.conn.localAddr);
  wire.flush();
  directOpen = true;
  const succeeding = a.tunnel.probePath(B, b.conn.localAddr);
  wire.flush();
  assert.equal(await succeeding, true);
  assert.deepEqual(a.tunnel.peers().map((p) => [p.path, p.endpoint]), [["direct", "10.0.0.2:4000"]]);
  assert.ok(a.events.some((e) => e.type === "path_changed" && e.path === "direct"));
  await a.tunnel.close();
  assert.equal(await failing, false);
  await wire.closeAll();
});

Deno.test("a beacon message is accepted only from the configured beacon address", async () => {
  const clock = new ManualClock();
  const wire = new TestWire(clock);
  const beaconAddr = { hostname: "192.0.2.9", port: 9001 };
  const a = wire.add(A, "10.0.0.1", { beaconAddress: () => beaconAddr });
  const discoverReply = Uint8Array.of(0x02, 1, 2, 3);
  a.tunnel.handleDatagram(discoverReply, { hostname: "192.0.2.9", port: 9002 });
  a.tunnel.handleDatagram(discoverReply, { hostname: "192.0.2.10", port: 9001 });
  assert.equal(a.beacon.length, 0);
  assert.equal(a.tunnel.dropCount("beacon_spoof"), 2);
  a.tunnel.handleDatagram(discoverReply, { hostname: "::ffff:192.0.2.9", port: 9001 });
  assert.equal(a.beacon.length, 1, "the IPv4-mapped form of the beacon address is the beacon");
  await wire.closeAll();
});

Deno.test("datagrams are demultiplexed by §3.1: runt, bad_magic, exact sizes, PILP ignored", async () => {
  const clock = new ManualClock();
  const wire = new TestWire(clock);
  const a = wire.add(A, "10.0.0.1");
  const from = { hostname: "10.0.0.7", port: 1 };
  a.tunnel.handleDatagram(new Uint8Array(0), from);
  a.tunnel.handleDatagram(Uint8Array.of(0x50, 0x49, 0x4c), from);
  for (const m of ["PILT", "PILK", "PILA", "XXXX"]) a.tunnel.handleDatagram(new TextEncoder().encode(m + "...."), from);
  a.tunnel.handleDatagram(new TextEncoder().encode("PILH").slice(0, 4), from);
  a.tunnel.handleDatagram(new Uint8Array(31).fill(0x50), from);
  const pilp = new Uint8Array(16);
  pilp.set(new TextEncoder().encode("PILP"));
  a.tunnel.handleDatagram(pilp, from);
  assert.deepEqual(a.tunnel.drops(), { runt: 2, bad_magic: 5, bad_len: 1 });
  assert.equal(a.conn.sent.length, 0);
  await wire.closeAll();
});

Deno.test("a PILS arriving with an unknown receiver index is dropped as unknown_index", async () => {
  const { wire, a } = setup();
  const frame = new Uint8Array(PILS_HEADER_BYTES + 16);
  frame.set(new TextEncoder().encode("PILS"));
  frame[7] = 9;
  a.tunnel.handleDatagram(frame, { hostname: "10.0.0.2", port: 4000 });
  assert.equal(a.tunnel.dropCount("unknown_index"), 1);
  await wire.closeAll();
});

function containsBytes(hay: Uint8Array, needle: Uint8Array): boolean {
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return true;
  }
  return false;
}

Deno.test("probePath() with a 3 s timeout counts an answer after 2.5 s; the default 2 s does not", async () => {
  const { wire, a, b, clock } = setup();
  const connecting = a.tunnel.connect(B, [b.conn.localAddr], 20_000);
  wire.flush();
  await connecting;
  const late = async (timeoutMs?: number) => {
    const probing = a.tunnel.probePath(B, b.conn.localAddr, timeoutMs);
    // B answers at once, but the answer reaches A only 2.5 s later.
    const held = a.conn.take();
    clock.advance(0);
    for (const s of held) b.tunnel.handleDatagram(s.data, a.conn.localAddr);
    const answers = b.conn.take();
    clock.advance(2_500);
    for (const s of answers) a.tunnel.handleDatagram(s.data, b.conn.localAddr);
    return await probing;
  };
  assert.equal(await late(3_000), true);
  assert.equal(await late(), false);
  await wire.closeAll();
});
