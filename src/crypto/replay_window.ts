// The per-keyset, per-direction replay window of PILS counters (PROTOCOL-BRIEF §3.6): a 4096-counter bitmap behind
// the highest accepted counter. check() is a pure read made before decryption; commit() records a counter and must
// only be called once its packet has authenticated, so a forged packet can never move the window.

/** W: how many counters behind the highest accepted one are still remembered. */
export const REPLAY_WINDOW_COUNTERS = 4096;
/** Counters at or above 2^60 (REJECT_AFTER_MESSAGES, §3.7) are never accepted. */
export const REPLAY_COUNTER_LIMIT = 1n << 60n;

export type ReplayVerdict = "ok" | "too_old" | "replay" | "too_large";

const WINDOW = BigInt(REPLAY_WINDOW_COUNTERS);
const WORD_BITS = 32;
const SLOT_MASK = WINDOW - 1n;

export class ReplayWindow {
  // Ring bitmap: counter c lives at bit (c mod W); the W slots hold exactly the counters max-W+1 .. max.
  readonly #bits = new Uint32Array(REPLAY_WINDOW_COUNTERS / WORD_BITS);
  #max = -1n;

  /** The highest committed counter, or null before the first. */
  get max(): bigint | null {
    return this.#max < 0n ? null : this.#max;
  }

  /** Read-only verdict for a counter received in a PILS header. */
  check(counter: bigint): ReplayVerdict {
    if (counter < 0n || counter >= REPLAY_COUNTER_LIMIT) return "too_large";
    if (counter > this.#max) return "ok";
    if (counter + WINDOW <= this.#max) return "too_old";
    return this.#isSet(counter) ? "replay" : "ok";
  }

  /**
   * Records an authenticated counter. Re-checks first and changes nothing unless that says "ok", so two copies of
   * one packet decrypted concurrently are accepted once; returns the verdict.
   */
  commit(counter: bigint): ReplayVerdict {
    const verdict = this.check(counter);
    if (verdict !== "ok") return verdict;
    if (counter > this.#max) {
      this.#clearAfterMaxUpTo(counter);
      this.#max = counter;
    }
    const slot = Number(counter & SLOT_MASK);
    this.#bits[slot >>> 5] |= 1 << (slot & 31);
    return "ok";
  }

  #isSet(counter: bigint): boolean {
    const slot = Number(counter & SLOT_MASK);
    return (this.#bits[slot >>> 5] & (1 << (slot & 31))) !== 0;
  }

  /** Forgets the slots that counters max+1 .. counter will reuse. */
  #clearAfterMaxUpTo(counter: bigint): void {
    const gap = counter - this.#max;
    if (gap >= WINDOW) {
      this.#bits.fill(0);
      return;
    }
    let slot = Number((this.#max + 1n) & SLOT_MASK);
    for (let n = Number(gap); n > 0; n--) {
      // Whole words at once when aligned; the gap is usually 1.
      if ((slot & 31) === 0 && n >= WORD_BITS) {
        this.#bits[slot >>> 5] = 0;
        slot = (slot + WORD_BITS) % REPLAY_WINDOW_COUNTERS;
        n -= WORD_BITS - 1;
        continue;
      }
      this.#bits[slot >>> 5] &= ~(1 << (slot & 31));
      slot = (slot + 1) % REPLAY_WINDOW_COUNTERS;
    }
  }
}
