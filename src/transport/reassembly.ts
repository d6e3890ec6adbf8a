// The receiver's reassembly queue (PROTOCOL-BRIEF §7.3–7.4): byte-accurate, so overlapping or re-segmented
// retransmissions are trimmed to the bytes not yet held; in-order bytes are released at once, out-of-order bytes wait
// above RCV.NXT. It also remembers which out-of-order ranges arrived most recently, because the SACK blocks of
// §7.4 are listed most recent first (RFC 2018), and reports duplicate ranges for D-SACK (RFC 2883).
// Positions are unwrapped sequence offsets. Payload views are kept as given: callers must not reuse them.
import type { SeqRange } from "./scoreboard.ts";

export interface InsertResult {
  /** In-order bytes released by this insertion, in sequence order. */
  readonly delivered: Uint8Array[];
  /** The first range of this segment that was already held or already delivered (for a D-SACK), or null. */
  readonly duplicate: SeqRange | null;
  /** New bytes landed above RCV.NXT. */
  readonly outOfOrder: boolean;
  /** The segment started at RCV.NXT while out-of-order data was queued (it fills a hole). */
  readonly filledHole: boolean;
}

const RECENT_ANCHORS_MAX = 16;
const EMPTY: Uint8Array[] = [];

export class Reassembly {
  #rcvNxt: number;
  // Held segments: sorted, non-overlapping (possibly adjacent).
  #segStarts: number[] = [];
  #segEnds: number[] = [];
  #segData: Uint8Array[] = [];
  // The same bytes as merged ranges, for SACK blocks.
  #blockStarts: number[] = [];
  #blockEnds: number[] = [];
  #oooBytes = 0;
  /** Start offsets of recently received out-of-order segments, most recent first. */
  #recent: number[] = [];

  constructor(rcvNxt: number) {
    this.#rcvNxt = rcvNxt;
  }

  get rcvNxt(): number {
    return this.#rcvNxt;
  }

  get oooBytes(): number {
    return this.#oooBytes;
  }

  get hasOutOfOrder(): boolean {
    return this.#segStarts.length > 0;
  }

  /** Highest offset held out of order, or RCV.NXT. */
  get highestHeld(): number {
    const n = this.#segEnds.length;
    return n === 0 ? this.#rcvNxt : this.#segEnds[n - 1];
  }

  /** Consumes one sequence number that carries no bytes (SYN or FIN) at RCV.NXT. */
  consumeControl(): void {
    this.#rcvNxt += 1;
  }

