// Handshake flood protection state (PROTOCOL-BRIEF §3.9): the per-source token bucket (20/s, burst 40), the
// "under load" detector (> 200 handshake messages in the last second or ≥ 32 waiting key lookups) and the global
// PILC budget (50/s). Pure bookkeeping over monotonic milliseconds passed in by the caller.
import {
  COOKIE_REPLIES_PER_S,
  HANDSHAKE_BURST_PER_SOURCE,
  HANDSHAKE_RATE_PER_SOURCE_PER_S,
  RATE_LIMIT_SOURCES_MAX,
  UNDER_LOAD_HANDSHAKES_PER_S,
  UNDER_LOAD_WAITING_LOOKUPS,
} from "./constants.ts";

const MS_PER_S = 1000;

/** A token bucket refilled continuously at `ratePerS`, holding at most `burst` tokens. */
export class TokenBucket {
  readonly #ratePerMs: number;
  readonly #burst: number;
  #tokens: number;
  #at: number;

  constructor(ratePerS: number, burst: number, nowMs: number) {
    this.#ratePerMs = ratePerS / MS_PER_S;
    this.#burst = burst;
    this.#tokens = burst;
    this.#at = nowMs;
  }

  /** Takes one token if there is one. */
  take(nowMs: number): boolean {
    const elapsed = Math.max(0, nowMs - this.#at);
    this.#tokens = Math.min(this.#burst, this.#tokens + elapsed * this.#ratePerMs);
    this.#at = nowMs;
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }
}

/** One bucket per source (ip, or relay source node); the least recently seen source is forgotten past the cap. */
export class SourceRateLimiter {
  readonly #buckets = new Map<string, TokenBucket>();
  readonly #ratePerS: number;
  readonly #burst: number;
  readonly #maxSources: number;

  constructor(
    ratePerS = HANDSHAKE_RATE_PER_SOURCE_PER_S,
    burst = HANDSHAKE_BURST_PER_SOURCE,
    maxSources = RATE_LIMIT_SOURCES_MAX,
  ) {
    this.#ratePerS = ratePerS;
    this.#burst = burst;
    this.#maxSources = maxSources;
  }

  allow(source: string, nowMs: number): boolean {
    let bucket = this.#buckets.get(source);
    if (bucket === undefined) {
      if (this.#buckets.size >= this.#maxSources) {
        const oldest = this.#buckets.keys().next().value;
        if (oldest !== undefined) this.#buckets.delete(oldest);
      }
      bucket = new TokenBucket(this.#ratePerS, this.#burst, nowMs);
    } else {
      this.#buckets.delete(source);
    }
    // Re-inserting keeps Map order = recency, so the first key is the one to forget.
    this.#buckets.set(source, bucket);
    return bucket.take(nowMs);
  }
}

const RATE_SLOTS = 10;
const RATE_SLOT_MS = MS_PER_S / RATE_SLOTS;

/** Events in the last second, in 100 ms slots (so "the last second" is 0.9–1.0 s). */
export class EventRate {
  readonly #slots = new Uint32Array(RATE_SLOTS);
  #slotStart = 0;

  record(nowMs: number): void {
    this.#advance(nowMs);
    this.#slots[Math.floor(this.#slotStart / RATE_SLOT_MS) % RATE_SLOTS]++;
  }

  count(nowMs: number): number {
    this.#advance(nowMs);
    let sum = 0;
    for (const n of this.#slots) sum += n;
    return sum;
  }

  #advance(nowMs: number): void {
    const start = Math.floor(nowMs / RATE_SLOT_MS) * RATE_SLOT_MS;
    if (start <= this.#slotStart) return;
    const steps = Math.min(RATE_SLOTS, (start - this.#slotStart) / RATE_SLOT_MS);
    let slot = Math.floor(this.#slotStart / RATE_SLOT_MS);
    for (let i = 0; i < steps; i++) this.#slots[++slot % RATE_SLOTS] = 0;
    this.#slotStart = start;
  }
}

/** The §3.9 flood state of one tunnel. */
export class FloodGuard {
  readonly #handshakes = new EventRate();
  readonly #perSource = new SourceRateLimiter();
  readonly #cookieBudget: TokenBucket;

  constructor(nowMs: number) {
    this.#cookieBudget = new TokenBucket(COOKIE_REPLIES_PER_S, COOKIE_REPLIES_PER_S, nowMs);
  }

  /** Counts one handshake message (a PILH or PILR whose mac1 verified). */
  recordHandshake(nowMs: number): void {
    this.#handshakes.record(nowMs);
  }

  underLoad(nowMs: number, waitingLookups: number): boolean {
    return waitingLookups >= UNDER_LOAD_WAITING_LOOKUPS ||
      this.#handshakes.count(nowMs) > UNDER_LOAD_HANDSHAKES_PER_S;
  }

  allowSource(source: string, nowMs: number): boolean {
    return this.#perSource.allow(source, nowMs);
  }

  allowCookieReply(nowMs: number): boolean {
    return this.#cookieBudget.take(nowMs);
  }
}
