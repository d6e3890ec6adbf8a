// Waiting in the daemon's background loops (heartbeats, beacon keepalives, trust polling, dial schedules): sleeps
// that end early when their owner aborts or wakes them, so close() never waits for a timer to run out.

/** Resolves after `ms`, or at once when `signal` aborts. Never rejects. */
export function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, Math.max(0, ms));
    signal.addEventListener("abort", done, { once: true });
  });
}

/** A sleep that another part can cut short with wake() (a connection closed, a message waiting). */
export class Wakeable {
  readonly #signal: AbortSignal;
  #wake: (() => void) | null = null;
  #pending = false;

  constructor(signal: AbortSignal) {
    this.#signal = signal;
  }

  /** Resolves after `ms`, on abort, or on wake(); a wake() that came while nobody slept ends the next sleep at once. */
  sleep(ms: number): Promise<void> {
    if (this.#pending || this.#signal.aborted) {
      this.#pending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#signal.removeEventListener("abort", done);
        if (this.#wake === done) this.#wake = null;
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, ms));
      this.#signal.addEventListener("abort", done, { once: true });
      this.#wake = done;
    });
  }

  wake(): void {
    const wake = this.#wake;
    if (wake === null) {
      this.#pending = true;
      return;
    }
    wake();
  }
}

/** Rejects with `error()` after `ms` unless `promise` settles first; the timer never outlives the race. */
export async function withDeadline<T>(promise: Promise<T>, ms: number, error: () => Error): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(error()), Math.max(0, ms));
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
