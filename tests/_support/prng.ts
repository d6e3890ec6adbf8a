// A tiny seeded PRNG (mulberry32) for reproducible randomised tests. Seeds come from PILOT_TEST_SEED when set,
// otherwise from the clock; `withSeed` reports the seed when the test fails so a run can be replayed.

export class Prng {
  readonly seed: number;
  #state: number;

  constructor(seed: number) {
    this.seed = seed >>> 0;
    this.#state = this.seed;
  }

  /** Uniform u32. */
  u32(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** Uniform float in [0, 1). */
  float(): number {
    return this.u32() / 0x1_0000_0000;
  }

  /** Uniform integer in [min, max] (inclusive), for ranges up to 2^32. */
  int(min: number, max: number): number {
    return min + Math.floor(this.float() * (max - min + 1));
  }

  bool(): boolean {
    return (this.u32() & 1) === 1;
  }

  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = this.u32() & 0xff;
    return out;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(0, items.length - 1)];
  }
}

/** The seed for this run: PILOT_TEST_SEED if set (decimal), else derived from the clock. */
export function testSeed(): number {
  let fromEnv: string | undefined;
  try {
    fromEnv = Deno.env.get("PILOT_TEST_SEED");
  } catch {
    fromEnv = undefined; // no env permission: fall back to the clock
  }
  if (fromEnv !== undefined && /^[0-9]+$/.test(fromEnv)) return Number(fromEnv) >>> 0;
  return (Date.now() ^ Math.floor(performance.now() * 1000)) >>> 0;
}

/** Runs `fn` with a fresh seeded Prng; on failure the error message gains the seed to replay it. */
export async function withSeed(fn: (rng: Prng) => void | Promise<void>, seed: number = testSeed()): Promise<void> {
  try {
    await fn(new Prng(seed));
  } catch (err) {
    console.error(`randomised test failed; replay with PILOT_TEST_SEED=${seed}`);
    if (err instanceof Error) err.message = `${err.message} (seed ${seed})`;
    throw err;
  }
}
