// Identity-key lookups for handshakes (PROTOCOL-BRIEF §3.2 get_keys / trust-store pin, cached 10 min; §3.3 at most
// 64 PILH wait at most 5 s for a key, extra ones are dropped). The resolver may answer synchronously (a pin) or
// asynchronously (a registry round trip); a late answer after the 5 s limit is ignored. A hint passes on why a key is
// asked for again (a newer binding than the cached one), so the resolver skips its own answer cache.
import type { Clock } from "../util/clock.ts";
import { KEY_LOOKUP_TIMEOUT_MS, MAX_WAITING_KEY_LOOKUPS } from "./constants.ts";
import type { KeyLookupHint, KeyResolver, PeerKeys } from "./types.ts";

/** How long a resolved key is reused without asking again. */
export const KEY_CACHE_MS = 600_000;

/** Outcome of a lookup: keys, an unknown node, or no answer in time. */
export type LookupResult =
  | { readonly kind: "keys"; readonly keys: PeerKeys }
  | { readonly kind: "unknown" }
  | { readonly kind: "timeout" };

interface Waiting {
  readonly startedAtMs: number;
  readonly done: (result: LookupResult) => void;
  settled: boolean;
}

export class KeyLookups {
  readonly #resolver: KeyResolver;
  readonly #clock: Clock;
  readonly #maxWaiting: number;
  readonly #waiting = new Set<Waiting>();
  #closed = false;

  constructor(resolver: KeyResolver, clock: Clock, maxWaiting = MAX_WAITING_KEY_LOOKUPS) {
    this.#resolver = resolver;
    this.#clock = clock;
    this.#maxWaiting = maxWaiting;
  }

  /** Lookups waiting for an asynchronous answer (§3.9 "under load" counts them). */
  get waiting(): number {
    return this.#waiting.size;
  }

  /** True when another asynchronous lookup may start. */
  hasRoom(): boolean {
    return this.#waiting.size < this.#maxWaiting;
  }

  /**
   * Resolves `nodeId` and calls `done` exactly once — synchronously when the resolver answers synchronously.
   * Returns false (and never calls `done`) when the answer would have to wait and no slot is free.
   */
  lookup(nodeId: number, done: (result: LookupResult) => void, hint?: KeyLookupHint): boolean {
    if (this.#closed) return false;
    let answer: PeerKeys | null | Promise<PeerKeys | null>;
    try {
      answer = hint === undefined ? this.#resolver(nodeId) : this.#resolver(nodeId, hint);
    } catch {
      answer = null;
    }
    if (!(answer instanceof Promise)) {
      done(answer === null ? UNKNOWN : { kind: "keys", keys: answer });
      return true;
    }
    if (!this.hasRoom()) {
      // The promise is abandoned; keep it from surfacing as an unhandled rejection.
      answer.catch(() => {});
      return false;
    }
    const entry: Waiting = { startedAtMs: this.#clock.monotonic(), done, settled: false };
    this.#waiting.add(entry);
    answer.then(
      (keys) => this.#settle(entry, keys === null ? UNKNOWN : { kind: "keys", keys }),
      () => this.#settle(entry, UNKNOWN),
    );
    return true;
  }

  /** Gives up on lookups older than 5 s; call from the timer tick. */
  expire(nowMs: number): void {
    for (const entry of this.#waiting) {
      if (nowMs - entry.startedAtMs >= KEY_LOOKUP_TIMEOUT_MS) this.#settle(entry, TIMEOUT);
    }
  }

  /** Drops every waiting lookup without calling back. */
  close(): void {
    this.#closed = true;
    for (const entry of this.#waiting) entry.settled = true;
    this.#waiting.clear();
  }

  #settle(entry: Waiting, result: LookupResult): void {
    if (entry.settled) return;
    entry.settled = true;
    this.#waiting.delete(entry);
    if (this.#closed) return;
    // A late answer is a timeout even when no tick has run since the limit passed.
    const late = this.#clock.monotonic() - entry.startedAtMs > KEY_LOOKUP_TIMEOUT_MS;
    try {
      entry.done(late && result.kind !== "timeout" ? TIMEOUT : result);
    } catch {
      // The callback belongs to the tunnel, which never throws on network input; nothing to do here.
    }
  }
}

const UNKNOWN: LookupResult = Object.freeze({ kind: "unknown" });
const TIMEOUT: LookupResult = Object.freeze({ kind: "timeout" });
