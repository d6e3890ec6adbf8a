// The send half of a connection (PROTOCOL-BRIEF §7.3–7.8): SND.UNA / SND.NXT / SND.WND with RFC 793 WL1/WL2, the
// send buffer, RTT timing under Karn's rule, the SACK scoreboard, NewReno + RFC 6675 loss recovery (pipe, IsLost,
// NextSeg), RTO recovery, tail loss probes (RFC 8985 §7) and time-based loss detection (rexmit_tracker.ts), Nagle
// (Minshall) and sender-side silly-window avoidance. It decides which segment goes out next; the connection turns
// plans into packets. Offsets are unwrapped from our ISN: 0 is the SYN, 1 the first
// data byte; SND.NXT never moves back (it is RFC 6675's HighData), retransmissions are chosen by the scoreboard.
import { DELAYED_ACK_MS, DUP_ACK_THRESHOLD, TLP_MIN_MS, TLP_RTT_FACTOR, WINDOW_UNIT_BYTES } from "./constants.ts";
import { NewReno } from "./congestion.ts";
import { RttEstimator } from "./rtt.ts";
import { SackScoreboard, type SeqRange } from "./scoreboard.ts";
import { RetransmitTracker } from "./rexmit_tracker.ts";
import { SendBuffer } from "./send_buffer.ts";

export interface SegmentPlan {
  readonly seqOff: number;
  readonly payload: Uint8Array;
  readonly fin: boolean;
  readonly retransmit: boolean;
}

const EMPTY = new Uint8Array(0);

export class Sender {
  readonly buffer: SendBuffer;
  readonly rtt = new RttEstimator();
  readonly scoreboard = new SackScoreboard();
  readonly #rexmits = new RetransmitTracker();
  cc: NewReno;
  una = 0;
  nxt = 0;
  /** Peer's window in bytes, from the segment that last passed the WL1/WL2 test. */
  wnd = 0;
  wl1 = 0;
  wl2 = 0;
  maxWnd = 0;
  peerMaxSeg: number;
  pathLimit: number;
  nodelay: boolean;
  /** Offset of our FIN once the application closed its write side. */
  finOff: number | null = null;
  /** RFC 6675 HighRxt: all un-SACKed bytes below it were retransmitted in this loss episode. */
  highRxt = 0;
  /** Bytes below this are presumed lost regardless of SACK (first segment on fast retransmit, all on RTO). */
  lostUntil = 0;
  dupAcks = 0;
  /** Send one retransmission even if cwnd − pipe forbids it (first segment of a loss episode). */
  forceOne = false;
  #timing: { end: number; at: number } | null = null;
  /** End of the last sub-MSS segment sent (Minshall's Nagle). */
  #smallEnd = 0;
  lastSendAt = -Infinity;
  #now = 0;
  /** SND.NXT when a tail loss probe went out; no second probe until the ACK passes it. */
  #tlpHigh: number | null = null;
  bytesSent = 0;
  retransmits = 0;
  fastRetx = 0;
  dupAcksTotal = 0;

  constructor(sendBufferBytes: number, pathLimit: number, peerMaxSeg: number, nodelay: boolean) {
    this.buffer = new SendBuffer(sendBufferBytes);
    this.pathLimit = pathLimit;
    this.peerMaxSeg = peerMaxSeg;
    this.nodelay = nodelay;
    this.cc = new NewReno(this.mss, 1);
  }

  get mss(): number {
    return Math.min(this.peerMaxSeg, this.pathLimit);
  }

  /** Offset one past the last byte the application wrote. */
  get dataEnd(): number {
    return 1 + this.buffer.end;
  }

  get flight(): number {
    return this.nxt - this.una;
  }

  get finSent(): boolean {
    return this.finOff !== null && this.nxt > this.finOff;
  }

  get finAcked(): boolean {
    return this.finOff !== null && this.una > this.finOff;
  }

