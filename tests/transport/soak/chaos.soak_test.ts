// Soak: many randomised two-way transfers (see ../chaos.ts) from fresh seeds (PILOT_TEST_SEED to replay).
import assert from "node:assert/strict";
import { testSeed } from "../../_support/prng.ts";
import { runChaos } from "../chaos.ts";

const SEEDS = 3000;

Deno.test(`soak: randomised two-way transfers (${SEEDS} seeds)`, () => {
  const first = testSeed();
  console.error(`transport chaos soak: first seed ${first}`);
  const failures: string[] = [];
  for (let s = 0; s < SEEDS; s++) {
    const f = runChaos((first + s) >>> 0);
    if (f !== null) failures.push(f);
  }
  assert.deepEqual(failures, []);
});
