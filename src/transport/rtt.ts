// Retransmission timeout estimator of RFC 6298 (PROTOCOL-BRIEF §7.5): SRTT / RTTVAR with α = 1/8, β = 1/4,
// RTO = SRTT + max(G, 4·RTTVAR) clamped to [200 ms, 10 s], initial 1 s, exponential backoff per expiry. Karn's rule
// (no samples from retransmitted segments) is the caller's duty: it only feeds clean samples.
import {
  CLOCK_GRANULARITY_MS,
  RTO_INITIAL_MS,
  RTO_K,
  RTO_MAX_MS,
  RTO_MIN_MS,
  RTT_ALPHA,
  RTT_BETA,
} from "./constants.ts";

function clampRto(ms: number): number {
  return Math.min(RTO_MAX_MS, Math.max(RTO_MIN_MS, ms));
}

export class RttEstimator {
  #srttMs: number | null = null;
  #rttvarMs: number | null = null;
  #baseRtoMs = RTO_INITIAL_MS;
  #backoffs = 0;

  /** Smoothed RTT, or null before the first sample. */
  get srttMs(): number | null {
    return this.#srttMs;
  }

  get rttvarMs(): number | null {
    return this.#rttvarMs;
  }

  /** The RTO without backoff. */
  get baseRtoMs(): number {
    return this.#baseRtoMs;
  }

  /** Number of backoff doublings currently applied. */
  get backoffs(): number {
    return this.#backoffs;
  }

  /** The RTO to arm now: the base doubled once per expiry since the last new ACK, never above the maximum. */
  get rtoMs(): number {
    let rto = this.#baseRtoMs;
    for (let i = 0; i < this.#backoffs && rto < RTO_MAX_MS; i++) rto *= 2;
    return Math.min(rto, RTO_MAX_MS);
  }

  /** Feeds one RTT measurement (RFC 6298 §2.2 / §2.3). */
  sample(rttMs: number): void {
    const r = Math.max(0, rttMs);
    if (this.#srttMs === null || this.#rttvarMs === null) {
      this.#srttMs = r;
      this.#rttvarMs = r / 2;
    } else {
      // RTTVAR uses the SRTT from before this sample, as the RFC orders the two updates.
      this.#rttvarMs = (1 - RTT_BETA) * this.#rttvarMs + RTT_BETA * Math.abs(this.#srttMs - r);
      this.#srttMs = (1 - RTT_ALPHA) * this.#srttMs + RTT_ALPHA * r;
    }
    this.#baseRtoMs = clampRto(this.#srttMs + Math.max(CLOCK_GRANULARITY_MS, RTO_K * this.#rttvarMs));
  }

  /** One timer expiry: the next RTO is twice as long (RFC 6298 §5.5). */
  backoff(): void {
    if (this.rtoMs < RTO_MAX_MS) this.#backoffs++;
  }

  /** A new cumulative ACK cancels the backoff. */
  resetBackoff(): void {
    this.#backoffs = 0;
  }
}