  /** Drops held data at or above `offset` (used when a FIN fixes the end of the stream). */
  truncateAt(offset: number): void {
    while (this.#segStarts.length > 0 && this.#segEnds[this.#segEnds.length - 1] > offset) {
      const k = this.#segEnds.length - 1;
      if (this.#segStarts[k] >= offset) {
        this.#oooBytes -= this.#segEnds[k] - this.#segStarts[k];
        this.#segStarts.pop();
        this.#segEnds.pop();
        this.#segData.pop();
      } else {
        this.#oooBytes -= this.#segEnds[k] - offset;
        this.#segData[k] = this.#segData[k].subarray(0, offset - this.#segStarts[k]);
        this.#segEnds[k] = offset;
      }
    }
    while (this.#blockStarts.length > 0 && this.#blockStarts[this.#blockStarts.length - 1] >= offset) {
      this.#blockStarts.pop();
      this.#blockEnds.pop();
    }
    const b = this.#blockEnds.length - 1;
    if (b >= 0 && this.#blockEnds[b] > offset) this.#blockEnds[b] = offset;
  }

  /** Inserts a segment's payload starting at `start`. The caller has already clipped it to the window. */
  insert(start: number, data: Uint8Array): InsertResult {
    let end = start + data.length;
    if (data.length === 0) return { delivered: EMPTY, duplicate: null, outOfOrder: false, filledHole: false };
    if (end <= this.#rcvNxt) {
      return { delivered: EMPTY, duplicate: { start, end }, outOfOrder: false, filledHole: false };
    }
    let duplicate: SeqRange | null = null;
    if (start < this.#rcvNxt) {
      duplicate = { start, end: this.#rcvNxt };
      data = data.subarray(this.#rcvNxt - start);
      start = this.#rcvNxt;
      end = start + data.length;
    }
    if (start === this.#rcvNxt) return this.#insertInOrder(data, duplicate);
    const dup = this.#insertOutOfOrder(start, end, data);
    return { delivered: EMPTY, duplicate: duplicate ?? dup, outOfOrder: true, filledHole: false };
  }

  #insertInOrder(data: Uint8Array, duplicate: SeqRange | null): InsertResult {
    const hadOoo = this.#segStarts.length > 0;
    const delivered = [data];
    const newEnd = this.#rcvNxt + data.length;
    this.#rcvNxt = newEnd;
    let k = 0;
    while (k < this.#segStarts.length && this.#segStarts[k] <= this.#rcvNxt) {
      const s = this.#segStarts[k];
      const e = this.#segEnds[k];
      this.#oooBytes -= e - s;
      if (s < newEnd && duplicate === null) duplicate = { start: s, end: Math.min(e, newEnd) };
      if (e > this.#rcvNxt) {
        delivered.push(this.#segData[k].subarray(this.#rcvNxt - s));
        this.#rcvNxt = e;
      }
      k++;
    }
    if (k > 0) {
      this.#segStarts.splice(0, k);
      this.#segEnds.splice(0, k);
      this.#segData.splice(0, k);
    }
    let b = 0;
    while (b < this.#blockStarts.length && this.#blockEnds[b] <= this.#rcvNxt) b++;
    if (b > 0) {
      this.#blockStarts.splice(0, b);
      this.#blockEnds.splice(0, b);
    }
    return { delivered, duplicate, outOfOrder: false, filledHole: hadOoo };
  }

  #firstSegEndingAfter(pos: number): number {
    let lo = 0;
    let hi = this.#segEnds.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.#segEnds[mid] > pos) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  #insertOutOfOrder(start: number, end: number, data: Uint8Array): SeqRange | null {
    let duplicate: SeqRange | null = null;
    let i = this.#firstSegEndingAfter(start);
    let cur = start;
    let added = false;
    while (cur < end) {
      if (i < this.#segStarts.length && this.#segStarts[i] <= cur) {
        const coveredEnd = Math.min(this.#segEnds[i], end);
        if (duplicate === null) duplicate = { start: cur, end: coveredEnd };
        cur = this.#segEnds[i];
        i++;
        continue;
      }
      const pieceEnd = i < this.#segStarts.length ? Math.min(this.#segStarts[i], end) : end;
      this.#segStarts.splice(i, 0, cur);
      this.#segEnds.splice(i, 0, pieceEnd);
      this.#segData.splice(i, 0, data.subarray(cur - start, pieceEnd - start));
      this.#oooBytes += pieceEnd - cur;
      added = true;
      cur = pieceEnd;
      i++;
    }
    if (added) {
      this.#mergeBlock(start, end);
      this.#recent.unshift(start);
      if (this.#recent.length > RECENT_ANCHORS_MAX) this.#recent.length = RECENT_ANCHORS_MAX;
    }
    return duplicate;
  }

  #mergeBlock(s: number, e: number): void {
    let lo = 0;
    let hi = this.#blockEnds.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.#blockEnds[mid] >= s) hi = mid;
      else lo = mid + 1;
    }
    let j = lo;
    let ms = s;
    let me = e;
    while (j < this.#blockStarts.length && this.#blockStarts[j] <= e) {
      ms = Math.min(ms, this.#blockStarts[j]);
      me = Math.max(me, this.#blockEnds[j]);
      j++;
    }
    this.#blockStarts.splice(lo, j - lo, ms);
    this.#blockEnds.splice(lo, j - lo, me);
  }

  #blockIndexContaining(pos: number): number {
    let lo = 0;
    let hi = this.#blockEnds.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.#blockEnds[mid] > pos) hi = mid;
      else lo = mid + 1;
    }
    return lo < this.#blockStarts.length && this.#blockStarts[lo] <= pos ? lo : -1;
  }

  /**
   * Up to `max` SACK blocks: first the block holding the most recently received segment, then the blocks of other
   * recent arrivals, then the remaining blocks from the highest down.
   */
  sackBlocks(max: number): SeqRange[] {
    const out: SeqRange[] = [];
    if (max <= 0 || this.#blockStarts.length === 0) {
      this.#recent.length = 0;
      return out;
    }
    const used = new Set<number>();
    const keep: number[] = [];
    for (const anchor of this.#recent) {
      const b = this.#blockIndexContaining(anchor);
      if (b < 0 || used.has(b)) continue;
      keep.push(anchor);
      used.add(b);
      if (out.length < max) out.push({ start: this.#blockStarts[b], end: this.#blockEnds[b] });
    }
    this.#recent = keep;
    for (let b = this.#blockStarts.length - 1; b >= 0 && out.length < max; b--) {
      if (!used.has(b)) out.push({ start: this.#blockStarts[b], end: this.#blockEnds[b] });
    }
    return out;
  }
}
