// The replay cache of a registry instance that shares its store (PROTOCOL-BRIEF §4.2, §4.6): the same in-memory
// cache, but each newly recorded nonce is written to the store at once instead of in the next ≤ 1 s batch. The
// store publishes what it writes, so the other instances learn the nonce about one round trip after its first use
// and reject the request if it is replayed to them. Writes are single-flight: nonces recorded while one is running
// go out together in the next.
import type { Logger } from "../log/logger.ts";
import { ReplayCache } from "./auth.ts";
import type { RegistryStore } from "./store.ts";

export class EagerReplayCache extends ReplayCache {
  readonly #store: RegistryStore;
  readonly #log: Logger;
  #writing: Promise<void> | null = null;
  #again = false;
  #closed = false;

  constructor(store: RegistryStore, log: Logger) {
    super();
    this.#store = store;
    this.#log = log;
  }

  override tryRecord(nodeId: number, nonce: Uint8Array, nowMs: number): boolean {
    const fresh = super.tryRecord(nodeId, nonce, nowMs);
    if (fresh) this.#kick();
    return fresh;
  }

  #kick(): void {
    if (this.#closed) return;
    if (this.#writing !== null) {
      this.#again = true;
      return;
    }
    this.#writing = this.#write();
  }

  async #write(): Promise<void> {
    do {
      this.#again = false;
      const batch = this.takePending();
      if (batch.length === 0) break;
      try {
        await this.#store.transaction((tx) => tx.putReplayEntries(batch));
      } catch (err) {
        // Left for the maintenance loop's next batch (which retries until it succeeds).
        this.restorePending(batch);
        this.#log.limited("warn", "replay_write", "cannot share the replay cache", {
          error: err instanceof Error ? err.message : String(err),
        });
        break;
      }
    } while (this.#again);
    this.#writing = null;
  }

  /** Starts no new write; waits for the running one, which also takes what was recorded meanwhile. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#writing;
  }
}
