// The NAT lab itself (tests/_support/netns.ts) behaves like the NATs the §5 machinery must cross: what a STUN-like
// reflector observes per NAT kind, which plain UDP hole punches succeed, that unsolicited inbound UDP is dropped, that
// the direct block leaves only the relay path, that rebinding changes the observed endpoint, and that teardown leaves
// nothing behind. Root only (network namespaces).

import assert from "node:assert/strict";
import { listNamespaces, type NatKind, NatLab, sweepStaleLabs } from "../_support/netns.ts";
import { deleteNamespace, newLabPrefix, runChecked } from "../_support/netns_shell.ts";
import { Reflector, UdpAgent } from "./_udp_driver.ts";

/** Punch schedule, like §5.3's 3 PILPs 50 ms apart, with a little more margin. */
const PUNCH_COUNT = 5;
const PUNCH_INTERVAL_MS = 50;
/** Bound for a datagram expected to arrive on the zero-latency lab links. */
const ARRIVAL_TIMEOUT_MS = 2_000;
/** How long a datagram that must not arrive is given to arrive anyway. */
const SILENCE_MS = 600;
/** A WAN port no lab socket maps to (discard); the kernel's ephemeral ports start far above it. */
const UNMAPPED_PORT = 9;

interface PunchOutcome {
  readonly aGotB: boolean;
  readonly bGotA: boolean;
}

/** Both hosts learn each other's observed endpoint from the reflector, then send to it simultaneously. */
async function plainPunch(natA: NatKind, natB: NatKind): Promise<PunchOutcome> {
  await using lab = await NatLab.create({ natA, natB });
  const reflector = await Reflector.start(lab);
  const [a, b] = await Promise.all([UdpAgent.start(lab, "hostA"), UdpAgent.start(lab, "hostB")]);
  const seenA = await a.discover(reflector.endpoints[0]);
  const seenB = await b.discover(reflector.endpoints[0]);
  await Promise.all([
    a.burst(seenB, "punch-from-a", PUNCH_COUNT, PUNCH_INTERVAL_MS),
    b.burst(seenA, "punch-from-b", PUNCH_COUNT, PUNCH_INTERVAL_MS),
  ]);
  await Promise.all([a.burstDone(seenB, ARRIVAL_TIMEOUT_MS), b.burstDone(seenA, ARRIVAL_TIMEOUT_MS)]);
  // Whatever arrives must come from the endpoint the reflector reported: that is the endpoint a daemon would use.
  const [fromB, fromA] = await Promise.all([
    a.received("punch-from-b", undefined, ARRIVAL_TIMEOUT_MS),
    b.received("punch-from-a", undefined, ARRIVAL_TIMEOUT_MS),
  ]);
  if (fromB !== undefined) assert.equal(fromB.split(" ")[1], seenB, "hostA heard hostB from an unexpected endpoint");
  if (fromA !== undefined) assert.equal(fromA.split(" ")[1], seenA, "hostB heard hostA from an unexpected endpoint");
  return { aGotB: fromB !== undefined, bGotA: fromA !== undefined };
}

Deno.test('reflector sees a host behind "none" at its own address', async () => {
  await using lab = await NatLab.create({ natA: "none", natB: "none" });
  const reflector = await Reflector.start(lab);
  const a = await UdpAgent.start(lab, "hostA");
  assert.equal(a.local.split(":")[0], lab.addr("hostA"));
  for (const endpoint of reflector.endpoints) assert.equal(await a.discover(endpoint), a.local);
});

Deno.test('reflector sees a "cone" host at the router\'s WAN address with one port for every destination', async () => {
  await using lab = await NatLab.create({ natA: "cone", natB: "cone" });
  const reflector = await Reflector.start(lab);
  const a = await UdpAgent.start(lab, "hostA");
  const seen = [];
  for (const endpoint of reflector.endpoints) seen.push(await a.discover(endpoint));
  for (const s of seen) assert.equal(s.split(":")[0], lab.addr("routerA"));
  assert.equal(new Set(seen).size, 1, `mappings per destination: ${seen.join(", ")}`);
});

