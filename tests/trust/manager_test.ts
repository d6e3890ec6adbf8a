// The TrustManager facade between two simulated daemons: the §6.3 flows end to end, the views CLI.md §3.5 needs,
// the auto-approve policy, persistence before return and rollback on a failed write.
import assert from "node:assert/strict";
import { InternalError, NotFoundError } from "../../src/util/errors.ts";
import { PENDING_OUT_LIFETIME_MS, REQUEST_MIN_INTERVAL_MS, verifyTrustMessage } from "../../src/trust/mod.ts";
import { A, B, deliver, kinds, MemoryStore, newWorld, openDaemon, sends, START_MS, wire } from "./_fixtures.ts";

Deno.test("handshake then approve: both sides trusted with pinned keys and report_trust", async () => {
  const { clock, keys, a, b } = newWorld();
  const alice = await openDaemon(a, clock, keys);
  const bob = await openDaemon(b, clock, keys);

  const asked = await alice.manager.request(B, "share build logs");
  assert.equal(asked.status, "sent");
  const [send] = sends(asked.actions);
  assert.equal(send.peer, B);
  assert.ok(verifyTrustMessage(send.direct, a.publicKey));
  assert.ok(verifyTrustMessage(send.relay, a.publicKey));
  assert.notEqual(send.direct.nonce, send.relay.nonce);
  assert.deepEqual(alice.manager.pending().outgoing, [{
    nodeId: B,
    sentAtMs: START_MS,
    expiresAtMs: START_MS + PENDING_OUT_LIFETIME_MS,
  }]);

  clock.advance(1500);
  const atBob = await deliver(asked.actions, alice, bob);
  assert.deepEqual(atBob.statuses, ["pending"]);
  assert.deepEqual(kinds(atBob.actions), ["webhook:handshake.received", "webhook:handshake.pending"]);
  assert.deepEqual(bob.manager.pending().incoming, [{
    nodeId: A,
    justification: "share build logs",
    receivedAtMs: START_MS + 1500,
  }]);
  assert.equal(bob.manager.isTrusted(A), false);

  clock.advance(1000);
  const approved = await bob.manager.approve(A);
  assert.equal(approved.status, "approved");
  assert.deepEqual(kinds(approved.actions), ["send", "pin_key", "report_trust", "webhook:handshake.approved"]);
  assert.ok(bob.manager.isTrusted(A));
  assert.deepEqual(bob.manager.pinnedKey(A), a.publicKey);

  const atAlice = await deliver(approved.actions, bob, alice);
  assert.deepEqual(atAlice.statuses, ["trusted"]);
  assert.deepEqual(kinds(atAlice.actions), ["pin_key", "report_trust", "webhook:handshake.approved"]);
  assert.ok(alice.manager.isTrusted(B));
  assert.deepEqual(alice.manager.pinnedKey(B), b.publicKey);
  assert.deepEqual(alice.manager.list(), [{
    nodeId: B,
    origin: "accepted",
    network: null,
    approvedAtMs: START_MS + 2500,
    publicKey: b.publicKeyB64,
  }]);
  assert.equal(bob.manager.list()[0].origin, "approved");
  assert.deepEqual(alice.manager.pending(), { incoming: [], outgoing: [] });
});

Deno.test("both sides asking makes trust at once (mutual) and the crossing approvals are ignored", async () => {
  const { clock, keys, a, b } = newWorld();
  const alice = await openDaemon(a, clock, keys);
  const bob = await openDaemon(b, clock, keys);
  const fromAlice = await alice.manager.request(B, "");
  const fromBob = await bob.manager.request(A, "");
  const atBob = await deliver(fromAlice.actions, alice, bob);
  const atAlice = await deliver(fromBob.actions, bob, alice);
  assert.deepEqual(atBob.statuses, ["trusted"]);
  assert.deepEqual(atAlice.statuses, ["trusted"]);
  assert.equal(alice.manager.list()[0].origin, "mutual");
  assert.equal(bob.manager.list()[0].origin, "mutual");
  const crossing = await deliver(atBob.actions, bob, alice);
  assert.deepEqual(crossing.statuses, ["ignored"]);
  assert.ok(alice.manager.isTrusted(B));
});

