// The machine over all peers: §6.2 receiver checks, rate and pending limits, outgoing timestamps, and expiry (§6.5).
import assert from "node:assert/strict";
import { InvalidArgumentError, NotFoundError } from "../../src/util/errors.ts";
import {
  DIRECT_MESSAGE_LIFETIME_MS,
  MAX_INCOMING_PENDING,
  MAX_TOMBSTONES,
  PENDING_OUT_LIFETIME_MS,
  RELAY_MESSAGE_LIFETIME_MS,
  REQUEST_MIN_INTERVAL_MS,
  TOMBSTONE_LIFETIME_MS,
} from "../../src/trust/constants.ts";
import type { PeerRecord, TrustAction } from "../../src/trust/record.ts";
import { TrustMachine } from "../../src/trust/state_machine.ts";
import { A, B, C, makeNode, signedMessage, START_MS } from "./_fixtures.ts";

const bob = makeNode(B);
const carol = makeNode(C);
const KEY = bob.publicKeyB64;

function sendsOf(actions: readonly TrustAction[]) {
  return actions.filter((a): a is Extract<TrustAction, { kind: "send" }> => a.kind === "send");
}

Deno.test("precheck() refuses a message addressed to another node", () => {
  const m = new TrustMachine(A);
  const msg = signedMessage(bob, C, "trust_request", START_MS);
  assert.equal(m.precheck(msg, "registry", undefined, START_MS)?.code, "wrong_recipient");
});

Deno.test("precheck() on port 444 refuses a from that is not the tunnel peer", () => {
  const m = new TrustMachine(A);
  const msg = signedMessage(bob, A, "trust_request", START_MS);
  assert.equal(m.precheck(msg, "direct", C, START_MS)?.code, "from_mismatch");
  assert.equal(m.precheck(msg, "direct", undefined, START_MS)?.code, "from_mismatch");
  assert.equal(m.precheck(msg, "direct", B, START_MS), null);
  assert.equal(m.precheck(msg, "registry", undefined, START_MS), null, "the relay has no tunnel peer");
});

Deno.test("precheck() refuses ts more than 300 s ahead, accepts exactly 300 s", () => {
  const m = new TrustMachine(A);
  const ahead = signedMessage(bob, A, "trust_request", START_MS + 300_001);
  assert.equal(m.precheck(ahead, "registry", undefined, START_MS)?.code, "clock_skew");
  const edge = signedMessage(bob, A, "trust_request", START_MS + 300_000);
  assert.equal(m.precheck(edge, "registry", undefined, START_MS), null);
});

Deno.test("precheck() refuses an expired message, accepts one at its exp", () => {
  const m = new TrustMachine(A);
  const msg = signedMessage(bob, A, "trust_request", START_MS);
  assert.equal(m.precheck(msg, "registry", undefined, msg.exp), null);
  assert.equal(m.precheck(msg, "registry", undefined, msg.exp + 1)?.code, "expired");
});

Deno.test("receive() refuses a replayed ts and any ts not above the last accepted one", () => {
  const m = new TrustMachine(A);
  const first = signedMessage(bob, A, "trust_request", START_MS);
  assert.equal(m.receive(first, KEY, null, START_MS).ack.status, "pending");
  assert.equal(m.precheck(first, "registry", undefined, START_MS)?.code, "replay");
  const again = m.receive(first, KEY, null, START_MS);
  assert.equal(again.ack.status, "error");
  assert.equal(again.ack.code, "replay");
  const older = signedMessage(bob, A, "trust_revoke", START_MS - 1);
  assert.equal(m.precheck(older, "registry", undefined, START_MS)?.code, "replay");
  assert.equal(m.get(B)?.state, "pending_in", "the replay changed nothing");
});

Deno.test("receive() allows one trust_request per peer per 60 s and still records its ts", () => {
  const m = new TrustMachine(A);
  assert.equal(m.receive(signedMessage(bob, A, "trust_request", START_MS), KEY, null, START_MS).ack.status, "pending");
  const second = signedMessage(bob, A, "trust_request", START_MS + 1000);
  const r = m.receive(second, KEY, null, START_MS + 1000);
  assert.equal(r.ack.status, "error");
  assert.equal(r.ack.code, "rate_limited");
  assert.equal(m.get(B)?.lastRxTs, START_MS + 1000, "an authentic refused message cannot be replayed later");
  // Other peers are not affected.
  assert.equal(
    m.receive(signedMessage(carol, A, "trust_request", START_MS + 1000), KEY, null, START_MS + 1000).ack.status,
    "pending",
  );
  const later = START_MS + REQUEST_MIN_INTERVAL_MS;
  const third = signedMessage(bob, A, "trust_request", later, { justification: "new" });
  assert.equal(m.receive(third, KEY, null, later).ack.status, "pending");
  assert.equal(m.get(B)?.justification, "new");
});

