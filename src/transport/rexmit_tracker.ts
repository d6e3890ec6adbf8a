// Time-based loss detection for the sender (PROTOCOL-BRIEF §7.5–7.6), after RACK (RFC 8985), alongside the
// RFC 6675 rules. RFC 6675 needs three segments SACKed above a hole and retransmits each hole once per episode; at
// small windows and high loss rates the rest falls to the RTO, whose timeouts then dominate. Transmissions are
// numbered in send order:
// * an original segment is lost when a later one was delivered (SACKed) and it is older than 5/4 SRTT, the
//   reordering allowance (a boundary the sender folds into IsLost);
// * a retransmission is lost when something sent after it was delivered and half an RTT has passed; the range is
//   queued for one more retransmission.
import type { SackScoreboard, SeqRange } from "./scoreboard.ts";

interface RexmitRecord {
  readonly start: number;
  readonly end: number;
  readonly xmit: number;
  readonly at: number;
}

const COMPACT_AFTER = 1024;
/** An original is lost once it is older than SRTT plus a quarter SRTT of reordering allowance (RFC 8985 §6.2). */
const RACK_RTT_FACTOR = 1.25;

export class RetransmitTracker {
  #xmit = 0;
  // Original transmissions: both arrays increase, since new data goes out in sequence order.
  #origStart: number[] = [];
  #origEnd: number[] = [];
  #origXmit: number[] = [];
  #origAt: number[] = [];
  #origHead = 0;
  #recs: RexmitRecord[] = [];
  #relost: SeqRange[] = [];
  /** Send number of the latest transmission known to have been delivered. */
  #deliveredXmit = -1;

  /** Bytes judged lost again and not yet resent (they are not in the network: pipe excludes them). */
  get relostBytes(): number {
    let n = 0;
    for (const r of this.#relost) n += r.end - r.start;
    return n;
  }

  get hasRelost(): boolean {
    return this.#relost.length > 0;
  }

  sentOriginal(start: number, end: number, at: number): void {
    this.#origStart.push(start);
    this.#origEnd.push(end);
    this.#origXmit.push(this.#xmit++);
    this.#origAt.push(at);
  }

  /**
   * RACK for original transmissions: un-SACKed bytes below the returned offset were first sent more than 5/4 SRTT
   * before `now`, below data that has since been SACKed. Null when nothing qualifies.
   */
  lostBoundary(sb: SackScoreboard, una: number, now: number, srttMs: number | null): number | null {
    const hiSacked = sb.highestSacked;
    if (srttMs === null || hiSacked === null) return null;
    const cutoff = now - srttMs * RACK_RTT_FACTOR;
    let lo = this.#origHead;
    let hi = this.#origAt.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.#origAt[mid] <= cutoff) lo = mid + 1;
      else hi = mid;
    }
    if (lo === this.#origHead) return null;
    const bound = Math.min(this.#origEnd[lo - 1], hiSacked);
    return bound > una ? bound : null;
  }

  /** When the oldest hole below SACKed data becomes lost by the rule above (for a timer), or null. */
  lossDeadline(sb: SackScoreboard, una: number, srttMs: number | null): number | null {
    const hiSacked = sb.highestSacked;
    if (srttMs === null || hiSacked === null) return null;
    const hole = sb.firstUnsackedFrom(una);
    if (hole >= hiSacked) return null;
    const i = this.#firstOrigEndingAtOrAfter(hole + 1);
    if (i >= this.#origEnd.length || this.#origStart[i] > hole) return null;
    return this.#origAt[i] + srttMs * RACK_RTT_FACTOR;
  }

  sentRetransmit(start: number, end: number, at: number): void {
    this.#recs.push({ start, end, xmit: this.#xmit++, at });
  }

  /** An RTO declares everything lost anyway: forget the episode's retransmissions. */
  clearEpisode(): void {
    this.#recs = [];
    this.#relost = [];
  }

  /** Re-evaluates after SND.UNA or the scoreboard changed. `srttMs` null disables loss marking. */
  update(sb: SackScoreboard, una: number, now: number, srttMs: number | null): void {
    // The highest delivered byte was first sent by the original transmission that covers it.
    const hi = Math.max(una, sb.highestSacked ?? una);
    const i = this.#firstOrigEndingAtOrAfter(hi);
    if (i < this.#origEnd.length && this.#origStart[i] < hi) {
      this.#deliveredXmit = Math.max(this.#deliveredXmit, this.#origXmit[i]);
    }
    this.#trimOriginals(una);
    if (this.#recs.length === 0) return;
    const halfRtt = srttMs === null ? Infinity : srttMs / 2;
    const pending: RexmitRecord[] = [];
    for (const r of this.#recs) {
      if (r.end <= una || sb.sackedBetween(Math.max(r.start, una), r.end) >= r.end - Math.max(r.start, una)) {
        // Delivered; only a late enough ACK can be credited to this retransmission rather than the original.
        if (now - r.at >= halfRtt) this.#deliveredXmit = Math.max(this.#deliveredXmit, r.xmit);
      } else {
        pending.push(r);
      }
    }
    this.#recs = [];
    for (const r of pending) {
      if (this.#deliveredXmit > r.xmit && now - r.at >= halfRtt) this.#relost.push({ start: r.start, end: r.end });
      else this.#recs.push(r);
    }
  }

  /** The next range to resend, cut to one segment and to a single un-SACKed hole above SND.UNA, or null. */
  takeRelost(sb: SackScoreboard, una: number, mss: number): SeqRange | null {
    while (this.#relost.length > 0) {
      const r = this.#relost[0];
      const start = sb.firstUnsackedFrom(Math.max(r.start, una));
      if (start >= r.end) {
        this.#relost.shift();
        continue;
      }
      const end = Math.min(r.end, start + mss, sb.nextSackedStartAfter(start) ?? Infinity);
      if (end >= r.end) this.#relost.shift();
      else this.#relost[0] = { start: end, end: r.end };
      return { start, end };
    }
    return null;
  }

  #trimOriginals(una: number): void {
    // The record ending exactly at SND.UNA stays: it holds the latest cumulatively delivered byte.
    while (this.#origHead < this.#origEnd.length && this.#origEnd[this.#origHead] < una) this.#origHead++;
    if (this.#origHead >= COMPACT_AFTER) {
      this.#origStart = this.#origStart.slice(this.#origHead);
      this.#origEnd = this.#origEnd.slice(this.#origHead);
      this.#origXmit = this.#origXmit.slice(this.#origHead);
      this.#origAt = this.#origAt.slice(this.#origHead);
      this.#origHead = 0;
    }
  }

  #firstOrigEndingAtOrAfter(pos: number): number {
    let lo = this.#origHead;
    let hi = this.#origEnd.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.#origEnd[mid] >= pos) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }
}
