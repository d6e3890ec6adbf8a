// Background upkeep of a registry process (PROTOCOL-BRIEF §4.2, §4.6, §5.3): writes replay-cache batches at least
// once a second, polls punch jobs queued by other instances, and prunes expired rows and idle limiter state.
import type { RegistryContext } from "./context.ts";

/** Replay batches reach the store within this interval (§4.2: ≤ 1 s). */
export const REPLAY_FLUSH_INTERVAL_MS = 500;
const PUNCH_POLL_INTERVAL_MS = 1_000;
const PRUNE_INTERVAL_MS = 60_000;
/** Punch jobs are only useful for their 5 s de-duplication window; keep them a minute for diagnosis. */
const PUNCH_JOB_KEEP_MS = 60_000;

export interface BeaconUpkeep {
  pollPunchJobs(): Promise<void>;
  prune(nowMs: number): void;
}

export class Maintenance {
  readonly #ctx: RegistryContext;
  readonly #beacon: BeaconUpkeep | null;
  readonly #abort = new AbortController();
  #loop: Promise<void> | null = null;
  #lastPoll = 0;
  #lastPrune = 0;

  constructor(ctx: RegistryContext, beacon: BeaconUpkeep | null = null) {
    this.#ctx = ctx;
    this.#beacon = beacon;
  }

  start(): void {
    if (this.#loop === null) this.#loop = this.#run();
  }

  /** Writes pending replay entries now; a failed batch is kept for the next try. */
  async flushReplay(): Promise<void> {
    const batch = this.#ctx.replay.takePending();
    if (batch.length === 0) return;
    try {
      await this.#ctx.store.transaction((tx) => tx.putReplayEntries(batch));
    } catch (err) {
      this.#ctx.replay.restorePending(batch);
      this.#ctx.log.limited("warn", "replay_flush", "cannot persist the replay cache", {
        error: err instanceof Error ? err.message : String(err),
      });
    }
  }

  async prune(): Promise<void> {
    const ctx = this.#ctx;
    const now = ctx.clock.now();
    ctx.replay.prune(now);
    ctx.liveness.prune(now);
    ctx.rates.prune(now);
    this.#beacon?.prune(now);
    try {
      await ctx.store.transaction(async (tx) => {
        await tx.pruneReplay(now);
        await tx.pruneInbox(now);
        await tx.pruneBeaconEndpoints(now);
        await tx.prunePunchJobs(now - PUNCH_JOB_KEEP_MS);
      });
    } catch (err) {
      ctx.log.limited("warn", "prune", "cannot prune the store", {
        error: err instanceof Error ? err.message : String(err),
      });
    }
  }

  async #run(): Promise<void> {
    const signal = this.#abort.signal;
    while (!signal.aborted) {
      await new Promise<void>((resolve) => {
        const onAbort = () => {
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(() => {
          signal.removeEventListener("abort", onAbort);
          resolve();
        }, REPLAY_FLUSH_INTERVAL_MS);
        signal.addEventListener("abort", onAbort, { once: true });
      });
      if (signal.aborted) break;
      await this.flushReplay();
      const mono = this.#ctx.clock.monotonic();
      if (this.#beacon !== null && mono - this.#lastPoll >= PUNCH_POLL_INTERVAL_MS) {
        this.#lastPoll = mono;
        await this.#beacon.pollPunchJobs();
      }
      if (mono - this.#lastPrune >= PRUNE_INTERVAL_MS) {
        this.#lastPrune = mono;
        await this.prune();
      }
    }
  }

  /** Stops the loop and writes the last replay batch. */
  async close(): Promise<void> {
    this.#abort.abort();
    await this.#loop;
    await this.flushReplay();
  }
}
