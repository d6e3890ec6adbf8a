// Limits (PROTOCOL-BRIEF §4.5, CLI.md §3.2 --limits): file parsing and token buckets.
import assert from "node:assert/strict";
import { DEFAULT_LIMITS, KeyedBuckets, loadLimitsFile, parseLimits, TokenBucket } from "../../src/registry/limits.ts";
import { PilotError } from "../../src/util/errors.ts";

Deno.test("parseLimits() keeps defaults for absent keys and reads the documented keys", () => {
  const l = parseLimits({ node_requests_per_s: 5, inbox_max: 7, relay_bytes_per_s: 1000 });
  assert.equal(l.nodeRequestsPerS, 5);
  assert.equal(l.inboxMax, 7);
  assert.equal(l.relayBytesPerS, 1000);
  assert.equal(l.ipConnsPerMin, 20);
  assert.equal(l.enabled, true);
  assert.deepEqual(parseLimits({}), DEFAULT_LIMITS);
  assert.equal(parseLimits({ enabled: false }).enabled, false);
  assert.equal(DEFAULT_LIMITS.networksPerNode, 64);
  assert.equal(DEFAULT_LIMITS.membersPerNetwork, 10_000);
  assert.equal(DEFAULT_LIMITS.relayPacketsPerS, 1_000);
  assert.equal(DEFAULT_LIMITS.nodeNetworkCreatesPerDay, 10);
});

Deno.test("parseLimits() rejects unknown keys, non-positive or non-integer values and non-objects", () => {
  for (
    const bad of [{ nope: 1 }, { inbox_max: 0 }, { inbox_max: 1.5 }, { inbox_max: "3" }, { enabled: "no" }, [], null, 3]
  ) {
    assert.throws(
      () => parseLimits(bad),
      (err: unknown) => err instanceof PilotError && err.code === "invalid_argument",
    );
  }
});

Deno.test("loadLimitsFile() reads a file and names it in errors", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/ok.json`, '{"enabled":false}');
    assert.equal((await loadLimitsFile(`${dir}/ok.json`)).enabled, false);
    await Deno.writeTextFile(`${dir}/bad.json`, "{");
    await assert.rejects(loadLimitsFile(`${dir}/bad.json`), /invalid limits file .*bad\.json: not valid JSON/);
    await assert.rejects(loadLimitsFile(`${dir}/missing.json`), /cannot read limits file/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("TokenBucket allows the burst, then refills at its rate and reports retry-after", () => {
  const b = new TokenBucket(3, 1 / 1000, 0);
  assert.equal(b.take(0), 0);
  assert.equal(b.take(0), 0);
  assert.equal(b.take(0), 0);
  assert.equal(b.take(0), 1000);
  assert.equal(b.take(500), 500);
  assert.equal(b.take(1000), 0);
  assert.equal(b.isFull(1000), false);
  assert.equal(b.isFull(4000), true);
  assert.equal(b.take(4000, 4), 1000, "a cost above capacity cannot be met now");
});

Deno.test("KeyedBuckets keeps one bucket per key and prunes full ones", () => {
  const k = new KeyedBuckets<string>({ burst: 1, count: 1, windowMs: 1000 }, 2);
  assert.equal(k.take("a", 0), 0);
  assert.ok(k.take("a", 0) > 0);
  assert.equal(k.take("b", 0), 0);
  assert.equal(k.size, 2);
  assert.equal(k.take("c", 5000), 0, "adding past maxKeys prunes the refilled buckets first");
  assert.equal(k.size, 1);
});
