// The responder's key cache after a key rotation (PROTOCOL-BRIEF §3.2, §3.3; CLI.md §3.3 rotate-key): a PILH whose
// binding is newer than the newest accepted one makes the responder fetch the initiator's key again (the resolver
// gets the hint), at most every 5 s per node; a BYE drops the cached key, so the next handshake looks it up afresh.
import assert from "node:assert/strict";
import { generateIdentity, type Identity } from "../../src/crypto/mod.ts";
import { ManualClock } from "../../src/util/clock.ts";
import { Initiation, type KeyLookupHint, localHandshakeIdentity } from "../../src/tunnel/mod.ts";
import { NEWER_BINDING_REFETCH_MIN_MS } from "../../src/tunnel/responder.ts";
import { keysOf, magicOf, rebind, TestWire } from "./_support.ts";

const A = 0x101;
const B = 0x102;

/** A new Ed25519 key that binds the same X25519 static key later (what rotate-key does). */
function rotated(previous: Identity, clock: ManualClock): Identity {
  const fresh = generateIdentity(clock);
  const moved = { ...fresh, noisePrivateKey: previous.noisePrivateKey, noisePublicKey: previous.noisePublicKey };
  return rebind(moved, previous.noiseIssuedAt + 1_000);
}

/** A and B with a session; B's resolver reads the wire's registry and records every call. */
async function connected() {
  const clock = new ManualClock();
  const wire = new TestWire(clock);
  const calls: { node: number; hint?: KeyLookupHint }[] = [];
  const a = wire.add(A, "10.0.0.1");
  const b = wire.add(B, "10.0.0.2", {
    keyResolver: (node, hint) => {
      calls.push(hint === undefined ? { node } : { node, hint });
      return wire.registry.get(node) ?? null;
    },
  });
  const connecting = a.tunnel.connect(B, [b.conn.localAddr], 20_000);
  wire.flush();
  await connecting;
  return { clock, wire, a, b, calls };
}

function initiation(identity: Identity, responder: Identity, clock: ManualClock, senderIndex: number): Uint8Array {
  return Initiation.create(localHandshakeIdentity(A, identity), {
    responderNode: B,
    responderStatic: responder.noisePublicKey,
    senderIndex,
    timestampMs: clock.now(),
    cookie: null,
  }).frame;
}

Deno.test("a PILH with a newer binding under a new key makes the responder re-fetch the key and answer", async () => {
  const { clock, wire, a, b, calls } = await connected();
  assert.equal(calls.length, 1, "the first handshake looked A up once");
  clock.advance(1_000);
  const next = rotated(a.identity, clock);
  wire.registry.set(A, keysOf(next));
  b.conn.take();
  b.tunnel.handleDatagram(initiation(next, b.identity, clock, 77), a.conn.localAddr);
  assert.equal(b.tunnel.dropCount("hs_bad_binding"), 0);
  assert.deepEqual(calls.at(-1), { node: A, hint: { minNoiseIssuedAt: next.noiseIssuedAt } });
  assert.deepEqual(b.conn.take().map((s) => magicOf(s.data)), ["PILR"]);
  await wire.closeAll();
});

