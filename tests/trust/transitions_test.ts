// Every row of the §6.3 table, on the pure per-peer functions.
import assert from "node:assert/strict";
import { emptyRecord, type PeerRecord, type TrustState } from "../../src/trust/record.ts";
import {
  applyLocal,
  applyReceived,
  type LocalOutcome,
  type PeerIntent,
  type ReceivedEvent,
} from "../../src/trust/transitions.ts";
import { PENDING_OUT_LIFETIME_MS } from "../../src/trust/constants.ts";

const PEER = 0x200;
const NOW = 1_000_000;
const KEY = "A".repeat(43) + "=";
const NEW_KEY = "B".repeat(43) + "=";

function record(state: TrustState, extra: Partial<PeerRecord> = {}): PeerRecord {
  const base = { ...emptyRecord(PEER, 10), lastRxTs: 5, lastTxTs: 7 };
  if (state === "trusted") return { ...base, state, publicKey: KEY, origin: "approved", ...extra };
  if (state === "pending_in") return { ...base, state, publicKey: KEY, justification: "old", ...extra };
  if (state === "pending_out") return { ...base, state, expiresMs: 10 + PENDING_OUT_LIFETIME_MS, ...extra };
  return { ...base, ...extra };
}

function received(type: ReceivedEvent["type"], extra: Partial<ReceivedEvent> = {}): ReceivedEvent {
  return { type, publicKey: KEY, autoNetwork: null, ...extra };
}

function describe(intents: readonly PeerIntent[]): string[] {
  return intents.map((i) => {
    if (i.kind === "send") return `send:${i.type}`;
    if (i.kind === "webhook") return `webhook:${i.event}`;
    return i.kind;
  });
}

function ok(outcome: LocalOutcome): Extract<LocalOutcome, { ok: true }> {
  assert.ok(outcome.ok, "local event refused");
  return outcome;
}

Deno.test("§6.3 none + local request: send trust_request, pending_out with a 7-day expiry", () => {
  const r = ok(applyLocal(record("none"), { kind: "request", justification: "logs" }, NOW));
  assert.equal(r.record.state, "pending_out");
  assert.equal(r.record.sinceMs, NOW);
  assert.equal(r.record.expiresMs, NOW + PENDING_OUT_LIFETIME_MS);
  assert.equal(r.status, "sent");
  assert.deepEqual(describe(r.intents), ["send:trust_request"]);
  assert.equal((r.intents[0] as { justification?: string }).justification, "logs");
  assert.equal(r.record.lastRxTs, 5, "replay state survives");
  assert.equal(r.record.lastTxTs, 7);
});

Deno.test("§6.3 none + trust_request: store justification, webhook handshake.pending, pending_in", () => {
  const r = applyReceived(record("none"), received("trust_request", { justification: "why" }), NOW);
  assert.equal(r.record.state, "pending_in");
  assert.equal(r.record.justification, "why");
  assert.equal(r.record.sinceMs, NOW);
  assert.equal(r.record.publicKey, KEY);
  assert.equal(r.status, "pending");
  assert.deepEqual(describe(r.intents), ["webhook:handshake.received", "webhook:handshake.pending"]);
  const pending = r.intents[1] as Extract<PeerIntent, { kind: "webhook" }>;
  assert.deepEqual(pending.data, { peer_node_id: PEER, justification: "why" });
});

Deno.test("§6.3 none + trust_request under a matching auto-approve policy: send approve, trusted (auto)", () => {
  const r = applyReceived(record("none"), received("trust_request", { justification: "j", autoNetwork: 7 }), NOW);
  assert.equal(r.record.state, "trusted");
  assert.equal(r.record.origin, "auto");
  assert.equal(r.record.network, 7);
  assert.equal(r.status, "trusted");
  assert.deepEqual(describe(r.intents), [
    "webhook:handshake.received",
    "send:trust_approve",
    "pin_key",
    "report_trust",
    "webhook:handshake.auto_approved",
  ]);
});

Deno.test("§6.3 pending_out + trust_request (mutual): send approve, trusted (mutual)", () => {
  const r = applyReceived(record("pending_out"), received("trust_request", { justification: "j" }), NOW);
  assert.equal(r.record.state, "trusted");
  assert.equal(r.record.origin, "mutual");
  assert.equal(r.record.expiresMs, undefined);
  assert.equal(r.status, "trusted");
  assert.deepEqual(describe(r.intents), [
    "webhook:handshake.received",
    "send:trust_approve",
    "pin_key",
    "report_trust",
    "webhook:handshake.auto_approved",
  ]);
});

Deno.test("§6.3 pending_out + trust_approve: trusted (accepted), key pinned, report_trust", () => {
  const r = applyReceived(record("pending_out"), received("trust_approve", { publicKey: NEW_KEY }), NOW);
  assert.equal(r.record.state, "trusted");
  assert.equal(r.record.origin, "accepted");
  assert.equal(r.record.publicKey, NEW_KEY);
  assert.equal(r.record.sinceMs, NOW);
  assert.equal(r.status, "trusted");
  assert.deepEqual(describe(r.intents), ["pin_key", "report_trust", "webhook:handshake.approved"]);
  assert.deepEqual(r.intents[0], { kind: "pin_key", peer: PEER, publicKey: NEW_KEY });
});

Deno.test("§6.3 pending_out + trust_reject: none, nothing sent", () => {
  const r = applyReceived(record("pending_out"), received("trust_reject", { reason: "busy" }), NOW);
  assert.equal(r.record.state, "none");
  assert.equal(r.record.expiresMs, undefined);
  assert.equal(r.status, "rejected");
  assert.deepEqual(describe(r.intents), ["webhook:handshake.rejected"]);
  assert.deepEqual((r.intents[0] as Extract<PeerIntent, { kind: "webhook" }>).data, {
    peer_node_id: PEER,
    reason: "busy",
  });
  assert.equal(r.record.lastRxTs, 5);
});