Deno.test("a local request answering a pending one trusts at once", async () => {
  const { clock, keys, a, b } = newWorld();
  const alice = await openDaemon(a, clock, keys);
  const bob = await openDaemon(b, clock, keys);
  await deliver((await alice.manager.request(B, "x")).actions, alice, bob);
  const r = await bob.manager.request(A, "");
  assert.equal(r.status, "trusted");
  assert.equal((await bob.manager.request(A, "")).status, "already_trusted");
  assert.deepEqual((await deliver(r.actions, bob, alice)).statuses, ["trusted"]);
});

Deno.test("reject sends the reason and ends the request on both sides", async () => {
  const { clock, keys, a, b } = newWorld();
  const alice = await openDaemon(a, clock, keys);
  const bob = await openDaemon(b, clock, keys);
  await deliver((await alice.manager.request(B, "x")).actions, alice, bob);
  const rejected = await bob.manager.reject(A, "not today");
  assert.equal(rejected.status, "rejected");
  assert.equal(sends(rejected.actions)[0].direct.reason, "not today");
  const atAlice = await deliver(rejected.actions, bob, alice);
  assert.deepEqual(atAlice.statuses, ["rejected"]);
  const hook = atAlice.actions.find((x) => x.kind === "webhook");
  assert.deepEqual(hook, {
    kind: "webhook",
    event: "handshake.rejected",
    data: { peer_node_id: B, reason: "not today" },
  });
  assert.deepEqual(alice.manager.pending(), { incoming: [], outgoing: [] });
  assert.deepEqual(bob.manager.pending(), { incoming: [], outgoing: [] });
  await assert.rejects(bob.manager.approve(A), NotFoundError);
});

Deno.test("untrust tells the peer, closes connections and revokes the registry edge on both sides", async () => {
  const { clock, keys, a, b } = newWorld();
  const alice = await openDaemon(a, clock, keys);
  const bob = await openDaemon(b, clock, keys);
  await deliver((await alice.manager.request(B, "")).actions, alice, bob);
  await deliver((await bob.manager.approve(A)).actions, bob, alice);
  const revoked = await alice.manager.revoke(B);
  assert.equal(revoked.status, "revoked");
  assert.deepEqual(kinds(revoked.actions), ["send", "close_connections", "revoke_trust", "webhook:trust.revoked"]);
  assert.equal(alice.manager.isTrusted(B), false);
  const atBob = await deliver(revoked.actions, alice, bob);
  assert.deepEqual(atBob.statuses, ["revoked"]);
  assert.deepEqual(kinds(atBob.actions), ["close_connections", "revoke_trust", "webhook:trust.revoked_by_peer"]);
  assert.equal(bob.manager.isTrusted(A), false);
  await assert.rejects(alice.manager.revoke(B), /node 258 is not trusted/);
});

Deno.test("self is always trusted and cannot be asked", async () => {
  const { clock, keys, a } = newWorld();
  const alice = await openDaemon(a, clock, keys);
  assert.ok(alice.manager.isTrusted(A));
  assert.equal(alice.manager.isTrusted(B), false);
  await assert.rejects(alice.manager.request(A, ""), /cannot handshake with yourself/);
});

Deno.test("auto-approve policy network approves a co-member's request; policy none never asks", async () => {
  const { clock, keys, a, b } = newWorld();
  const asked: number[] = [];
  const bob = await openDaemon(b, clock, keys, {
    policy: "network",
    sharesNetwork: (peer) => {
      asked.push(peer);
      return Promise.resolve(7);
    },
  });
  const alice = await openDaemon(a, clock, keys);
  const atBob = await deliver((await alice.manager.request(B, "hi")).actions, alice, bob);
  assert.deepEqual(atBob.statuses, ["trusted"]);
  assert.deepEqual(asked, [A]);
  assert.deepEqual(bob.manager.list()[0], {
    nodeId: A,
    origin: "auto",
    network: 7,
    approvedAtMs: START_MS,
    publicKey: a.publicKeyB64,
  });
  assert.ok(atBob.actions.some((x) => x.kind === "webhook" && x.event === "handshake.auto_approved"));
  assert.deepEqual((await deliver(atBob.actions, bob, alice)).statuses, ["trusted"]);

  let calls = 0;
  const carolWorld = newWorld();
  const strict = await openDaemon(carolWorld.b, carolWorld.clock, carolWorld.keys, {
    policy: "none",
    sharesNetwork: () => Promise.resolve(++calls),
  });
  const requester = await openDaemon(carolWorld.a, carolWorld.clock, carolWorld.keys);
  const r = await deliver((await requester.manager.request(B, "")).actions, requester, strict);
  assert.deepEqual(r.statuses, ["pending"]);
  assert.equal(calls, 0);
});