  /** Unsent application bytes. */
  get unsent(): number {
    return Math.max(0, this.dataEnd - Math.max(this.nxt, 1));
  }

  /** Start timing the SYN (sent at `now`); a retransmission cancels it. */
  startSynTiming(now: number): void {
    this.#timing = { end: 1, at: now };
  }

  /** Our SYN was acknowledged: the first data byte is offset 1. The SYN adds nothing to cwnd. */
  ackSyn(now: number): void {
    if (this.una >= 1) return;
    if (this.#timing !== null && this.#timing.end === 1) this.rtt.sample(now - this.#timing.at);
    this.#timing = null;
    this.rtt.resetBackoff();
    this.una = 1;
    if (this.nxt < 1) this.nxt = 1;
    this.highRxt = 1;
    this.lostUntil = 1;
  }

  /** The peer's MAX_SEG is known (SYN / SYN-ACK): the initial window follows from the send MSS. */
  setPeerMaxSeg(maxSeg: number): void {
    this.peerMaxSeg = maxSeg;
    this.cc = new NewReno(this.mss, 1);
  }

  cancelTiming(): void {
    this.#timing = null;
  }

  /** Everything below this offset that is not SACKed counts as lost (RFC 6675 IsLost, plus forced losses). */
  lostBoundary(): number {
    const bySack = this.scoreboard.lostBoundary((DUP_ACK_THRESHOLD - 1) * this.mss) ?? this.una;
    const byTime = this.#rexmits.lostBoundary(this.scoreboard, this.una, this.#now, this.rtt.srttMs) ?? this.una;
    return Math.min(this.nxt, Math.max(bySack, byTime, this.lostUntil));
  }

  /** When time-based loss detection next needs a look (a hole below SACKed data ages past 5/4 SRTT), or null. */
  lossDeadline(): number | null {
    const at = this.#rexmits.lossDeadline(this.scoreboard, this.una, this.rtt.srttMs);
    // Once passed, the hole is inside lostBoundary() and needs no further wake-up.
    return at !== null && at > this.#now ? at : null;
  }

  /** The time used by time-based loss detection; the connection sets it at the start of every event. */
  setNow(now: number): void {
    this.#now = now;
  }

  /** RFC 6675 pipe: bytes believed in the network (un-SACKed, not lost, plus lost ones already retransmitted). */
  pipe(): number {
    const lostB = this.lostBoundary();
    const h = Math.max(this.highRxt, this.una);
    const lostPending = lostB > h ? lostB - h - this.scoreboard.sackedBetween(h, lostB) : 0;
    return this.flight - this.scoreboard.sackedBytes - lostPending - this.#rexmits.relostBytes;
  }

  /** RFC 793 window update test; true when the window was taken from this segment. */
  updateWindow(seqOff: number, ackOff: number, windowUnits: number): boolean {
    if (this.wl1 < seqOff || (this.wl1 === seqOff && this.wl2 <= ackOff)) {
      this.wnd = windowUnits * WINDOW_UNIT_BYTES;
      this.wl1 = seqOff;
      this.wl2 = ackOff;
      if (this.wnd > this.maxWnd) this.maxWnd = this.wnd;
      return true;
    }
    return false;
  }

  /** Sets the window from a SYN or SYN-ACK (the first window the peer advertises). */
  initWindow(seqOff: number, ackOff: number, windowUnits: number): void {
    this.wl1 = seqOff;
    this.wl2 = ackOff;
    this.wnd = windowUnits * WINDOW_UNIT_BYTES;
    this.maxWnd = this.wnd;
  }

  /**
   * Processes the cumulative ACK `ackOff` (caller checked una ≤ ackOff ≤ nxt) and returns the sequence space newly
   * acknowledged. `dupCandidate` marks a duplicate ACK in the sense of RFC 5681 / RFC 6675 §2.
   */
  onAck(ackOff: number, now: number, dupCandidate: boolean): number {
    if (ackOff > this.una) return this.#newAck(ackOff, now);
    if (dupCandidate && this.flight > 0) {
      this.dupAcks++;
      this.dupAcksTotal++;
    }
    return 0;
  }

  #newAck(ackOff: number, now: number): number {
    const acked = ackOff - this.una;
    if (this.#timing !== null && ackOff >= this.#timing.end) {
      this.rtt.sample(now - this.#timing.at);
      this.#timing = null;
    }
    this.rtt.resetBackoff();
    const dataAckedTo = this.finOff !== null ? Math.min(ackOff, this.finOff) : ackOff;
    this.buffer.releaseTo(Math.max(0, dataAckedTo - 1));
    this.una = ackOff;
    if (this.#tlpHigh !== null && ackOff >= this.#tlpHigh) this.#tlpHigh = null;
    this.scoreboard.advance(ackOff);
    if (this.highRxt < ackOff) this.highRxt = ackOff;
    if (this.lostUntil < ackOff) this.lostUntil = ackOff;
    this.dupAcks = 0;
    if (this.cc.inRecovery) {
      if (ackOff >= this.cc.recoveryPoint) {
        this.cc.exitRecovery(this.flight, this.mss);
      } else if (ackOff >= this.highRxt) {
        // RFC 6582 partial ACK: the next hole was sent before the loss episode and is presumed lost too.
        this.lostUntil = Math.min(this.nxt, ackOff + this.mss);
      }
    } else {
      this.cc.onAck(acked, this.mss);
    }
    return acked;
  }

  /**
   * Takes the acknowledgement part of an incoming segment (caller checked ackOff ≤ SND.NXT): window update, SACK
   * blocks, cumulative ACK or duplicate, fast retransmit. Returns the sequence space newly acknowledged.
   */
  takeAck(
    isSack: boolean,
    seqOff: number,
    ackOff: number,
    windowUnits: number,
    sack: readonly SeqRange[],
    pure: boolean,
    now: number,
  ): number {
    if (ackOff < this.una) return 0; // an old ACK: ignored, the segment's data is still processed
    const wndBefore = this.wnd;
    this.updateWindow(seqOff, ackOff, windowUnits);
    const newSack = this.onSack(sack);
    // RFC 6675 §2: with SACK, a duplicate ACK is one reporting new SACKed bytes (a D-SACK alone is not); a plain
    // pure ACK counts as in RFC 5681 when it leaves the window unchanged.
    const sameAck = pure && ackOff === this.una;
    const dupCandidate = isSack ? sameAck && newSack > 0 : sameAck && this.wnd === wndBefore;
    const acked = this.onAck(ackOff, now, dupCandidate);
    this.#rexmits.update(this.scoreboard, this.una, now, this.rtt.srttMs);
    this.maybeEnterRecovery();
    return acked;
  }

  /** Adds the SACK blocks of a stream-ack packet; returns the number of newly SACKed bytes. */
  onSack(blocks: readonly SeqRange[]): number {
    let added = 0;
    for (const b of blocks) {
      // §7.4: blocks outside (SND.UNA, SND.NXT] are ignored.
      if (b.start < this.una || b.end > this.nxt || b.end <= b.start) continue;
      added += this.scoreboard.add(b.start, b.end, this.una, this.nxt);
    }
    return added;
  }

  /** Fast retransmit on the third duplicate ACK or when IsLost(SND.UNA) holds (RFC 6675 §5). */
  maybeEnterRecovery(): boolean {
    if (this.flight === 0 || !this.cc.mayEnterRecovery(this.una)) return false;
    const bySack = this.scoreboard.lostBoundary((DUP_ACK_THRESHOLD - 1) * this.mss) ?? this.una;
    const byTime = this.#rexmits.lostBoundary(this.scoreboard, this.una, this.#now, this.rtt.srttMs) ?? this.una;
    if (this.dupAcks < DUP_ACK_THRESHOLD && bySack <= this.una && byTime <= this.una) return false;
    this.cc.enterRecovery(this.flight, this.mss, this.nxt);
    this.lostUntil = Math.max(this.lostUntil, Math.min(this.nxt, this.una + this.mss));
    this.highRxt = this.una;
    this.forceOne = true;
    this.fastRetx++;
    this.#timing = null;
    return true;
  }

  /** Retransmission timeout: everything un-SACKed is lost, cwnd = 1 MSS (RFC 5681 §3.1, RFC 6675 §5.1). */
  onRto(firstExpiry: boolean): void {
    this.cc.onRto(this.flight, this.mss, this.nxt, firstExpiry);
    this.rtt.backoff();
    this.#timing = null;
    this.lostUntil = this.nxt;
    this.highRxt = this.una;
    this.dupAcks = 0;
    this.forceOne = true;
    this.#tlpHigh = null;
    this.#rexmits.clearEpisode();
  }

  /**
   * The probe timeout of a tail loss probe (RFC 8985 §7), or null when no probe applies: only outside loss recovery,
   * with an RTT sample, one probe per flight, and only when it comes before the RTO.
   */
  probeTimeoutMs(): number | null {
    const srtt = this.rtt.srttMs;
    if (srtt === null || this.flight === 0 || this.#tlpHigh !== null || this.cc.inRecovery) return null;
    if (this.lostUntil > this.una || this.#rexmits.hasRelost) return null;
    // A single outstanding segment may be waiting for a delayed ACK.
    const pto = Math.max(TLP_MIN_MS, TLP_RTT_FACTOR * srtt + (this.flight <= this.mss ? DELAYED_ACK_MS : 0));
    return pto < this.rtt.rtoMs ? pto : null;
  }

  /**
   * Sends the tail loss probe: a new segment if the peer's window allows one, else the last segment again. Its ACK
   * (with SACK) turns a silent tail loss into fast recovery instead of a timeout. No congestion response is taken
   * for a probe that repairs a single tail loss (a simplification of RFC 8985 §7.4).
   */
  probeTail(now: number): SegmentPlan | null {
    if (this.probeTimeoutMs() === null) return null;
    const winAvail = this.wl2 + this.wnd - this.nxt;
    let plan: SegmentPlan | null = null;
    if (this.unsent > 0 && winAvail > 0) plan = this.#sendNew(now, Math.min(this.mss, this.unsent, winAvail), false);
    else if (this.nxt > this.una) plan = this.#retransmit(Math.max(this.una, this.nxt - this.mss), this.nxt, now);
    if (plan !== null) this.#tlpHigh = this.nxt;
    return plan;
  }

  /**
   * The next segment to send, or null. `newDataAllowed` is false in states that cannot send new data. The plan is
   * committed (SND.NXT / HighRxt advance) when returned.
   */
  next(now: number, newDataAllowed: boolean): SegmentPlan | null {
    const rexmit = this.#nextRetransmission(now);
    if (rexmit !== undefined) return rexmit;
    if (!newDataAllowed) return null;
    return this.#nextNewData(now);
  }

  // undefined: nothing lost to resend; null: something lost but cwnd is full (then no new data either).
  #nextRetransmission(now: number): SegmentPlan | null | undefined {
    if (this.una >= this.nxt) return undefined;
    const mss = this.mss;
    const cwndRoom = this.cc.cwnd - this.pipe();
    // Retransmissions found lost again come first: they are the oldest holes.
    if (this.#rexmits.hasRelost) {
      if (!this.forceOne && cwndRoom < mss) return null;
      const r = this.#rexmits.takeRelost(this.scoreboard, this.una, mss);
      if (r !== null) return this.#retransmit(r.start, r.end, now);
    }
    const lostB = this.lostBoundary();
    const s = this.scoreboard.firstUnsackedFrom(Math.max(this.highRxt, this.una));
    if (s >= lostB || s >= this.nxt) return undefined;
    if (!this.forceOne && cwndRoom < Math.min(mss, this.nxt - s)) return null;
    const end = Math.min(s + mss, this.nxt, this.scoreboard.nextSackedStartAfter(s) ?? Infinity);
    const plan = this.#retransmit(s, end, now);
    this.highRxt = Math.max(this.highRxt, end);
    return plan;
  }

  #retransmit(start: number, end: number, now: number): SegmentPlan {
    this.forceOne = false;
    const plan = this.#cut(start, end, true);
    this.#rexmits.sentRetransmit(start, end, now);
    this.retransmits++;
    this.#timing = null;
    this.lastSendAt = now;
    return plan;
  }

  /** Data in [s, end), plus the FIN if it lies in that range and was sent before. */
  #cut(s: number, end: number, retransmit: boolean): SegmentPlan {
    const fin = this.finOff !== null && this.finOff >= s && this.finOff < end;
    const dataEnd = fin ? (this.finOff as number) : end;
    const payload = dataEnd > s ? this.buffer.read(s - 1, dataEnd - s) : EMPTY;
    return { seqOff: s, payload, fin, retransmit };
  }

  #nextNewData(now: number): SegmentPlan | null {
    if (this.finSent) return null;
    const avail = this.unsent;
    if (avail === 0) {
      if (this.finOff !== null && this.nxt === this.finOff) return this.#sendNew(now, 0, true);
      return null;
    }
    const mss = this.mss;
    const winAvail = this.wl2 + this.wnd - this.nxt;
    let len = Math.min(mss, avail);
    if (winAvail < len) {
      if (winAvail <= 0) return null;
      // RFC 1122 sender SWS avoidance: a partial window only when it is big or nothing is in flight.
      if (winAvail < this.maxWnd / 2 && this.flight > 0) return null;
      len = winAvail;
    }
    if (this.flight === 0 && now - this.lastSendAt > this.rtt.rtoMs) this.cc.restartAfterIdle(mss);
    const pipe = this.pipe();
    if (pipe > 0 && this.cc.cwnd - pipe < len) return null;
    const closing = this.finOff !== null;
    if (len < mss && len === avail && !this.nodelay && !closing && this.#smallEnd > this.una) return null;
    const fin = closing && this.nxt + len === this.finOff;
    return this.#sendNew(now, len, fin);
  }

  #sendNew(now: number, len: number, fin: boolean): SegmentPlan {
    const s = this.nxt;
    const payload = len > 0 ? this.buffer.read(s - 1, len) : EMPTY;
    // Time only while no hole is known: a segment sent behind a hole is acknowledged late, inflating the sample.
    const clean = !this.cc.inRecovery && this.scoreboard.sackedBytes === 0 && this.lostUntil <= this.una;
    if (this.#timing === null && clean) this.#timing = { end: s + len + (fin ? 1 : 0), at: now };
    if (len > 0 && len < this.mss) this.#smallEnd = s + len;
    this.nxt = s + len + (fin ? 1 : 0);
    this.#rexmits.sentOriginal(s, this.nxt, now);
    this.bytesSent += len;
    this.lastSendAt = now;
    return { seqOff: s, payload, fin, retransmit: false };
  }

  /** A zero-window probe (§7.8): one byte at SND.UNA, new data if nothing is outstanding. */
  probe(now: number): SegmentPlan | null {
    if (this.nxt === this.una) {
      if (this.unsent > 0) return this.#sendNew(now, 1, this.finOff === this.nxt + 1);
      if (this.finOff !== null && this.nxt === this.finOff) return this.#sendNew(now, 0, true);
      return null;
    }
    this.#timing = null;
    return this.#cut(this.una, this.una + 1, true);
  }

  /** Whether the sender is stalled only by a zero peer window (persist mode, §7.8). */
  get zeroWindowStalled(): boolean {
    return this.wnd === 0 && this.flight <= 1 && (this.unsent > 0 || this.flight === 1);
  }
}