Deno.test("newer-binding re-fetches are limited to one per node every 5 s, then the PILH is refused", async () => {
  const { clock, wire, a, b, calls } = await connected();
  // Mallory claims node A with a binding newer than A's; the registry still has A's real key.
  const mallory = rebind(generateIdentity(clock), a.identity.noiseIssuedAt + 5_000);
  clock.advance(1_000);
  b.tunnel.handleDatagram(initiation(mallory, b.identity, clock, 1), a.conn.localAddr);
  clock.advance(1_000);
  b.tunnel.handleDatagram(initiation(mallory, b.identity, clock, 2), a.conn.localAddr);
  assert.equal(calls.filter((c) => c.hint !== undefined).length, 1);
  assert.equal(b.tunnel.dropCount("hs_bad_binding"), 2);
  clock.advance(NEWER_BINDING_REFETCH_MIN_MS);
  b.tunnel.handleDatagram(initiation(mallory, b.identity, clock, 3), a.conn.localAddr);
  assert.equal(calls.filter((c) => c.hint !== undefined).length, 2);
  assert.equal(b.tunnel.dropCount("hs_bad_binding"), 3);
  assert.equal(b.conn.sent.filter((s) => magicOf(s.data) === "PILR").length, 0);
  // A's own key still works: the cached key was kept.
  clock.advance(1_000);
  const before = calls.length;
  b.tunnel.handleDatagram(initiation(a.identity, b.identity, clock, 4), a.conn.localAddr);
  assert.equal(calls.length, before, "answered from the cache");
  assert.deepEqual(b.conn.take().map((s) => magicOf(s.data)).filter((m) => m === "PILR"), ["PILR"]);
  await wire.closeAll();
});

Deno.test("a BYE drops the peer's cached key: its next PILH is looked up again", async () => {
  const { clock, wire, a, b, calls } = await connected();
  await a.tunnel.close();
  wire.flush();
  assert.deepEqual(b.events.at(-1), { type: "keys_wiped", peer: A, reason: "bye" });
  clock.advance(1_000);
  const before = calls.length;
  b.tunnel.handleDatagram(initiation(a.identity, b.identity, clock, 5), a.conn.localAddr);
  assert.deepEqual(calls.slice(before), [{ node: A }]);
  await wire.closeAll();
});

Deno.test("a pinned key whose binding verifies answers a PILH without asking the resolver", async () => {
  const clock = new ManualClock();
  const wire = new TestWire(clock);
  const calls: number[] = [];
  const a = wire.add(A, "10.0.0.1");
  const b = wire.add(B, "10.0.0.2", {
    keyResolver: (node) => {
      calls.push(node);
      return wire.registry.get(node) ?? null;
    },
    pinnedKey: (node) => node === A ? a.identity.publicKey : null,
  });
  const connecting = a.tunnel.connect(B, [b.conn.localAddr], 20_000);
  wire.flush();
  await connecting;
  assert.deepEqual(calls, [], "the pin answered");
  assert.equal(b.tunnel.peers().find((p) => p.node_id === A)?.authenticated, true);
  await wire.closeAll();
});

Deno.test("a pin the binding does not verify under falls back to the resolver (a rotated key)", async () => {
  const clock = new ManualClock();
  const wire = new TestWire(clock);
  const calls: number[] = [];
  const stalePin = generateIdentity(clock).publicKey;
  const a = wire.add(A, "10.0.0.1");
  const b = wire.add(B, "10.0.0.2", {
    keyResolver: (node) => {
      calls.push(node);
      return wire.registry.get(node) ?? null;
    },
    pinnedKey: (node) => node === A ? stalePin : null,
  });
  const connecting = a.tunnel.connect(B, [b.conn.localAddr], 20_000);
  wire.flush();
  await connecting;
  assert.deepEqual(calls, [A], "the resolver was asked once");
  assert.equal(b.tunnel.dropCount("hs_bad_binding"), 0);
  await wire.closeAll();
});

Deno.test("a forged PILH for a pinned node is refused when neither the pin nor the registry key verifies it", () => {
  const clock = new ManualClock();
  const wire = new TestWire(clock);
  const a = wire.add(A, "10.0.0.1");
  const b = wire.add(B, "10.0.0.2", { pinnedKey: (node) => node === A ? a.identity.publicKey : null });
  const mallory = rebind(generateIdentity(clock), a.identity.noiseIssuedAt);
  b.tunnel.handleDatagram(initiation(mallory, b.identity, clock, 5), a.conn.localAddr);
  assert.equal(b.tunnel.dropCount("hs_bad_binding"), 1);
  assert.equal(b.conn.sent.filter((s) => magicOf(s.data) === "PILR").length, 0);
  return wire.closeAll();
});
