// Soak: the transport loss matrix at size, outside the default test run (`deno task test:soak`).
// Fresh seeds each run (from the clock, or PILOT_TEST_SEED to replay); a failure prints its seed.
import { testSeed } from "../../_support/prng.ts";
import { CONDITIONS, transferOrThrow } from "../matrix.ts";

const MIB = 1024 * 1024;
const SEEDS_16_MIB = 20;
const SEEDS_64_MIB = 2;
const first = testSeed();
console.error(`transport soak: first seed ${first}`);

for (const cond of CONDITIONS) {
  Deno.test(`soak: 16 MiB arrives byte-exact under ${cond.name} (${SEEDS_16_MIB} seeds)`, () => {
    for (let s = 0; s < SEEDS_16_MIB; s++) transferOrThrow(cond, 16 * MIB, (first + s) >>> 0);
  });
  Deno.test(`soak: 64 MiB arrives byte-exact under ${cond.name} (${SEEDS_64_MIB} seeds)`, () => {
    for (let s = 0; s < SEEDS_64_MIB; s++) transferOrThrow(cond, 64 * MIB, (first + 1000 + s) >>> 0);
  });
}
