// Authentication pieces (PROTOCOL-BRIEF §4.2): challenges, the replay cache and the signed bytes.
import assert from "node:assert/strict";
import { ChallengeBook, REPLAY_KEEP_MS, ReplayCache } from "../../src/registry/auth.ts";
import { cliCodeFor, RegistryRequestError, registrySignedBytes } from "../../src/registry/protocol.ts";

Deno.test("ChallengeBook: single use, key-bound, 30 s, at most 4 outstanding", () => {
  const book = new ChallengeBook();
  const k1 = new Uint8Array(32).fill(1);
  const k2 = new Uint8Array(32).fill(2);
  const c = book.issue(k1, 0);
  assert.equal(c.length, 32);
  assert.equal(book.consume(c, k2, 0), false, "wrong key");
  assert.equal(book.consume(c, k1, 0), false, "a failed use still uses it up");
  const d = book.issue(k1, 0);
  assert.equal(book.consume(d, k1, 29_999), true);
  assert.equal(book.consume(d, k1, 29_999), false);
  const e = book.issue(k1, 0);
  assert.equal(book.consume(e, k1, 30_000), false);
  const first = book.issue(k1, 0);
  for (let i = 0; i < 4; i++) book.issue(k1, 0);
  assert.equal(book.consume(first, k1, 0), false, "the oldest was evicted");
});

Deno.test("ReplayCache: records once, forgets after 600 s, batches pending entries", () => {
  const rc = new ReplayCache();
  const nonce = new Uint8Array(16).fill(7);
  assert.equal(rc.tryRecord(1, nonce, 0), true);
  assert.equal(rc.tryRecord(1, nonce, 1), false);
  assert.equal(rc.tryRecord(2, nonce, 1), true, "nonces are per node");
  assert.equal(rc.has(1, nonce, REPLAY_KEEP_MS - 1), true);
  assert.equal(rc.has(1, nonce, REPLAY_KEEP_MS), false);
  const batch = rc.takePending();
  assert.equal(batch.length, 2);
  assert.deepEqual(rc.takePending(), []);
  rc.restorePending(batch);
  assert.equal(rc.takePending().length, 2);
  rc.prune(REPLAY_KEEP_MS + 1);
  assert.equal(rc.size, 0);
  rc.load([{ nodeId: 3, nonce, expiresAtMs: 100 }]);
  assert.equal(rc.tryRecord(3, nonce, 50), false);
});

Deno.test("registrySignedBytes() is the label plus JCS without sig (and without new_key_sig for rotate_key)", () => {
  const text = (o: Record<string, unknown>) => new TextDecoder().decode(registrySignedBytes(o));
  assert.equal(
    text({ type: "lookup", target: 5, sig: "x", node_id: 1 }),
    'pilot-registry-v1\n{"node_id":1,"target":5,"type":"lookup"}',
  );
  assert.equal(
    text({ type: "rotate_key", new_key_sig: "y", sig: "x", a: 1 }),
    'pilot-registry-v1\n{"a":1,"type":"rotate_key"}',
  );
  assert.equal(text({ type: "lookup", new_key_sig: "y" }), 'pilot-registry-v1\n{"new_key_sig":"y","type":"lookup"}');
});

Deno.test("registry error codes map to CLI codes as §8.4 lists", () => {
  const expect: Record<string, string> = {
    bad_request: "internal",
    unknown_type: "internal",
    frame_too_large: "internal",
    invalid_argument: "invalid_argument",
    limit_exceeded: "invalid_argument",
    not_found: "not_found",
    already_exists: "already_exists",
    forbidden: "unauthorized",
    unauthenticated: "unauthorized",
    bad_signature: "unauthorized",
    replay: "unauthorized",
    challenge_invalid: "unauthorized",
    clock_skew: "unauthorized",
    rate_limited: "connection_failed",
    unavailable: "connection_failed",
    internal: "internal",
  };
  for (const [registry, cli] of Object.entries(expect)) {
    assert.equal(cliCodeFor(registry as Parameters<typeof cliCodeFor>[0]), cli, registry);
  }
  const e = new RegistryRequestError({
    code: "rate_limited",
    message: "slow down",
    request_type: "lookup",
    retry_after_ms: 5,
  });
  assert.equal(e.code, "connection_failed");
  assert.equal(e.detail, "rate_limited");
  assert.equal(e.retryAfterMs, 5);
  assert.equal(e.message, "slow down");
});