Deno.test("the 257th incoming request drops the oldest pending one", () => {
  const m = new TrustMachine(A);
  let dropped: TrustAction[] = [];
  for (let i = 0; i <= MAX_INCOMING_PENDING; i++) {
    const peer = makeNode(0x1000 + i);
    const now = START_MS + i;
    const r = m.receive(signedMessage(peer, A, "trust_request", now), peer.publicKeyB64, null, now);
    assert.equal(r.ack.status, "pending");
    if (i < MAX_INCOMING_PENDING) assert.equal(r.actions.some((a) => a.kind === "pending_dropped"), false);
    else dropped = r.actions.filter((a) => a.kind === "pending_dropped");
  }
  assert.deepEqual(dropped, [{ kind: "pending_dropped", peer: 0x1000 }]);
  const pendingIn = m.records().filter((r) => r.state === "pending_in");
  assert.equal(pendingIn.length, MAX_INCOMING_PENDING);
  assert.equal(m.get(0x1000)?.state, "none");
  assert.equal(m.get(0x1000)?.lastRxTs, START_MS, "the dropped peer keeps its replay protection");
  assert.equal(m.get(0x1000 + MAX_INCOMING_PENDING)?.state, "pending_in");
});

Deno.test("outgoing timestamps strictly increase per peer; relay copies get ts + 1 and a 7-day exp", () => {
  const m = new TrustMachine(A);
  const first = sendsOf(m.local(B, { kind: "request", justification: "j" }, START_MS).actions)[0];
  assert.equal(first.direct.ts, START_MS);
  assert.equal(first.direct.exp, START_MS + DIRECT_MESSAGE_LIFETIME_MS);
  assert.equal(first.relay.ts, START_MS + 1);
  assert.equal(first.relay.exp, START_MS + 1 + RELAY_MESSAGE_LIFETIME_MS);
  assert.equal(first.direct.justification, "j");
  assert.equal(first.direct.from, A);
  assert.equal(first.direct.to, B);
  // Same millisecond, and then a clock that went backwards: still strictly increasing.
  const second = sendsOf(m.local(B, { kind: "request", justification: "j" }, START_MS).actions)[0];
  assert.equal(second.direct.ts, START_MS + 2);
  const third = sendsOf(m.local(B, { kind: "request", justification: "j" }, START_MS - 5000).actions)[0];
  assert.equal(third.direct.ts, START_MS + 4);
  assert.equal(m.get(B)?.lastTxTs, START_MS + 5);
});

Deno.test("local() validates ids and text and reports CLI errors", () => {
  const m = new TrustMachine(A);
  assert.throws(() => m.local(A, { kind: "request", justification: "" }, START_MS), /cannot handshake with yourself/);
  assert.throws(() => m.local(0, { kind: "approve" }, START_MS), InvalidArgumentError);
  assert.throws(
    () => m.local(B, { kind: "request", justification: "x".repeat(1025) }, START_MS),
    /justification too long \(max 1024 bytes\)/,
  );
  assert.throws(() => m.local(B, { kind: "approve" }, START_MS), NotFoundError);
  assert.throws(() => m.local(B, { kind: "reject", reason: "x".repeat(257) }, START_MS), /reason too long/);
  assert.throws(() => m.local(B, { kind: "revoke" }, START_MS), /node 258 is not trusted/);
  assert.equal(m.get(B), undefined, "a refused local event leaves no row");
});

Deno.test("§6.3 pending_out lapses to none after 7 days", () => {
  const m = new TrustMachine(A);
  m.local(B, { kind: "request", justification: "" }, START_MS);
  m.expire(START_MS + PENDING_OUT_LIFETIME_MS - 1);
  assert.equal(m.get(B)?.state, "pending_out");
  m.expire(START_MS + PENDING_OUT_LIFETIME_MS);
  assert.equal(m.get(B)?.state, "none");
  assert.equal(m.get(B)?.lastTxTs, START_MS + 1);
});

Deno.test("a none row keeps last_rx_ts until 7 days after it, then goes", () => {
  const m = new TrustMachine(A);
  m.receive(signedMessage(bob, A, "trust_request", START_MS), KEY, null, START_MS);
  m.local(B, { kind: "reject" }, START_MS);
  const txTs = m.get(B)!.lastTxTs;
  m.expire(txTs + TOMBSTONE_LIFETIME_MS - 1);
  assert.equal(m.get(B)?.lastRxTs, START_MS);
  m.expire(txTs + TOMBSTONE_LIFETIME_MS);
  assert.equal(m.get(B), undefined);
});

Deno.test("expire() keeps at most MAX_TOMBSTONES none rows, forgetting the oldest", () => {
  const rows: PeerRecord[] = [];
  for (let i = 0; i < MAX_TOMBSTONES + 3; i++) {
    rows.push({
      nodeId: 0x1000 + i,
      state: "none",
      publicKey: null,
      sinceMs: START_MS,
      origin: null,
      lastRxTs: START_MS + i,
      lastTxTs: 0,
    });
  }
  const m = new TrustMachine(A, rows);
  m.expire(START_MS + MAX_TOMBSTONES + 10);
  assert.equal(m.records().length, MAX_TOMBSTONES);
  assert.equal(m.get(0x1000), undefined);
  assert.equal(m.get(0x1002), undefined);
  assert.ok(m.get(0x1003));
});

Deno.test("wantsPolicyAnswer() only for a request from a peer without a relationship", () => {
  const m = new TrustMachine(A);
  assert.equal(m.wantsPolicyAnswer(signedMessage(bob, A, "trust_request", START_MS)), true);
  assert.equal(m.wantsPolicyAnswer(signedMessage(bob, A, "trust_approve", START_MS)), false);
  m.local(B, { kind: "request", justification: "" }, START_MS);
  assert.equal(m.wantsPolicyAnswer(signedMessage(bob, A, "trust_request", START_MS)), false);
});
