// Attacks on the trust layer through the TrustManager (PROTOCOL-BRIEF §6.2 receiver checks, §6.5 persistence,
// §6.3 key pinning): every refusal answers `error` with its code and leaves the trust state untouched.
import assert from "node:assert/strict";
import { ed25519Sign } from "../../src/crypto/mod.ts";
import { toBase64 } from "../../src/util/bytes.ts";
import { InternalError } from "../../src/util/errors.ts";
import {
  DIRECT_MESSAGE_LIFETIME_MS,
  RELAY_MESSAGE_LIFETIME_MS,
  rotationMessage,
  TrustFileStore,
  type TrustMessage,
} from "../../src/trust/mod.ts";
import {
  A,
  B,
  C,
  type Daemon,
  deliver,
  makeNode,
  newWorld,
  openDaemon,
  sends,
  signedMessage,
  START_MS,
  wire,
} from "./_fixtures.ts";

async function withHome(fn: (home: string) => Promise<void>): Promise<void> {
  const home = await Deno.makeTempDir({ prefix: "pilot-trust-attack-" });
  try {
    await fn(home);
  } finally {
    await Deno.remove(home, { recursive: true });
  }
}

async function refused(
  to: Daemon,
  msg: TrustMessage | Record<string, unknown>,
  code: string,
  via: "direct" | "registry" = "registry",
  tunnelPeer?: number,
): Promise<void> {
  const before = to.manager.record(A);
  const r = await to.manager.onMessage(JSON.parse(JSON.stringify(msg)), via, tunnelPeer);
  assert.equal(r.ack.status, "error", `expected refusal ${code}`);
  assert.equal(r.ack.code, code);
  assert.ok((r.ack.message ?? "").length > 0);
  assert.deepEqual(to.manager.record(A), before, "state untouched");
  assert.equal(to.manager.isTrusted(A), false);
}

Deno.test("onMessage() refuses a message for another node", async () => {
  const { clock, keys, a, b } = newWorld();
  const bob = await openDaemon(b, clock, keys);
  await refused(bob, signedMessage(a, C, "trust_request", START_MS), "wrong_recipient");
});

Deno.test("attack: a message on port 444 claiming another from than the tunnel peer is refused", async () => {
  const { clock, keys, a, b } = newWorld();
  const bob = await openDaemon(b, clock, keys);
  // Genuinely signed by A (e.g. captured), but replayed by C over C's own tunnel.
  const msg = signedMessage(a, B, "trust_request", START_MS);
  await refused(bob, msg, "from_mismatch", "direct", C);
  const r = await bob.manager.onMessage(wire(msg), "direct", C);
  assert.deepEqual(r.actions, [{
    kind: "webhook",
    event: "security.handshake_rejected",
    data: { peer_node_id: A, reason: "from_mismatch" },
  }]);
});

Deno.test("onMessage() refuses ts in the future and an expired message", async () => {
  const { clock, keys, a, b } = newWorld();
  const bob = await openDaemon(b, clock, keys);
  await refused(bob, signedMessage(a, B, "trust_request", START_MS + 300_001), "clock_skew");
  const old = signedMessage(a, B, "trust_request", START_MS - DIRECT_MESSAGE_LIFETIME_MS - 1);
  await refused(bob, old, "expired");
});

Deno.test("attack: a forged signature is refused", async () => {
  const { clock, keys, a, b, c } = newWorld();
  const bob = await openDaemon(b, clock, keys);
  // C signs a request claiming to be A.
  await refused(bob, signedMessage(c, B, "trust_request", START_MS, { fromId: A }), "bad_signature");
  // A's genuine message with one field changed after signing.
  const genuine = signedMessage(a, B, "trust_request", START_MS, { justification: "hi" });
  await refused(bob, { ...genuine, justification: "hello" }, "bad_signature", "direct", A);
  // The genuine one still works afterwards: refusals do not burn its ts.
  assert.equal((await bob.manager.onMessage(wire(genuine), "direct", A)).ack.status, "pending");
});

Deno.test("onMessage() refuses a sender the registry does not know, and garbage without throwing", async () => {
  const { clock, keys, b } = newWorld();
  const bob = await openDaemon(b, clock, keys);
  const ghost = makeNode(0x999);
  const r = await bob.manager.onMessage(wire(signedMessage(ghost, B, "trust_request", START_MS)), "registry");
  assert.equal(r.ack.code, "unknown_sender");
  for (const junk of [null, 42, "x", [], { type: "trust_request" }, { from: 1e300 }]) {
    const j = await bob.manager.onMessage(junk, "registry");
    assert.equal(j.ack.status, "error");
    assert.equal(j.ack.code, "bad_message");
  }
});

