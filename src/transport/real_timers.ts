// The TimerSource for a running daemon: real setTimeout against the injected clock's monotonic time. It owns its
// timers; close() cancels them all so nothing fires after shutdown.
import type { Clock } from "../util/clock.ts";
import type { TimerSource } from "./driver.ts";

type TimerId = ReturnType<typeof setTimeout>;

export class RealTimerSource implements TimerSource {
  readonly #clock: Clock;
  /** Handle token → platform timer, so cancel() is O(1) without trusting the handle's type. */
  readonly #live = new Map<object, TimerId>();
  #closed = false;

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  schedule(atMonotonicMs: number, fn: () => void): unknown {
    const token = {};
    if (this.#closed) return token;
    const delay = Math.max(0, Math.ceil(atMonotonicMs - this.#clock.monotonic()));
    this.#live.set(
      token,
      setTimeout(() => {
        this.#live.delete(token);
        fn();
      }, delay),
    );
    return token;
  }

  cancel(handle: unknown): void {
    if (typeof handle !== "object" || handle === null) return;
    const id = this.#live.get(handle);
    if (id === undefined) return;
    clearTimeout(id);
    this.#live.delete(handle);
  }

  /** Cancels every pending timer; later schedule() calls are ignored. */
  close(): void {
    this.#closed = true;
    for (const id of this.#live.values()) clearTimeout(id);
    this.#live.clear();
  }
}