Deno.test("auto-approve policy network leaves a request pending when no network is shared", async () => {
  const { clock, keys, a, b } = newWorld();
  const bob = await openDaemon(b, clock, keys, { policy: "network", sharesNetwork: () => Promise.resolve(null) });
  const alice = await openDaemon(a, clock, keys);
  assert.deepEqual((await deliver((await alice.manager.request(B, "")).actions, alice, bob)).statuses, ["pending"]);
});

Deno.test("the relay copy arriving after its direct twin is harmless", async () => {
  const { clock, keys, a, b } = newWorld();
  const alice = await openDaemon(a, clock, keys);
  const bob = await openDaemon(b, clock, keys);
  await deliver((await alice.manager.request(B, "")).actions, alice, bob);
  const approved = await bob.manager.approve(A);
  await deliver(approved.actions, bob, alice);
  const relay = await alice.manager.onMessage(wire(sends(approved.actions)[0].relay), "registry");
  assert.equal(relay.ack.status, "ignored");
  assert.equal(relay.ack.code, "unsolicited_approve");
  assert.ok(alice.manager.isTrusted(B));
});

Deno.test("a repeated request within 60 s is refused; after 60 s it refreshes the justification", async () => {
  const { clock, keys, a, b } = newWorld();
  const alice = await openDaemon(a, clock, keys);
  const bob = await openDaemon(b, clock, keys);
  await deliver((await alice.manager.request(B, "one")).actions, alice, bob);
  clock.advance(REQUEST_MIN_INTERVAL_MS - 1);
  const again = await alice.manager.request(B, "two");
  const refused = await bob.manager.onMessage(wire(sends(again.actions)[0].direct), "direct", A);
  assert.equal(refused.ack.code, "rate_limited");
  clock.advance(1);
  const third = await alice.manager.request(B, "three");
  assert.deepEqual((await deliver(third.actions, alice, bob)).statuses, ["pending"]);
  assert.equal(bob.manager.pending().incoming[0].justification, "three");
});

Deno.test("an unanswered outgoing request lapses after 7 days", async () => {
  const { clock, keys, a } = newWorld();
  const alice = await openDaemon(a, clock, keys);
  await alice.manager.request(B, "");
  clock.advance(PENDING_OUT_LIFETIME_MS);
  await alice.manager.expire();
  assert.deepEqual(alice.manager.pending().outgoing, []);
});

Deno.test("every change is saved before the call returns", async () => {
  const { clock, keys, a } = newWorld();
  const store = new MemoryStore();
  const alice = await openDaemon(a, clock, keys, { store });
  await alice.manager.request(B, "x");
  assert.equal(store.records.length, 1);
  assert.equal(store.records[0].state, "pending_out");
  assert.equal(store.records[0].lastTxTs, START_MS + 1);
});

Deno.test("a failed write undoes the change: the local call throws, a message gets an error ack", async () => {
  const { clock, keys, a, b } = newWorld();
  const store = new MemoryStore();
  const alice = await openDaemon(a, clock, keys);
  const bob = await openDaemon(b, clock, keys, { store });
  const request = await alice.manager.request(B, "x");
  store.failWrites = true;
  const r = await bob.manager.onMessage(wire(sends(request.actions)[0].direct), "direct", A);
  assert.equal(r.ack.status, "error");
  assert.equal(r.ack.code, "storage_failed");
  assert.equal(bob.manager.record(A), undefined);
  store.failWrites = false;
  assert.deepEqual((await deliver(request.actions, alice, bob)).statuses, ["pending"], "not burnt as a replay");
  store.failWrites = true;
  await assert.rejects(bob.manager.approve(A), InternalError);
  assert.equal(bob.manager.record(A)?.state, "pending_in");
  assert.equal(bob.manager.isTrusted(A), false);
});
