// The sender's SACK scoreboard (PROTOCOL-BRIEF §7.4–7.5, RFC 6675): disjoint, merged ranges of selectively
// acknowledged bytes above SND.UNA, in unwrapped sequence offsets. It answers the RFC 6675 questions the sender
// asks: how much is SACKed, where the "lost" region ends (IsLost), and where the next un-SACKed hole is.

export type SeqRange = { readonly start: number; readonly end: number };

export class SackScoreboard {
  // Parallel sorted arrays; ranges never touch or overlap (adjacent ones are merged).
  #starts: number[] = [];
  #ends: number[] = [];
  #sackedBytes = 0;

  get sackedBytes(): number {
    return this.#sackedBytes;
  }

  get rangeCount(): number {
    return this.#starts.length;
  }

  /** End of the highest SACKed range, or null when nothing is SACKed. */
  get highestSacked(): number | null {
    const n = this.#ends.length;
    return n === 0 ? null : this.#ends[n - 1];
  }

  ranges(): SeqRange[] {
    return this.#starts.map((start, i) => ({ start, end: this.#ends[i] }));
  }

  clear(): void {
    this.#starts = [];
    this.#ends = [];
    this.#sackedBytes = 0;
  }

  /** Index of the first range whose end is > pos (ranges.length if none). */
  #firstEndingAfter(pos: number): number {
    let lo = 0;
    let hi = this.#ends.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.#ends[mid] > pos) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  /**
   * Records a SACK block, clipped to [una, nxt). Returns the number of bytes newly marked (0 for old news), which
   * RFC 6675 uses to tell a duplicate ACK carrying new information from a stale one.
   */
  add(start: number, end: number, una: number, nxt: number): number {
    const s = Math.max(start, una);
    const e = Math.min(end, nxt);
    if (e <= s) return 0;
    // Ranges that overlap or touch [s, e): from the first ending at or after s to the last starting at or before e.
    let i = this.#firstEndingAfter(s - 1);
    let j = i;
    let covered = 0;
    let mergedStart = s;
    let mergedEnd = e;
    while (j < this.#starts.length && this.#starts[j] <= e) {
      covered += Math.min(this.#ends[j], e) - Math.max(this.#starts[j], s);
      mergedStart = Math.min(mergedStart, this.#starts[j]);
      mergedEnd = Math.max(mergedEnd, this.#ends[j]);
      j++;
    }
    const added = e - s - Math.max(0, covered);
    if (i > this.#starts.length) i = this.#starts.length;
    this.#starts.splice(i, j - i, mergedStart);
    this.#ends.splice(i, j - i, mergedEnd);
    this.#sackedBytes += added;
    return added;
  }

  /** Forgets everything below the new cumulative ACK point. */
  advance(una: number): void {
    let k = 0;
    while (k < this.#starts.length && this.#ends[k] <= una) {
      this.#sackedBytes -= this.#ends[k] - this.#starts[k];
      k++;
    }
    if (k > 0) {
      this.#starts.splice(0, k);
      this.#ends.splice(0, k);
    }
    if (this.#starts.length > 0 && this.#starts[0] < una) {
      this.#sackedBytes -= una - this.#starts[0];
      this.#starts[0] = una;
    }
  }

  isSacked(seq: number): boolean {
    const i = this.#firstEndingAfter(seq);
    return i < this.#starts.length && this.#starts[i] <= seq;
  }

  /** The first byte ≥ pos that is not SACKed. */
  firstUnsackedFrom(pos: number): number {
    const i = this.#firstEndingAfter(pos);
    return i < this.#starts.length && this.#starts[i] <= pos ? this.#ends[i] : pos;
  }

  /** Start of the first SACKed range beginning after pos, or null. Bounds a retransmission so it fills one hole. */
  nextSackedStartAfter(pos: number): number | null {
    const i = this.#firstEndingAfter(pos);
    if (i >= this.#starts.length) return null;
    return this.#starts[i] > pos ? this.#starts[i] : (i + 1 < this.#starts.length ? this.#starts[i + 1] : null);
  }

  /** SACKed bytes within [a, b). */
  sackedBetween(a: number, b: number): number {
    if (b <= a) return 0;
    let total = 0;
    for (let i = this.#firstEndingAfter(a); i < this.#starts.length && this.#starts[i] < b; i++) {
      total += Math.min(this.#ends[i], b) - Math.max(this.#starts[i], a);
    }
    return total;
  }

  /**
   * RFC 6675 IsLost as a boundary: every un-SACKed byte below the returned offset has more than `thresholdBytes`
   * SACKed above it ((DupThresh − 1) · MSS). Returns null when no byte qualifies.
   */
  lostBoundary(thresholdBytes: number): number | null {
    let above = 0;
    for (let i = this.#starts.length - 1; i >= 0; i--) {
      above += this.#ends[i] - this.#starts[i];
      if (above > thresholdBytes) return this.#starts[i];
    }
    return null;
  }
}