Deno.test("onMessage() refuses a replayed message and any older ts", async () => {
  const { clock, keys, a, b } = newWorld();
  const bob = await openDaemon(b, clock, keys);
  const first = signedMessage(a, B, "trust_request", START_MS);
  assert.equal((await bob.manager.onMessage(wire(first), "direct", A)).ack.status, "pending");
  const replay = await bob.manager.onMessage(wire(first), "direct", A);
  assert.equal(replay.ack.code, "replay");
  assert.deepEqual(replay.actions, [{
    kind: "webhook",
    event: "security.replay",
    data: { peer_node_id: A, reason: "replay" },
  }]);
  const older = await bob.manager.onMessage(wire(signedMessage(a, B, "trust_revoke", START_MS - 1)), "registry");
  assert.equal(older.ack.code, "replay");
  assert.equal(bob.manager.record(A)?.state, "pending_in");
});

Deno.test("attack: a replayed trust request stays dead across a restart, after reject and after revoke", async () => {
  await withHome(async (home) => {
    const { clock, keys, a, b } = newWorld();
    const open = () => openDaemon(b, clock, keys, { store: TrustFileStore.inHome(home) });
    const alice = await openDaemon(a, clock, keys);
    let bob = await open();

    // A's request travels through the registry with a 7-day lifetime, so it stays replayable for a long time.
    const request = sends((await alice.manager.request(B, "please")).actions)[0].relay;
    assert.equal(request.exp, request.ts + RELAY_MESSAGE_LIFETIME_MS);
    assert.equal((await bob.manager.onMessage(wire(request), "registry")).ack.status, "pending");

    bob = await open(); // restart with the request still pending
    assert.equal((await bob.manager.onMessage(wire(request), "registry")).ack.code, "replay");
    assert.equal(bob.manager.pending().incoming.length, 1);

    await bob.manager.reject(A, "no");
    bob = await open(); // restart after the reject
    clock.advance(2 * 24 * 3600 * 1000);
    assert.equal((await bob.manager.onMessage(wire(request), "registry")).ack.code, "replay");
    assert.deepEqual(bob.manager.pending().incoming, []);

    // Later A asks again, B approves, then A revokes; the old request and the old approve stay dead.
    const second = sends((await alice.manager.request(B, "again")).actions)[0];
    assert.equal((await bob.manager.onMessage(wire(second.direct), "direct", A)).ack.status, "pending");
    const approve = await bob.manager.approve(A);
    await deliver(approve.actions, bob, alice);
    const revoke = await alice.manager.revoke(B);
    assert.deepEqual((await deliver(revoke.actions, alice, bob)).statuses, ["revoked"]);
    bob = await open(); // restart after the revoke
    for (const old of [request, second.direct, second.relay]) {
      const r = await bob.manager.onMessage(wire(old), old === second.direct ? "direct" : "registry", A);
      assert.equal(r.ack.code, "replay");
    }
    assert.equal(bob.manager.isTrusted(A), false);
    assert.deepEqual(bob.manager.pending().incoming, []);

    // Seven days after the last message the row may go; by then every old message has expired anyway.
    const lastRx = sends(revoke.actions)[0].direct.ts;
    clock.advance(lastRx + RELAY_MESSAGE_LIFETIME_MS - 1 - clock.now());
    await bob.manager.expire();
    assert.equal(bob.manager.record(A)?.lastRxTs, lastRx, "kept for 7 days after last_rx_ts");
    clock.advance(1);
    await bob.manager.expire();
    bob = await open();
    assert.equal(bob.manager.record(A), undefined);
    assert.equal((await bob.manager.onMessage(wire(second.relay), "registry")).ack.code, "expired");
  });
});

Deno.test("trust survives a restart from trust.json", async () => {
  await withHome(async (home) => {
    const { clock, keys, a, b } = newWorld();
    const alice = await openDaemon(a, clock, keys);
    const bob = await openDaemon(b, clock, keys, { store: TrustFileStore.inHome(home) });
    await deliver((await alice.manager.request(B, "logs")).actions, alice, bob);
    await bob.manager.approve(A);
    const again = await openDaemon(b, clock, keys, { store: TrustFileStore.inHome(home) });
    assert.ok(again.manager.isTrusted(A));
    assert.deepEqual(again.manager.pinnedKey(A), a.publicKey);
    assert.equal(again.manager.list()[0].origin, "approved");
  });
});

