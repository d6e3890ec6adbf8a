// Trust relay and trust edges (PROTOCOL-BRIEF §4.4, §6.1, §6.2) and punch (§5.3).
import assert from "node:assert/strict";
import { ed25519Sign } from "../../src/crypto/ed25519.ts";
import { randomBytes, toBase64 } from "../../src/util/bytes.ts";
import { parseLimits } from "../../src/registry/limits.ts";
import { trustSignedBytes } from "../../src/registry/protocol.ts";
import type { BeaconHooks } from "../../src/registry/context.ts";
import { Harness, type Json, type TestNode } from "./helpers.ts";

function trustMessage(h: Harness, from: TestNode, to: number, type = "trust_request", extra: Json = {}): Json {
  const now = h.clock.now();
  const m: Json = {
    type,
    from: from.nodeId,
    to,
    ts: now,
    exp: now + 7 * 86_400_000,
    nonce: toBase64(randomBytes(16)),
    ...extra,
  };
  m.sig = toBase64(ed25519Sign(from.identity.seed, trustSignedBytes(m)));
  return m;
}

Deno.test("handshake_request queues a verified message, pushes notify and handshake_poll delivers it", async () => {
  const h = await Harness.create();
  try {
    const a = await h.register();
    const b = await h.register();
    const msg = trustMessage(h, a, b.nodeId, "trust_request", { justification: "share build logs" });
    assert.deepEqual(await h.call(a, "handshake_request", { to: b.nodeId, message: msg }), {
      type: "handshake_request_ok",
      queued: true,
    });
    assert.deepEqual(b.conn.pushed, [{ type: "notify", inbox: 1 }]);
    assert.equal((await h.call(b, "heartbeat")).inbox, 1);
    const poll = await h.call(b, "handshake_poll", { max: 10 });
    const messages = poll.messages as Json[];
    assert.equal(messages.length, 1);
    assert.equal(messages[0].from, a.nodeId);
    assert.deepEqual(messages[0].message, msg);
    assert.equal(messages[0].queued_at_ms, h.clock.now());
    assert.equal(poll.more, false);
    // Messages stay until acked.
    assert.equal(((await h.call(b, "handshake_poll", {})).messages as Json[]).length, 1);
    await h.call(b, "handshake_poll", { ack: [messages[0].seq] });
    assert.deepEqual((await h.call(b, "handshake_poll", {})).messages, []);
  } finally {
    await h.close();
  }
});

Deno.test("handshake_request: forged from/to, bad signatures, expired and oversized messages are refused", async () => {
  const h = await Harness.create();
  try {
    const a = await h.register();
    const b = await h.register();
    const c = await h.register();
    const forgedFrom = trustMessage(h, c, b.nodeId);
    assert.equal(
      (await h.fails(h.signed(a, "handshake_request", { to: b.nodeId, message: forgedFrom }), "invalid_argument"))
        .field,
      "message.from",
    );
    const wrongTo = trustMessage(h, a, c.nodeId);
    assert.equal(
      (await h.fails(h.signed(a, "handshake_request", { to: b.nodeId, message: wrongTo }), "invalid_argument")).field,
      "message.to",
    );
    const tampered = { ...trustMessage(h, a, b.nodeId, "trust_request", { justification: "x" }), justification: "y" };
    assert.equal(
      (await h.fails(h.signed(a, "handshake_request", { to: b.nodeId, message: tampered }), "bad_signature")).field,
      "message.sig",
    );
    const expired = trustMessage(h, a, b.nodeId, "trust_request", { exp: h.clock.now() - 1 });
    await h.fails(h.signed(a, "handshake_request", { to: b.nodeId, message: expired }), "invalid_argument");
    const long = trustMessage(h, a, b.nodeId, "trust_request", { justification: "é".repeat(513) });
    assert.equal(
      (await h.fails(h.signed(a, "handshake_request", { to: b.nodeId, message: long }), "invalid_argument")).field,
      "message.justification",
    );
    const approveAsRequest = trustMessage(h, a, b.nodeId, "trust_approve");
    await h.fails(h.signed(a, "handshake_request", { to: b.nodeId, message: approveAsRequest }), "invalid_argument");
    const toNobody = trustMessage(h, a, 0x8888);
    await h.fails(h.signed(a, "handshake_request", { to: 0x8888, message: toNobody }), "not_found");
    assert.deepEqual(b.conn.pushed, []);
  } finally {
    await h.close();
  }
});

Deno.test("a newer trust_request replaces the older one; responses carry reasons ≤ 256 bytes", async () => {
  const h = await Harness.create();
  try {
    const a = await h.register();
    const b = await h.register();
    await h.call(a, "handshake_request", { to: b.nodeId, message: trustMessage(h, a, b.nodeId) });
    h.clock.advance(1000);
    const newer = trustMessage(h, a, b.nodeId, "trust_request", { justification: "second" });
    await h.call(a, "handshake_request", { to: b.nodeId, message: newer });
    const inbox = (await h.call(b, "handshake_poll", {})).messages as Json[];
    assert.deepEqual(inbox.map((m) => m.message), [newer]);
    const reject = trustMessage(h, b, a.nodeId, "trust_reject", { reason: "no" });
    await h.call(b, "handshake_respond", { to: a.nodeId, message: reject });
    assert.deepEqual(a.conn.pushed, [{ type: "notify", inbox: 1 }]);
    const longReason = trustMessage(h, b, a.nodeId, "trust_reject", { reason: "r".repeat(257) });
    await h.fails(h.signed(b, "handshake_respond", { to: a.nodeId, message: longReason }), "invalid_argument");
    await h.fails(
      h.signed(b, "handshake_respond", { to: a.nodeId, message: trustMessage(h, b, a.nodeId) }),
      "invalid_argument",
    );
  } finally {
    await h.close();
  }
});

