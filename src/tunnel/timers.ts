// The tunnel's only source of wake-ups (PROTOCOL-BRIEF §3.3 retries, §3.7 rekey / stale / unused timers, §5.5
// keepalives, §5.6 path-probe timeouts): one periodic tick on an injected scheduler. Real time uses setTimeout;
// simulations pass their virtual-time scheduler, and nothing else in the tunnel touches timers.
import { TICK_INTERVAL_MS } from "./constants.ts";

export interface ScheduledTask {
  cancel(): void;
}

/** Runs a callback once after a delay. */
export interface Scheduler {
  after(delayMs: number, fn: () => void): ScheduledTask;
}

/** The real-time scheduler. */
export const realScheduler: Scheduler = {
  after(delayMs: number, fn: () => void): ScheduledTask {
    const id = setTimeout(fn, delayMs);
    return { cancel: () => clearTimeout(id) };
  },
};

/** Calls `fn` every `intervalMs` until stopped; a throwing `fn` is reported to `onError` and the ticks go on. */
export class Ticker {
  readonly #scheduler: Scheduler;
  readonly #intervalMs: number;
  readonly #fn: () => void;
  readonly #onError: (err: unknown) => void;
  #task: ScheduledTask | null = null;
  #stopped = false;

  constructor(
    scheduler: Scheduler,
    fn: () => void,
    onError: (err: unknown) => void,
    intervalMs = TICK_INTERVAL_MS,
  ) {
    this.#scheduler = scheduler;
    this.#fn = fn;
    this.#onError = onError;
    this.#intervalMs = intervalMs;
  }

  start(): void {
    if (this.#stopped || this.#task !== null) return;
    this.#arm();
  }

  stop(): void {
    this.#stopped = true;
    this.#task?.cancel();
    this.#task = null;
  }

  #arm(): void {
    this.#task = this.#scheduler.after(this.#intervalMs, () => {
      this.#task = null;
      if (this.#stopped) return;
      try {
        this.#fn();
      } catch (err) {
        this.#onError(err);
      }
      if (!this.#stopped) this.#arm();
    });
  }
}
