import assert from "node:assert/strict";
import { RttEstimator } from "../../src/transport/rtt.ts";

Deno.test("RttEstimator starts with a 1 s RTO and no SRTT", () => {
  const r = new RttEstimator();
  assert.equal(r.rtoMs, 1000);
  assert.equal(r.srttMs, null);
  assert.equal(r.rttvarMs, null);
});

Deno.test("RttEstimator follows RFC 6298 §2.2 on the first sample and §2.3 after", () => {
  const r = new RttEstimator();
  r.sample(400);
  assert.equal(r.srttMs, 400);
  assert.equal(r.rttvarMs, 200);
  assert.equal(r.rtoMs, 400 + 4 * 200);
  r.sample(200);
  // RTTVAR = 3/4·200 + 1/4·|400 − 200| = 200; SRTT = 7/8·400 + 1/8·200 = 375.
  assert.equal(r.rttvarMs, 200);
  assert.equal(r.srttMs, 375);
  assert.equal(r.rtoMs, 375 + 800);
});

Deno.test("RttEstimator clamps the RTO to [200 ms, 10 s]", () => {
  const fast = new RttEstimator();
  for (let i = 0; i < 50; i++) fast.sample(1);
  assert.equal(fast.rtoMs, 200);
  const slow = new RttEstimator();
  slow.sample(9000);
  assert.equal(slow.rtoMs, 10_000);
});

Deno.test("RttEstimator keeps the G floor when RTTVAR decays to zero", () => {
  const r = new RttEstimator();
  for (let i = 0; i < 200; i++) r.sample(300);
  // SRTT 300, RTTVAR ≈ 0: RTO = 300 + max(1, 4·RTTVAR).
  assert.ok(r.rtoMs >= 301 && r.rtoMs < 302, `rto ${r.rtoMs}`);
});

Deno.test("RttEstimator backs off ×2 per expiry up to 10 s and a new ACK resets it", () => {
  const r = new RttEstimator();
  const seen = [r.rtoMs];
  for (let i = 0; i < 6; i++) {
    r.backoff();
    seen.push(r.rtoMs);
  }
  assert.deepEqual(seen, [1000, 2000, 4000, 8000, 10_000, 10_000, 10_000]);
  r.resetBackoff();
  assert.equal(r.rtoMs, 1000);
});