Deno.test("a corrupt trust.json stops the manager from opening and is left byte-identical", async () => {
  await withHome(async (home) => {
    const { clock, keys, b } = newWorld();
    const path = `${home}/trust.json`;
    const bytes = new TextEncoder().encode('{"version":1,"peers":[{"node_id":"x"}]}');
    await Deno.writeFile(path, bytes);
    await assert.rejects(openDaemon(b, clock, keys, { store: TrustFileStore.inHome(home) }), (err: unknown) => {
      assert.ok(err instanceof InternalError);
      assert.ok(err.message.includes(path));
      return true;
    });
    assert.deepEqual(await Deno.readFile(path), bytes);
  });
});

/** A and B trusted; returns both daemons. */
async function trustedPair() {
  const world = newWorld();
  const alice = await openDaemon(world.a, world.clock, world.keys);
  const bob = await openDaemon(world.b, world.clock, world.keys);
  await deliver((await alice.manager.request(B, "")).actions, alice, bob);
  await deliver((await bob.manager.approve(A)).actions, bob, alice);
  assert.ok(alice.manager.isTrusted(B) && bob.manager.isTrusted(A));
  return { ...world, alice, bob };
}

Deno.test("a trusted peer's rotated key is accepted through a key chain from the pin", async () => {
  const { clock, keys, b, alice } = await trustedPair();
  const rotated = makeNode(B, 1);
  const at = START_MS + 10;
  keys.set(B, {
    publicKey: rotated.publicKey,
    keyChain: [{
      publicKey: b.publicKey,
      rotatedAtMs: at,
      rotationSig: ed25519Sign(b.seed, rotationMessage(B, rotated.publicKey, at)),
    }],
  });
  clock.advance(1000); // past B's approve, the last ts A accepted from B
  const r = await alice.manager.onMessage(wire(signedMessage(rotated, A, "trust_request", clock.now())), "direct", B);
  assert.equal(r.ack.status, "trusted");
  assert.deepEqual(alice.manager.pinnedKey(B), rotated.publicKey);
  // The old key no longer speaks for B.
  const stale = await alice.manager.onMessage(wire(signedMessage(b, A, "trust_revoke", clock.now() + 1)), "registry");
  assert.equal(stale.ack.code, "bad_signature");
  assert.ok(alice.manager.isTrusted(B));
});

Deno.test("attack: a key change without a valid chain from the pin is refused and the pin kept", async () => {
  const { clock, keys, b, c, alice } = await trustedPair();
  // The registry (or an attacker in its place) claims B now has C's key, with a chain C signed itself.
  const at = START_MS + 10;
  keys.set(B, {
    publicKey: c.publicKey,
    keyChain: [{
      publicKey: b.publicKey,
      rotatedAtMs: at,
      rotationSig: ed25519Sign(c.seed, rotationMessage(B, c.publicKey, at)),
    }],
  });
  const forged = signedMessage(c, A, "trust_revoke", clock.now() + 1, { fromId: B });
  const r = await alice.manager.onMessage(wire(forged), "registry");
  assert.equal(r.ack.code, "key_not_chained");
  assert.ok(alice.manager.isTrusted(B));
  assert.deepEqual(alice.manager.pinnedKey(B), b.publicKey);
  // A chain that does not start at the pin.
  keys.set(B, { publicKey: c.publicKey, keyChain: [] });
  assert.equal((await alice.manager.onMessage(wire(forged), "registry")).ack.code, "key_not_chained");
  assert.equal(await alice.manager.acceptKeyChange(B, { publicKey: c.publicKey, keyChain: [] }), false);
  assert.deepEqual(alice.manager.pinnedKey(B), b.publicKey);
});

Deno.test("acceptKeyChange() re-pins along a valid chain and persists it", async () => {
  const { b, alice } = await trustedPair();
  const rotated = makeNode(B, 1);
  const at = START_MS + 10;
  const keys = {
    publicKey: rotated.publicKey,
    keyChain: [{
      publicKey: b.publicKey,
      rotatedAtMs: at,
      rotationSig: ed25519Sign(b.seed, rotationMessage(B, rotated.publicKey, at)),
    }],
  };
  assert.equal(await alice.manager.acceptKeyChange(B, keys), true);
  assert.deepEqual(alice.manager.pinnedKey(B), rotated.publicKey);
  assert.equal(alice.manager.record(B)?.publicKey, toBase64(rotated.publicKey));
  assert.equal(await alice.manager.acceptKeyChange(C, keys), false, "no pin, nothing to change");
});