Deno.test('reflector sees a "symmetric" host at the router\'s WAN address with a port per destination', async () => {
  await using lab = await NatLab.create({ natA: "symmetric", natB: "cone" });
  const reflector = await Reflector.start(lab);
  const a = await UdpAgent.start(lab, "hostA");
  const seen = [];
  for (const endpoint of reflector.endpoints) seen.push(await a.discover(endpoint));
  for (const s of seen) assert.equal(s.split(":")[0], lab.addr("routerA"));
  // Random ports: three draws all equal would be a one-in-a-billion coincidence, one equal pair is tolerated.
  assert.ok(new Set(seen).size >= 2, `mappings per destination: ${seen.join(", ")}`);
  // The same destination again reuses its mapping while conntrack remembers it.
  assert.equal(await a.discover(reflector.endpoints[0]), seen[0]);
});

Deno.test("a plain UDP punch connects cone to cone", async () => {
  assert.deepEqual(await plainPunch("cone", "cone"), { aGotB: true, bGotA: true });
});

Deno.test("a plain UDP punch connects none to cone", async () => {
  assert.deepEqual(await plainPunch("none", "cone"), { aGotB: true, bGotA: true });
});

Deno.test("a plain UDP punch fails symmetric to symmetric", async () => {
  assert.deepEqual(await plainPunch("symmetric", "symmetric"), { aGotB: false, bGotA: false });
});

Deno.test("a cone router drops unsolicited inbound UDP but passes replies to its host", async () => {
  await using lab = await NatLab.create({ natA: "cone", natB: "none" });
  const reflector = await Reflector.start(lab);
  const [a, b, stranger] = await Promise.all([
    UdpAgent.start(lab, "hostA"),
    UdpAgent.start(lab, "hostB"),
    UdpAgent.start(lab, "public"),
  ]);
  const seenA = await a.discover(reflector.endpoints[0]);
  const dropsBefore = await lab.unsolicitedDrops("routerA");

  // To the live mapping from a sender it never talked to, and to an unmapped WAN port.
  await stranger.send(seenA, "intrude-mapped");
  await stranger.send(`${lab.addr("routerA")}:${UNMAPPED_PORT}`, "intrude-unmapped");
  // A host with public addresses ("none") gets the same datagram, so the sender and the path work.
  await stranger.send(b.local, "intrude-none");
  assert.ok(await b.received("intrude-none", stranger.local, ARRIVAL_TIMEOUT_MS));
  assert.equal(await a.received("intrude-mapped", undefined, SILENCE_MS), undefined);
  assert.equal(await a.received("intrude-unmapped", undefined, 0), undefined);
  assert.ok(await lab.unsolicitedDrops("routerA") >= dropsBefore + 2, "drop counter did not count both datagrams");

  // Once hostA has sent to the stranger, the stranger's answer is a reply and passes.
  await a.send(stranger.local, "hello");
  assert.ok(await stranger.received("hello", seenA, ARRIVAL_TIMEOUT_MS));
  await stranger.send(seenA, "welcome");
  assert.ok(await a.received("welcome", stranger.local, ARRIVAL_TIMEOUT_MS));
});

Deno.test("blockDirectUdp stops a cone to cone punch while the relay through public still delivers", async () => {
  await using lab = await NatLab.create({ natA: "cone", natB: "cone", blockDirectUdp: true });
  const reflector = await Reflector.start(lab);
  const [a, b] = await Promise.all([UdpAgent.start(lab, "hostA"), UdpAgent.start(lab, "hostB")]);
  const relay = reflector.endpoints[0];
  const seenA = await a.discover(relay);
  const seenB = await b.discover(relay);
  await Promise.all([
    a.burst(seenB, "punch-from-a", PUNCH_COUNT, PUNCH_INTERVAL_MS),
    b.burst(seenA, "punch-from-b", 1, 0),
  ]);
  await a.burstDone(seenB, ARRIVAL_TIMEOUT_MS);
  assert.equal(await b.received("punch-from-a", undefined, SILENCE_MS), undefined);
  assert.equal(await a.received("punch-from-b", undefined, 0), undefined);

  await a.send(relay, `relay ${seenB} relayed-from-a`);
  assert.ok(await b.received("relayed-from-a", relay, ARRIVAL_TIMEOUT_MS));

  // Lifting the block makes the same punch work, so it was the block that stopped it.
  await lab.setDirectUdpBlocked(false);
  await Promise.all([
    a.burst(seenB, "again-from-a", PUNCH_COUNT, PUNCH_INTERVAL_MS),
    b.burst(seenA, "again-from-b", PUNCH_COUNT, PUNCH_INTERVAL_MS),
  ]);
  assert.ok(await b.received("again-from-a", seenA, ARRIVAL_TIMEOUT_MS));
  assert.ok(await a.received("again-from-b", seenB, ARRIVAL_TIMEOUT_MS));
});

