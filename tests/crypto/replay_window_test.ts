// Replay window rules of PROTOCOL-BRIEF §3.6.
import assert from "node:assert/strict";
import {
  REPLAY_COUNTER_LIMIT,
  REPLAY_WINDOW_COUNTERS,
  type ReplayVerdict,
  ReplayWindow,
} from "../../src/crypto/replay_window.ts";

const W = BigInt(REPLAY_WINDOW_COUNTERS);

Deno.test("ReplayWindow accepts counter 0 first and then refuses it as a replay", () => {
  const w = new ReplayWindow();
  assert.equal(w.max, null);
  assert.equal(w.check(0n), "ok");
  assert.equal(w.commit(0n), "ok");
  assert.equal(w.max, 0n);
  assert.equal(w.check(0n), "replay");
  assert.equal(w.commit(0n), "replay");
});

Deno.test("ReplayWindow.check() refuses counters at or above 2^60 as too_large", () => {
  const w = new ReplayWindow();
  assert.equal(w.check(REPLAY_COUNTER_LIMIT), "too_large");
  assert.equal(w.check((1n << 64n) - 1n), "too_large");
  assert.equal(w.check(-1n), "too_large");
  assert.equal(w.check(REPLAY_COUNTER_LIMIT - 1n), "ok");
  assert.equal(w.commit(REPLAY_COUNTER_LIMIT), "too_large");
  assert.equal(w.max, null);
});

Deno.test("ReplayWindow keeps exactly W counters: counter + W <= max is too_old", () => {
  const w = new ReplayWindow();
  const max = 10_000n;
  w.commit(max);
  assert.equal(w.check(max - W), "too_old");
  assert.equal(w.check(max - W + 1n), "ok");
  assert.equal(w.commit(max - W + 1n), "ok");
  assert.equal(w.check(max - W + 1n), "replay");
  assert.equal(w.commit(max - W), "too_old");
});

Deno.test("ReplayWindow accepts out-of-order counters inside the window once each", () => {
  const w = new ReplayWindow();
  for (const c of [5n, 3n, 9n, 4n, 100n, 6n]) assert.equal(w.commit(c), "ok", `counter ${c}`);
  for (const c of [5n, 3n, 9n, 4n, 100n, 6n]) assert.equal(w.check(c), "replay", `counter ${c}`);
  for (const c of [0n, 1n, 2n, 7n, 8n, 99n]) assert.equal(w.check(c), "ok", `counter ${c}`);
  assert.equal(w.max, 100n);
});

Deno.test("ReplayWindow forgets bits that a jump moves past, without reviving old counters", () => {
  const w = new ReplayWindow();
  w.commit(1n);
  // 1 + W reuses counter 1's slot: the slot must be clear for it, and 1 itself is now too old.
  assert.equal(w.commit(1n + W), "ok");
  assert.equal(w.check(1n), "too_old");
  assert.equal(w.check(2n), "ok");
  // A jump of more than W clears everything.
  w.commit(10n * W);
  assert.equal(w.check(10n * W - 1n), "ok");
  assert.equal(w.check(9n * W), "too_old");
});

Deno.test("ReplayWindow: a failed tag changes nothing (check without commit)", () => {
  const w = new ReplayWindow();
  w.commit(50n);
  // A forged packet far ahead passes check() but fails authentication: no commit.
  assert.equal(w.check(50n + 10n * W), "ok");
  assert.equal(w.check(49n), "ok");
  assert.equal(w.max, 50n);
  // Genuine old packets are still accepted, and the forged counter was not recorded.
  assert.equal(w.commit(49n), "ok");
  assert.equal(w.check(50n + 10n * W), "ok");
  assert.equal(w.check(50n), "replay");
});

Deno.test("ReplayWindow.check() never changes state", () => {
  const w = new ReplayWindow();
  w.commit(7n);
  for (const c of [0n, 7n, 8n, 7n + 2n * W, REPLAY_COUNTER_LIMIT]) w.check(c);
  assert.equal(w.max, 7n);
  assert.equal(w.check(6n), "ok");
  assert.equal(w.check(7n), "replay");
});

/** Small deterministic PRNG (mulberry32) so a failure can be replayed from its seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function modelVerdict(seen: Set<bigint>, max: bigint, c: bigint): ReplayVerdict {
  if (c >= REPLAY_COUNTER_LIMIT) return "too_large";
  if (c > max) return "ok";
  if (c + W <= max) return "too_old";
  return seen.has(c) ? "replay" : "ok";
}

Deno.test("ReplayWindow matches a set-based model over seeded random traffic", () => {
  for (const seed of [1, 2, 3, 0xdecaf]) {
    const random = prng(seed);
    const w = new ReplayWindow();
    const seen = new Set<bigint>();
    let max = -1n;
    let next = 0n;
    for (let i = 0; i < 20_000; i++) {
      const r = random();
      let c: bigint;
      if (r < 0.6) c = next++;
      else if (r < 0.9) c = next - BigInt(Math.floor(random() * (REPLAY_WINDOW_COUNTERS + 200)));
      else c = next += BigInt(Math.floor(random() * 3 * REPLAY_WINDOW_COUNTERS));
      if (c < 0n) c = 0n;
      const expected = modelVerdict(seen, max, c);
      assert.equal(w.check(c), expected, `seed ${seed} step ${i} counter ${c}`);
      // One packet in five fails authentication and is never committed.
      if (random() < 0.2) continue;
      assert.equal(w.commit(c), expected, `seed ${seed} step ${i} counter ${c}`);
      if (expected === "ok") {
        seen.add(c);
        if (c > max) max = c;
      }
    }
  }
});
