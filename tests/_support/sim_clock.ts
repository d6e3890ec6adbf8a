// Virtual time for simulations: a Clock whose time moves only when its discrete-event scheduler runs the next
// event. Runs are bounded in steps and virtual time; `runAsync` also lets promises settle at each instant, so code
// built on streams and promises runs in virtual time too. Independent of any protocol code.
import type { Clock } from "../../src/util/clock.ts";

export interface SimTimer {
  readonly at: number;
  /** @internal order among events due at the same instant */
  readonly seq: number;
  cancelled: boolean;
  readonly fn: () => void;
}

export type RunStop = "idle" | "until" | "deadline" | "max_steps";

export interface RunOptions {
  /** Stop as soon as this returns true (checked after every event). */
  readonly until?: () => boolean;
  /** Absolute virtual time (ms) not to run past; the clock is left at this time if reached. */
  readonly deadline?: number;
  /** Upper bound on events run (default 10 million). */
  readonly maxSteps?: number;
}

export interface RunResult {
  readonly stop: RunStop;
  readonly steps: number;
  readonly now: number;
}

const DEFAULT_MAX_STEPS = 10_000_000;
const DEFAULT_WALL_START_MS = 1_750_000_000_000;

export class SimClock implements Clock {
  #now = 0;
  readonly #wallStart: number;
  #heap: SimTimer[] = [];
  #seq = 0;

  constructor(wallStartMs = DEFAULT_WALL_START_MS) {
    this.#wallStart = wallStartMs;
  }

  now(): number {
    return this.#wallStart + Math.floor(this.#now);
  }

  monotonic(): number {
    return this.#now;
  }

  /** Events scheduled and not cancelled (cancelled ones may still be counted until they surface). */
  get pending(): number {
    return this.#heap.length;
  }

  /** Runs `fn` at virtual time `at` (never earlier than now). */
  schedule(at: number, fn: () => void): SimTimer {
    const t: SimTimer = { at: Math.max(at, this.#now), seq: this.#seq++, cancelled: false, fn };
    this.#push(t);
    return t;
  }

  after(delayMs: number, fn: () => void): SimTimer {
    return this.schedule(this.#now + Math.max(0, delayMs), fn);
  }

  cancel(t: SimTimer): void {
    t.cancelled = true;
  }

  /** Time of the next live event, or null. */
  nextAt(): number | null {
    this.#dropCancelled();
    return this.#heap.length === 0 ? null : this.#heap[0].at;
  }

  /** Runs the next live event; false when there is none. */
  step(): boolean {
    this.#dropCancelled();
    const t = this.#pop();
    if (t === undefined) return false;
    this.#now = t.at;
    t.fn();
    return true;
  }

  /** Runs events synchronously until idle, `until`, the deadline or the step bound. */
  run(opts: RunOptions = {}): RunResult {
    const max = opts.maxSteps ?? DEFAULT_MAX_STEPS;
    let steps = 0;
    for (;;) {
      if (opts.until?.()) return { stop: "until", steps, now: this.#now };
      const next = this.nextAt();
      if (next === null) return { stop: "idle", steps, now: this.#now };
      if (opts.deadline !== undefined && next > opts.deadline) {
        this.#now = Math.max(this.#now, opts.deadline);
        return { stop: "deadline", steps, now: this.#now };
      }
      if (steps >= max) return { stop: "max_steps", steps, now: this.#now };
      this.step();
      steps++;
    }
  }

  /** Advances virtual time by `ms`, running every event due on the way. */
  advance(ms: number): RunResult {
    const target = this.#now + ms;
    const r = this.run({ deadline: target });
    if (this.#now < target) this.#now = target;
    return { ...r, now: this.#now };
  }

  /**
   * Like run(), but before virtual time moves on it yields to the real event loop until no new event appears at the
   * current instant, so promise chains (streams, async handlers) complete in virtual time.
   */
  async runAsync(opts: RunOptions = {}): Promise<RunResult> {
    const max = opts.maxSteps ?? DEFAULT_MAX_STEPS;
    let steps = 0;
    for (;;) {
      await settle();
      if (opts.until?.()) return { stop: "until", steps, now: this.#now };
      const next = this.nextAt();
      if (next === null) return { stop: "idle", steps, now: this.#now };
      if (opts.deadline !== undefined && next > opts.deadline) {
        this.#now = Math.max(this.#now, opts.deadline);
        return { stop: "deadline", steps, now: this.#now };
      }
      if (steps >= max) return { stop: "max_steps", steps, now: this.#now };
      // Run everything due at this instant, then let promises react before time moves.
      const instant = next;
      while (this.nextAt() === instant && steps < max) {
        this.step();
        steps++;
      }
    }
  }

  #dropCancelled(): void {
    while (this.#heap.length > 0 && this.#heap[0].cancelled) this.#pop();
  }

  #less(a: SimTimer, b: SimTimer): boolean {
    return a.at < b.at || (a.at === b.at && a.seq < b.seq);
  }

  #push(t: SimTimer): void {
    const h = this.#heap;
    h.push(t);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.#less(h[i], h[parent])) break;
      [h[i], h[parent]] = [h[parent], h[i]];
      i = parent;
    }
  }

  #pop(): SimTimer | undefined {
    const h = this.#heap;
    if (h.length === 0) return undefined;
    const top = h[0];
    const last = h.pop() as SimTimer;
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && this.#less(h[l], h[m])) m = l;
        if (r < h.length && this.#less(h[r], h[m])) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m], h[i]];
        i = m;
      }
    }
    return top;
  }
}

/** Lets pending promise reactions run: a real macrotask turn, after which the microtask queue is empty. */
function settle(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}
