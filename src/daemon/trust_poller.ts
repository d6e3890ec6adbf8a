// Fetching trust messages the registry holds for us (PROTOCOL-BRIEF §6.2): `handshake_poll` on a `notify` push, on
// every heartbeat, and every 5 s while we have an outgoing request less than 2 min old. Each message goes to the
// TrustManager as a registry delivery and is acknowledged in the next poll; a refused one is a counted drop.
import type { Logger } from "../log/logger.ts";
import type { RegistryClient } from "../registry/mod.ts";
import type { TrustManager } from "../trust/mod.ts";
import type { Clock } from "../util/clock.ts";
import { toPilotError } from "../util/errors.ts";
import type { DropRegistry } from "./drops.ts";
import { Wakeable } from "./timing.ts";
import type { TrustActions } from "./trust_actions.ts";

export const ACTIVE_POLL_INTERVAL_MS = 5_000;
/** An outgoing request younger than this keeps the 5 s polling on. */
export const OUTGOING_ACTIVE_MS = 120_000;
/** Without a recent request we rely on pushes and heartbeats; this only bounds the idle sleep. */
const IDLE_POLL_INTERVAL_MS = 60_000;
export const POLL_MAX_MESSAGES = 50;
/** Polls per round at most (each returns ≤ 50 messages), so a flood cannot keep the loop busy forever. */
const POLLS_PER_ROUND_MAX = 20;

export interface TrustPollerDeps {
  readonly trust: TrustManager;
  readonly registry: () => RegistryClient;
  readonly actions: TrustActions;
  readonly drops: DropRegistry;
  readonly clock: Clock;
  readonly log: Logger;
}

export class TrustPoller implements AsyncDisposable {
  readonly #d: TrustPollerDeps;
  readonly #abort = new AbortController();
  readonly #wakeable = new Wakeable(this.#abort.signal);
  /** Sequence numbers processed and not yet acknowledged to the registry. */
  #toAck: number[] = [];
  #loop: Promise<void> | null = null;

  constructor(deps: TrustPollerDeps) {
    this.#d = deps;
  }

  /** Starts polling (the first poll runs at once). */
  start(): void {
    this.#loop ??= this.#run();
  }

  /** Messages may be waiting: poll now. */
  trigger(): void {
    this.#wakeable.wake();
  }

  async close(): Promise<void> {
    this.#abort.abort();
    await this.#loop;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #run(): Promise<void> {
    while (!this.#abort.signal.aborted) {
      await this.#round();
      await this.#wakeable.sleep(this.#recentOutgoing() ? ACTIVE_POLL_INTERVAL_MS : IDLE_POLL_INTERVAL_MS);
    }
  }

  #recentOutgoing(): boolean {
    const now = this.#d.clock.now();
    return this.#d.trust.pending().outgoing.some((o) => now - o.sentAtMs < OUTGOING_ACTIVE_MS);
  }

  async #round(): Promise<void> {
    for (let i = 0; i < POLLS_PER_ROUND_MAX && !this.#abort.signal.aborted; i++) {
      let reply;
      const ack = this.#toAck;
      try {
        reply = await this.#d.registry().handshakePoll(ack, POLL_MAX_MESSAGES);
      } catch (err) {
        this.#d.log.debug("handshake_poll failed", { error: toPilotError(err).message });
        return;
      }
      this.#toAck = this.#toAck.slice(ack.length);
      for (const item of reply.messages ?? []) {
        if (this.#abort.signal.aborted) return;
        const result = await this.#d.trust.onMessage(item.message, "registry");
        this.#toAck.push(item.seq);
        if (result.ack.status === "error") this.#d.drops.add(`trust_${result.ack.code ?? "error"}`);
        this.#d.actions.background(result.actions);
      }
      // One more poll carries the acks of what we just processed.
      if (!reply.more && this.#toAck.length === 0) return;
    }
  }
}