Deno.test("§6.3 pending_in + local approve: send approve, trusted (approved) with the requester's key", () => {
  const r = ok(applyLocal(record("pending_in"), { kind: "approve" }, NOW));
  assert.equal(r.record.state, "trusted");
  assert.equal(r.record.origin, "approved");
  assert.equal(r.record.publicKey, KEY);
  assert.equal(r.record.justification, "old");
  assert.equal(r.status, "approved");
  assert.deepEqual(describe(r.intents), [
    "send:trust_approve",
    "pin_key",
    "report_trust",
    "webhook:handshake.approved",
  ]);
});

Deno.test("§6.3 pending_in + local request (mutual): send approve, trusted (mutual)", () => {
  const r = ok(applyLocal(record("pending_in"), { kind: "request", justification: "" }, NOW));
  assert.equal(r.record.state, "trusted");
  assert.equal(r.record.origin, "mutual");
  assert.equal(r.status, "trusted");
  assert.deepEqual(describe(r.intents), [
    "send:trust_approve",
    "pin_key",
    "report_trust",
    "webhook:handshake.auto_approved",
  ]);
});

Deno.test("§6.3 pending_in + local reject: send trust_reject with the reason, none", () => {
  const r = ok(applyLocal(record("pending_in"), { kind: "reject", reason: "spam" }, NOW));
  assert.equal(r.record.state, "none");
  assert.equal(r.record.justification, undefined);
  assert.equal(r.status, "rejected");
  assert.deepEqual(describe(r.intents), ["send:trust_reject", "webhook:handshake.rejected"]);
  assert.equal((r.intents[0] as { reason?: string }).reason, "spam");
  const noReason = ok(applyLocal(record("pending_in"), { kind: "reject" }, NOW));
  assert.equal("reason" in noReason.intents[0], false);
});

Deno.test("§6.3 trusted + trust_request: re-send approve, stay trusted", () => {
  const before = record("trusted");
  const r = applyReceived(before, received("trust_request"), NOW);
  assert.equal(r.record.state, "trusted");
  assert.equal(r.record.sinceMs, before.sinceMs);
  assert.equal(r.status, "trusted");
  assert.deepEqual(describe(r.intents), ["send:trust_approve"]);
});

Deno.test("§6.3 trusted + local revoke: send revoke, close connections, revoke_trust, none", () => {
  const r = ok(applyLocal(record("trusted"), { kind: "revoke" }, NOW));
  assert.equal(r.record.state, "none");
  assert.equal(r.record.origin, null);
  assert.equal(r.status, "revoked");
  assert.deepEqual(describe(r.intents), [
    "send:trust_revoke",
    "close_connections",
    "revoke_trust",
    "webhook:trust.revoked",
  ]);
});

Deno.test("§6.3 trusted + trust_revoke received: close connections, revoke_trust, none, nothing sent", () => {
  const r = applyReceived(record("trusted"), received("trust_revoke"), NOW);
  assert.equal(r.record.state, "none");
  assert.equal(r.status, "revoked");
  assert.deepEqual(describe(r.intents), ["close_connections", "revoke_trust", "webhook:trust.revoked_by_peer"]);
});

Deno.test("§6.3 any other state + trust_approve: ignored as unsolicited_approve, unchanged", () => {
  for (const state of ["none", "pending_in", "trusted"] as const) {
    const before = record(state);
    const r = applyReceived(before, received("trust_approve"), NOW);
    assert.equal(r.record.state, state);
    assert.equal(r.record.sinceMs, before.sinceMs);
    assert.equal(r.status, "ignored");
    assert.equal(r.code, "unsolicited_approve");
    assert.deepEqual(r.intents, []);
  }
});

Deno.test("trust_reject outside pending_out is ignored; trust_revoke in none is ignored", () => {
  for (const state of ["none", "pending_in", "trusted"] as const) {
    const r = applyReceived(record(state), received("trust_reject"), NOW);
    assert.equal(r.record.state, state);
    assert.equal(r.status, "ignored");
  }
  const r = applyReceived(record("none"), received("trust_revoke"), NOW);
  assert.equal(r.status, "ignored");
  assert.equal(r.code, "not_trusted");
});

Deno.test("local approve / reject without a pending request and revoke without trust are refused", () => {
  for (const state of ["none", "pending_out", "trusted"] as const) {
    assert.deepEqual(applyLocal(record(state), { kind: "approve" }, NOW), { ok: false, refusal: "not_pending" });
    assert.deepEqual(applyLocal(record(state), { kind: "reject" }, NOW), { ok: false, refusal: "not_pending" });
  }
  for (const state of ["none", "pending_out", "pending_in"] as const) {
    assert.deepEqual(applyLocal(record(state), { kind: "revoke" }, NOW), { ok: false, refusal: "not_trusted" });
  }
});

Deno.test("local request while trusted reports already_trusted and sends nothing", () => {
  const r = ok(applyLocal(record("trusted"), { kind: "request", justification: "" }, NOW));
  assert.equal(r.status, "already_trusted");
  assert.deepEqual(r.intents, []);
});

Deno.test("local request while pending_out re-sends and restarts the expiry", () => {
  const r = ok(applyLocal(record("pending_out"), { kind: "request", justification: "again" }, NOW));
  assert.equal(r.record.state, "pending_out");
  assert.equal(r.record.expiresMs, NOW + PENDING_OUT_LIFETIME_MS);
  assert.deepEqual(describe(r.intents), ["send:trust_request"]);
});