Deno.test("setWanAddress() rebinds: the same socket is then seen at the new address", async () => {
  await using lab = await NatLab.create({ natA: "cone", natB: "none" });
  const reflector = await Reflector.start(lab);
  const a = await UdpAgent.start(lab, "hostA");
  const before = await a.discover(reflector.endpoints[0]);
  const next = await lab.setWanAddress("routerA");
  assert.notEqual(next, "198.18.0.10");
  assert.equal(lab.addr("routerA"), next);
  const after = await a.discover(reflector.endpoints[0]);
  assert.equal(after.split(":")[0], next, `before ${before}, after ${after}`);
  await assert.rejects(lab.setWanAddress("routerB", next), /already in use/);
});

Deno.test('setWanAddress() keeps a "none" LAN reachable through the new address', async () => {
  await using lab = await NatLab.create({ natA: "none", natB: "none" });
  const [a, b] = await Promise.all([UdpAgent.start(lab, "hostA"), UdpAgent.start(lab, "hostB")]);
  await lab.setWanAddress("routerA", "198.18.0.77");
  await b.send(a.local, "to-a");
  assert.ok(await a.received("to-a", b.local, ARRIVAL_TIMEOUT_MS));
});

Deno.test("flushConntrack() makes a router forget its mappings", async () => {
  await using lab = await NatLab.create({ natA: "symmetric", natB: "cone" });
  const [a, peer] = await Promise.all([UdpAgent.start(lab, "hostA"), UdpAgent.start(lab, "public")]);
  await a.send(peer.local, "hello");
  const hello = await peer.process.waitForLine(/^recv \S+ hello$/, ARRIVAL_TIMEOUT_MS);
  const mapped = hello.split(" ")[1];
  await peer.send(mapped, "reply-1");
  assert.ok(await a.received("reply-1", peer.local, ARRIVAL_TIMEOUT_MS));
  const count = async () => Number((await lab.run("routerA", ["conntrack", "-C"])).stdout.trim());
  assert.ok(await count() >= 1);

  await lab.flushConntrack("routerA");
  assert.equal(await count(), 0);
  // The peer's next datagram has no mapping left to match: the router drops it as unsolicited.
  const dropsBefore = await lab.unsolicitedDrops("routerA");
  await peer.send(mapped, "reply-2");
  assert.equal(await a.received("reply-2", undefined, SILENCE_MS), undefined);
  assert.ok(await lab.unsolicitedDrops("routerA") > dropsBefore);
});

Deno.test("close() removes every namespace of the run and stops its processes", async () => {
  const lab = await NatLab.create({ natA: "cone", natB: "symmetric" });
  const a = await UdpAgent.start(lab, "hostA");
  assert.equal((await listNamespaces(`${lab.prefix}-`)).length, 5);
  await lab.close();
  assert.deepEqual(await listNamespaces(`${lab.prefix}-`), []);
  assert.ok(a.process.exited);
  await lab.close();
});

Deno.test("a test that throws still tears its lab down through await using", async () => {
  let prefix = "";
  let agent: UdpAgent | undefined;
  await assert.rejects(async () => {
    await using lab = await NatLab.create({ natA: "none", natB: "cone" });
    prefix = lab.prefix;
    agent = await UdpAgent.start(lab, "hostB");
    throw new Error("test body failed");
  }, /test body failed/);
  assert.match(prefix, /^pl-[0-9a-f]{6}$/);
  assert.deepEqual(await listNamespaces(`${prefix}-`), []);
  assert.ok(agent?.process.exited);
});

Deno.test("sweepStaleLabs() removes only old lab-shaped namespaces of the given prefix", async () => {
  const prefix = newLabPrefix();
  const names = [`${prefix}-pub`, `${prefix}-ra`, `${prefix}-zz`];
  try {
    for (const name of names) await runChecked(["ip", "netns", "add", name]);
    assert.deepEqual(await sweepStaleLabs({ prefix }), [], "young namespaces must survive a default sweep");
    assert.deepEqual(await sweepStaleLabs({ prefix, minAgeMs: 0, max: 1 }), [`${prefix}-pub`]);
    assert.deepEqual(await sweepStaleLabs({ prefix, minAgeMs: 0 }), [`${prefix}-ra`]);
    assert.deepEqual(await listNamespaces(`${prefix}-`), [`${prefix}-zz`]);
  } finally {
    for (const name of names) await deleteNamespace(name);
  }
});
