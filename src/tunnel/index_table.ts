// Receiver indexes (PROTOCOL-BRIEF §3.4 sender index, §3.5 receiver index): random u32 values, unique among this
// node's live keysets and outstanding initiations, so an inbound PILS / PILR / PILC finds its state in O(1).
import { randomBytes } from "../util/bytes.ts";

/** Enough attempts that a collision loop cannot hang even with a nearly full table. */
const INDEX_ALLOCATION_ATTEMPTS = 64;

export class IndexTable<T> {
  readonly #entries = new Map<number, T>();
  readonly #random: (n: number) => Uint8Array;

  constructor(random: (n: number) => Uint8Array = randomBytes) {
    this.#random = random;
  }

  get size(): number {
    return this.#entries.size;
  }

  /**
   * Reserves a fresh index and stores `make(index)` under it (the value usually embeds its own index). Index 0 is
   * never used, so a zeroed field never matches.
   */
  allocate(make: (index: number) => T): T {
    for (let i = 0; i < INDEX_ALLOCATION_ATTEMPTS; i++) {
      const b = this.#random(4);
      const index = ((b[0] << 24) | (b[1] << 16) | (b[2] << 8) | b[3]) >>> 0;
      if (index === 0 || this.#entries.has(index)) continue;
      const value = make(index);
      this.#entries.set(index, value);
      return value;
    }
    throw new Error("cannot allocate a tunnel index: table full");
  }

  /** Points an existing index at a new value (an initiation that became a keyset). */
  replace(index: number, value: T): void {
    if (this.#entries.has(index)) this.#entries.set(index, value);
  }

  get(index: number): T | undefined {
    return this.#entries.get(index);
  }

  delete(index: number): void {
    this.#entries.delete(index);
  }
}
