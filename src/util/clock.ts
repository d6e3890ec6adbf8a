// The injected clock: protocol state machines read time only through this interface, so tests can run in virtual time.

export interface Clock {
  /** Milliseconds since the Unix epoch (wall clock; used on the wire). */
  now(): number;
  /** Monotonic milliseconds (for timers and RTT). */
  monotonic(): number;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  monotonic: () => performance.now(),
};

/** A clock that only moves when told to; for tests and simulations. */
export class ManualClock implements Clock {
  #wall: number;
  #mono = 0;

  constructor(startWallMs = 1_750_000_000_000) {
    this.#wall = startWallMs;
  }

  now(): number {
    return this.#wall;
  }

  monotonic(): number {
    return this.#mono;
  }

  advance(ms: number): void {
    if (ms < 0) throw new Error("time cannot go backwards");
    this.#wall += ms;
    this.#mono += ms;
  }
}
