// NewReno congestion control with SACK-based loss recovery (PROTOCOL-BRIEF §7.6; RFC 5681, 6582, 6675, 3465):
// cwnd in bytes, IW 10 segments, slow start with ABC L = 2, byte-counted congestion avoidance, one window reduction
// per loss episode (the "recover" point of RFC 6582), RTO → 1 segment, restart after idle.
import { ABC_LIMIT_SEGMENTS, CWND_MAX_BYTES, INITIAL_SSTHRESH_BYTES, INITIAL_WINDOW_SEGMENTS } from "./constants.ts";

export class NewReno {
  #cwnd: number;
  #ssthresh = INITIAL_SSTHRESH_BYTES;
  #caBytesAcked = 0;
  #inRecovery = false;
  /** RFC 6582 "recover": highest sequence sent when the last loss episode (fast recovery or RTO) began. */
  #recover: number;

  /** `startSeq` is the first sequence offset (so no loss episode is assumed below it). */
  constructor(mss: number, startSeq = 0) {
    this.#cwnd = initialWindow(mss);
    this.#recover = startSeq;
  }

  get cwnd(): number {
    return this.#cwnd;
  }

  get ssthresh(): number {
    return this.#ssthresh;
  }

  get inRecovery(): boolean {
    return this.#inRecovery;
  }

  get recoveryPoint(): number {
    return this.#recover;
  }

  /** A new loss episode may start only once the cumulative ACK has passed the previous one (RFC 6582 §3.2). */
  mayEnterRecovery(una: number): boolean {
    return !this.#inRecovery && una >= this.#recover;
  }

  /** Cumulative ACK of `ackedBytes` new bytes outside recovery: slow start (ABC) or congestion avoidance. */
  onAck(ackedBytes: number, mss: number): void {
    if (this.#inRecovery || ackedBytes <= 0) return;
    if (this.#cwnd < this.#ssthresh) {
      this.#cwnd += Math.min(ackedBytes, ABC_LIMIT_SEGMENTS * mss);
      this.#caBytesAcked = 0;
    } else {
      // RFC 3465 §2.1: one MSS per cwnd's worth of acknowledged bytes.
      this.#caBytesAcked += ackedBytes;
      if (this.#caBytesAcked >= this.#cwnd) {
        this.#caBytesAcked -= this.#cwnd;
        this.#cwnd += mss;
      }
    }
    if (this.#cwnd > CWND_MAX_BYTES) this.#cwnd = CWND_MAX_BYTES;
  }

  /** Fast retransmit: enter recovery until `highData` is acknowledged (RFC 6675 §5 step 4). */
  enterRecovery(flightBytes: number, mss: number, highData: number): void {
    this.#ssthresh = lossThreshold(flightBytes, mss);
    this.#cwnd = this.#ssthresh;
    this.#caBytesAcked = 0;
    this.#inRecovery = true;
    this.#recover = highData;
  }

  /** Cumulative ACK at or past the recovery point (RFC 6582 §3.2 step 3, option 1). */
  exitRecovery(flightBytes: number, mss: number): void {
    this.#inRecovery = false;
    this.#cwnd = Math.min(this.#ssthresh, Math.max(flightBytes, mss) + mss);
  }

  /**
   * Retransmission timeout. `firstExpiry` is false for a repeated expiry of the same data, where the threshold was
   * already lowered and FlightSize no longer measures the path (RFC 5681 §3.1, eq. 4 note).
   */
  onRto(flightBytes: number, mss: number, highData: number, firstExpiry: boolean): void {
    if (firstExpiry) this.#ssthresh = lossThreshold(flightBytes, mss);
    this.#cwnd = mss;
    this.#caBytesAcked = 0;
    this.#inRecovery = false;
    this.#recover = highData;
  }

  /** Idle longer than an RTO: restart from at most the initial window (RFC 5681 §4.1). */
  restartAfterIdle(mss: number): void {
    this.#cwnd = Math.min(this.#cwnd, initialWindow(mss));
  }
}

export function initialWindow(mss: number): number {
  return INITIAL_WINDOW_SEGMENTS * mss;
}

function lossThreshold(flightBytes: number, mss: number): number {
  return Math.max(Math.floor(flightBytes / 2), 2 * mss);
}
