// Fixed-window rate limits for the inbound limits of PROTOCOL-BRIEF §10 and §7.9–7.10 (SYNs per second in total and
// per peer, RST 4 replies, challenge ACKs, ping replies). A window restarts one second after it opened; keyed
// limiters forget idle keys so a flood of distinct sources cannot grow memory without bound.

const WINDOW_MS = 1000;
const KEYS_MAX = 4096;

export class RateWindow {
  readonly #limit: number;
  #start = -Infinity;
  #count = 0;

  constructor(limitPerSecond: number) {
    this.#limit = limitPerSecond;
  }

  /** Counts one event at `now`; false when it is over the limit (and then it is not counted). */
  take(now: number): boolean {
    if (now - this.#start >= WINDOW_MS) {
      this.#start = now;
      this.#count = 0;
    }
    if (this.#count >= this.#limit) return false;
    this.#count++;
    return true;
  }

  /** Whether an event would pass now, without counting it. */
  wouldPass(now: number): boolean {
    return now - this.#start >= WINDOW_MS || this.#count < this.#limit;
  }
}

export class KeyedRateLimit {
  readonly #limit: number;
  readonly #windows = new Map<number, RateWindow>();

  constructor(limitPerSecond: number) {
    this.#limit = limitPerSecond;
  }

  take(key: number, now: number): boolean {
    let w = this.#windows.get(key);
    if (w === undefined) {
      // Dropping every window at the cap only forgets counts, which errs towards allowing: never unbounded.
      if (this.#windows.size >= KEYS_MAX) this.#windows.clear();
      w = new RateWindow(this.#limit);
      this.#windows.set(key, w);
    }
    return w.take(now);
  }

  wouldPass(key: number, now: number): boolean {
    return this.#windows.get(key)?.wouldPass(now) ?? true;
  }
}
