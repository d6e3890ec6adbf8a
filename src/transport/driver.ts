// Runs one connection state machine against a timer source and a packet output (PROTOCOL-BRIEF §7): it carries
// out the actions the machine returns (send packets, report data / EOF / state / close to the owner) and keeps one
// timer armed at the machine's next deadline. The same driver serves real timers and the simulated clock.
import type { Packet } from "../wire/mod.ts";
import type { Connection } from "./connection.ts";
import type { CloseReason } from "./rst.ts";
import type { Action, ConnState } from "./types.ts";

/** Schedules callbacks at monotonic times (ms). The simulated clock and RealTimerSource implement it. */
export interface TimerSource {
  schedule(atMonotonicMs: number, fn: () => void): unknown;
  cancel(handle: unknown): void;
}

/** Owner callbacks, called synchronously after the machine has finished the event. */
export interface ConnEvents {
  onDeliver?(data: Uint8Array): void;
  onEof?(): void;
  onEstablished?(): void;
  onWritable?(space: number): void;
  onState?(state: ConnState): void;
  onClosed?(reason: CloseReason): void;
}

export interface DriverDeps {
  readonly timers: TimerSource;
  readonly output: (packet: Packet) => void;
}

export class ConnDriver {
  readonly conn: Connection;
  readonly #deps: DriverDeps;
  readonly #events: ConnEvents;
  #handle: unknown = null;
  #armedAt: number | null = null;

  constructor(conn: Connection, deps: DriverDeps, events: ConnEvents) {
    this.conn = conn;
    this.#deps = deps;
    this.#events = events;
  }

  /** Runs one event on the machine and carries out its actions. */
  run(event: (conn: Connection) => Action[]): void {
    this.apply(event(this.conn));
  }

  segment(p: Packet): void {
    this.apply(this.conn.segment(p));
  }

  apply(actions: readonly Action[]): void {
    const ev = this.#events;
    for (const a of actions) {
      switch (a.type) {
        case "send":
          this.#deps.output(a.packet);
          break;
        case "deliver":
          ev.onDeliver?.(a.data);
          break;
        case "eof":
          ev.onEof?.();
          break;
        case "established":
          ev.onEstablished?.();
          break;
        case "writable":
          ev.onWritable?.(a.space);
          break;
        case "state":
          ev.onState?.(a.state);
          break;
        case "closed":
          this.#disarm();
          ev.onClosed?.(a.reason);
          break;
        case "timer":
          break; // re-armed below from nextDeadline(), which also covers early wake-ups
      }
    }
    this.#rearm();
  }

  /** Cancels the pending timer (for teardown of a closed or discarded connection). */
  dispose(): void {
    this.#disarm();
  }

  #rearm(): void {
    const at = this.conn.nextDeadline();
    if (at === null) {
      this.#disarm();
      return;
    }
    // A later deadline keeps the earlier timer: it wakes the machine, which then reports the new deadline.
    if (this.#armedAt !== null && this.#armedAt <= at) return;
    this.#disarm();
    this.#armedAt = at;
    this.#handle = this.#deps.timers.schedule(at, () => this.#fire());
  }

  #disarm(): void {
    if (this.#armedAt !== null) this.#deps.timers.cancel(this.#handle);
    this.#armedAt = null;
    this.#handle = null;
  }

  #fire(): void {
    this.#armedAt = null;
    this.#handle = null;
    this.apply(this.conn.timer());
  }
}
