// Randomised two-way transfers under mixed impairments, small buffers, slow readers and path-limit changes (see
// chaos.ts). Fixed seeds by default; PILOT_TEST_SEED picks another range. A failure names its seed.
import assert from "node:assert/strict";
import { runChaos } from "./chaos.ts";
import { baseSeed } from "./matrix.ts";

const SEEDS = 60;

Deno.test(`randomised two-way transfers arrive byte-exact and close normally (${SEEDS} seeds)`, () => {
  const first = baseSeed(5000);
  const failures: string[] = [];
  for (let s = first; s < first + SEEDS; s++) {
    const f = runChaos(s);
    if (f !== null) failures.push(f);
  }
  if (failures.length > 0) console.error(`replay with PILOT_TEST_SEED=<seed>:\n${failures.join("\n")}`);
  assert.deepEqual(failures, []);
});
