import assert from "node:assert/strict";
import {
  COOKIE_REPLIES_PER_S,
  EventRate,
  FloodGuard,
  SourceRateLimiter,
  TokenBucket,
  UNDER_LOAD_HANDSHAKES_PER_S,
  UNDER_LOAD_WAITING_LOOKUPS,
} from "../../src/tunnel/mod.ts";

function takeAll(take: () => boolean, max = 10_000): number {
  let n = 0;
  while (n < max && take()) n++;
  return n;
}

Deno.test("TokenBucket allows the burst at once, then the rate", () => {
  const b = new TokenBucket(20, 40, 0);
  assert.equal(takeAll(() => b.take(0)), 40);
  assert.equal(takeAll(() => b.take(1000)), 20);
  assert.equal(takeAll(() => b.take(1049)), 0);
  assert.equal(takeAll(() => b.take(1050)), 1);
  assert.equal(takeAll(() => b.take(100_000)), 40, "refill is capped at the burst");
});

Deno.test("SourceRateLimiter keeps one bucket per source and forgets the least recent past its cap", () => {
  const r = new SourceRateLimiter(20, 40, 2);
  assert.equal(takeAll(() => r.allow("10.0.0.1", 0)), 40);
  assert.equal(takeAll(() => r.allow("10.0.0.2", 0)), 40);
  assert.equal(r.allow("10.0.0.1", 0), false);
  r.allow("10.0.0.3", 0); // evicts 10.0.0.2, the least recently seen
  assert.equal(r.allow("10.0.0.1", 0), false, "10.0.0.1 was kept");
  assert.equal(r.allow("10.0.0.2", 0), true, "10.0.0.2 starts over with a full bucket");
});

Deno.test("EventRate counts the events of the last second", () => {
  const r = new EventRate();
  for (let i = 0; i < 100; i++) r.record(5_000 + i * 5); // 5000..5495
  assert.equal(r.count(5_500), 100);
  assert.equal(r.count(5_950), 100);
  assert.equal(r.count(6_050), 100 - 20, "the 100 ms slot starting at 5000 has aged out");
  assert.equal(r.count(6_600), 0);
  assert.equal(r.count(60_000), 0);
});

Deno.test("FloodGuard is under load above 200 handshakes per second or with 32 waiting lookups", () => {
  const g = new FloodGuard(0);
  for (let i = 0; i < UNDER_LOAD_HANDSHAKES_PER_S; i++) g.recordHandshake(1_000);
  assert.equal(g.underLoad(1_000, 0), false, "exactly 200 is not more than 200");
  g.recordHandshake(1_000);
  assert.equal(g.underLoad(1_000, 0), true);
  assert.equal(g.underLoad(3_000, 0), false, "the load is gone a second later");
  assert.equal(g.underLoad(3_000, UNDER_LOAD_WAITING_LOOKUPS - 1), false);
  assert.equal(g.underLoad(3_000, UNDER_LOAD_WAITING_LOOKUPS), true);
});

Deno.test("FloodGuard sends at most 50 cookie replies per second in total", () => {
  const g = new FloodGuard(0);
  assert.equal(takeAll(() => g.allowCookieReply(0)), COOKIE_REPLIES_PER_S);
  assert.equal(takeAll(() => g.allowCookieReply(1_000)), COOKIE_REPLIES_PER_S);
});