Deno.test("the target inbox is capped (inbox_max) and messages expire after 7 days", async () => {
  const h = await Harness.create({ limits: parseLimits({ enabled: false, inbox_max: 2 }) });
  try {
    const b = await h.register();
    const senders = [await h.register(), await h.register(), await h.register()];
    await h.call(senders[0], "handshake_request", { to: b.nodeId, message: trustMessage(h, senders[0], b.nodeId) });
    await h.call(senders[1], "handshake_request", { to: b.nodeId, message: trustMessage(h, senders[1], b.nodeId) });
    await h.fails(
      h.signed(senders[2], "handshake_request", { to: b.nodeId, message: trustMessage(h, senders[2], b.nodeId) }),
      "limit_exceeded",
    );
    h.clock.advance(7 * 86_400_000);
    assert.deepEqual((await h.call(b, "handshake_poll", {})).messages, []);
  } finally {
    await h.close();
  }
});

Deno.test("handshake_request is limited to 30 per minute per node", async () => {
  const h = await Harness.create({ limits: parseLimits({}) });
  try {
    const a = await h.register();
    const b = await h.register();
    for (let i = 0; i < 30; i++) {
      await h.call(a, "handshake_request", { to: b.nodeId, message: trustMessage(h, a, b.nodeId) });
    }
    await h.fails(
      h.signed(a, "handshake_request", { to: b.nodeId, message: trustMessage(h, a, b.nodeId) }),
      "rate_limited",
    );
  } finally {
    await h.close();
  }
});

Deno.test("report_trust records edges; mutual once both report; list_trust shows both directions", async () => {
  const h = await Harness.create();
  try {
    const a = await h.register();
    const b = await h.register();
    assert.equal((await h.call(a, "report_trust", { peer: b.nodeId })).mutual, false);
    assert.equal((await h.call(b, "report_trust", { peer: "0:0000.0000.0100" })).mutual, true);
    assert.deepEqual((await h.call(a, "list_trust")).edges, [{ peer: b.nodeId, outgoing: true, incoming: true }]);
    assert.deepEqual(await h.call(a, "revoke_trust", { peer: b.nodeId }), { type: "revoke_trust_ok", mutual: false });
    assert.deepEqual((await h.call(a, "list_trust")).edges, [{ peer: b.nodeId, outgoing: false, incoming: true }]);
    await h.fails(h.signed(a, "report_trust", { peer: a.nodeId }), "invalid_argument");
    await h.fails(h.signed(a, "report_trust", { peer: 0x4444 }), "not_found");
  } finally {
    await h.close();
  }
});

class HookSpy implements BeaconHooks {
  queued = 0;
  forgotten: number[] = [];
  punchJobsQueued(): void {
    this.queued++;
  }
  forget(nodeId: number): void {
    this.forgotten.push(nodeId);
  }
}

Deno.test("punch needs visibility and beacon registrations, queues one job per pair per 5 s", async () => {
  const spy = new HookSpy();
  const h = await Harness.create({ beacon: spy });
  try {
    const a = await h.register({ public: true });
    const b = await h.register();
    const stranger = await h.register();
    await h.fails(h.signed(b, "punch", { target: a.nodeId }), "not_found");
    const exp = h.clock.now() + 60_000;
    await h.store.transaction(async (tx) => {
      await tx.putBeaconEndpoint({ nodeId: a.nodeId, ip: "198.51.100.1", port: 1111, expiresAtMs: exp });
      await tx.putBeaconEndpoint({ nodeId: b.nodeId, ip: "198.51.100.2", port: 2222, expiresAtMs: exp });
      await tx.putBeaconEndpoint({ nodeId: stranger.nodeId, ip: "198.51.100.3", port: 3333, expiresAtMs: exp });
    });
    // b is private: a can still punch b because b can see a (either direction counts).
    const p = await h.call(a, "punch", { target: b.nodeId });
    assert.match(String(p.punch_id), /^[0-9a-f]{16}$/);
    assert.equal(p.target_endpoint, "198.51.100.2:2222");
    assert.equal(p.self_endpoint, "198.51.100.1:1111");
    assert.equal(p.fire_in_ms, 250);
    assert.equal(spy.queued, 1);
    h.clock.advance(100);
    const again = await h.call(b, "punch", { target: a.nodeId });
    assert.equal(again.punch_id, p.punch_id);
    assert.equal(again.target_endpoint, "198.51.100.1:1111");
    assert.equal(again.fire_in_ms, 150);
    assert.equal(spy.queued, 1);
    const jobs = await h.store.transaction((tx) => tx.takePunchJobs(10));
    assert.equal(jobs.length, 1);
    await h.fails(h.signed(stranger, "punch", { target: b.nodeId }), "not_found");
    h.clock.advance(5_000);
    assert.notEqual((await h.call(a, "punch", { target: b.nodeId })).punch_id, p.punch_id);
    await h.call(a, "deregister");
    assert.deepEqual(spy.forgotten, [a.nodeId]);
  } finally {
    await h.close();
  }
});
