import assert from "node:assert/strict";
import { NewReno } from "../../src/transport/congestion.ts";

const MSS = 1152;

Deno.test("NewReno starts at IW = 10 segments with ssthresh 64 MiB", () => {
  const cc = new NewReno(MSS);
  assert.equal(cc.cwnd, 10 * MSS);
  assert.equal(cc.ssthresh, 64 * 1024 * 1024);
});

Deno.test("NewReno slow start grows by the bytes acknowledged, at most L = 2 segments per ACK (ABC)", () => {
  const cc = new NewReno(MSS);
  cc.onAck(MSS, MSS);
  assert.equal(cc.cwnd, 11 * MSS);
  cc.onAck(5 * MSS, MSS); // a stretch ACK counts as 2 segments
  assert.equal(cc.cwnd, 13 * MSS);
  cc.onAck(100, MSS);
  assert.equal(cc.cwnd, 13 * MSS + 100);
});

Deno.test("NewReno congestion avoidance adds one MSS per cwnd of acknowledged bytes", () => {
  const cc = new NewReno(MSS);
  cc.enterRecovery(20 * MSS, MSS, 100_000);
  cc.exitRecovery(20 * MSS, MSS);
  assert.equal(cc.cwnd, 10 * MSS);
  assert.equal(cc.ssthresh, 10 * MSS);
  for (let i = 0; i < 9; i++) cc.onAck(MSS, MSS);
  assert.equal(cc.cwnd, 10 * MSS);
  cc.onAck(MSS, MSS);
  assert.equal(cc.cwnd, 11 * MSS);
});

Deno.test("NewReno fast recovery sets ssthresh = max(FlightSize / 2, 2 MSS) and holds cwnd until the recovery point", () => {
  const cc = new NewReno(MSS);
  cc.enterRecovery(40 * MSS, MSS, 5000);
  assert.equal(cc.inRecovery, true);
  assert.equal(cc.ssthresh, 20 * MSS);
  assert.equal(cc.cwnd, 20 * MSS);
  cc.onAck(10 * MSS, MSS); // no growth in recovery
  assert.equal(cc.cwnd, 20 * MSS);
  assert.equal(cc.mayEnterRecovery(4000), false);
  cc.exitRecovery(3 * MSS, MSS);
  assert.equal(cc.inRecovery, false);
  // RFC 6582 option 1: min(ssthresh, max(FlightSize, MSS) + MSS).
  assert.equal(cc.cwnd, 4 * MSS);
  assert.equal(cc.mayEnterRecovery(5000), true);
  const small = new NewReno(MSS);
  small.enterRecovery(MSS, MSS, 10);
  assert.equal(small.ssthresh, 2 * MSS);
});

Deno.test("NewReno RTO collapses cwnd to 1 MSS and lowers ssthresh only on the first expiry", () => {
  const cc = new NewReno(MSS);
  cc.onRto(30 * MSS, MSS, 9000, true);
  assert.equal(cc.cwnd, MSS);
  assert.equal(cc.ssthresh, 15 * MSS);
  cc.onRto(MSS, MSS, 9000, false);
  assert.equal(cc.ssthresh, 15 * MSS);
  // Slow start again up to ssthresh.
  cc.onAck(MSS, MSS);
  assert.equal(cc.cwnd, 2 * MSS);
  assert.equal(cc.mayEnterRecovery(8000), false);
});

Deno.test("NewReno restarts from at most IW after idle and caps cwnd at 16 MiB", () => {
  const cc = new NewReno(MSS);
  for (let i = 0; i < 20_000; i++) cc.onAck(2 * MSS, MSS);
  assert.equal(cc.cwnd, 16 * 1024 * 1024);
  cc.restartAfterIdle(MSS);
  assert.equal(cc.cwnd, 10 * MSS);
});
