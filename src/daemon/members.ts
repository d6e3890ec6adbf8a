// Network member lists for the daemon's own decisions (PROTOCOL-BRIEF §7.10 broadcast fan-out, §9.2 BROADCAST
// acceptance): `network_members` pages from the registry, cached 30 s per network, at most 1024 nodes. A failed
// refresh keeps serving the previous list.
import type { Logger } from "../log/logger.ts";
import type { RegistryClient } from "../registry/mod.ts";
import type { Clock } from "../util/clock.ts";
import { toPilotError } from "../util/errors.ts";

export const MEMBERS_CACHE_MS = 30_000;
export const MEMBERS_MAX = 1024;
/** A node missing from the cached list triggers a refresh (it may have joined since), at most once per this interval. */
export const MEMBERS_MISS_REFRESH_MS = 1_000;
const MEMBERS_PAGE = 500;

export class MemberCache {
  readonly #registry: () => RegistryClient;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #lists = new Map<number, { readonly nodes: ReadonlySet<number>; readonly atMs: number }>();
  readonly #inflight = new Map<number, Promise<ReadonlySet<number>>>();
  readonly #missRefreshAt = new Map<number, number>();

  constructor(registry: () => RegistryClient, clock: Clock, log: Logger) {
    this.#registry = registry;
    this.#clock = clock;
    this.#log = log;
  }

  /** The members of `network` (throws when the registry refuses and nothing is cached). */
  nodes(network: number, maxAgeMs = MEMBERS_CACHE_MS): Promise<ReadonlySet<number>> {
    const cached = this.#lists.get(network);
    if (cached !== undefined && this.#clock.monotonic() - cached.atMs < maxAgeMs) {
      return Promise.resolve(cached.nodes);
    }
    let running = this.#inflight.get(network);
    if (running === undefined) {
      running = this.#fetch(network).finally(() => this.#inflight.delete(network));
      this.#inflight.set(network, running);
    }
    return running;
  }

  /** Whether `node` is a member of `network`; false when the list cannot be had. */
  async has(network: number, node: number): Promise<boolean> {
    try {
      if ((await this.nodes(network)).has(node)) return true;
      // A late joiner is missing from the cached list: refresh, rate-limited per network.
      const now = this.#clock.monotonic();
      const last = this.#missRefreshAt.get(network);
      if (last !== undefined && now - last < MEMBERS_MISS_REFRESH_MS) return false;
      this.#missRefreshAt.set(network, now);
      return (await this.nodes(network, 0)).has(node);
    } catch {
      return false;
    }
  }

  async #fetch(network: number): Promise<ReadonlySet<number>> {
    const nodes = new Set<number>();
    let cursor: string | undefined;
    try {
      do {
        const page = await this.#registry().networkMembers(network, { limit: MEMBERS_PAGE, cursor });
        for (const m of page.members) if (nodes.size < MEMBERS_MAX) nodes.add(m.node_id);
        cursor = page.next_cursor;
      } while (cursor !== undefined && nodes.size < MEMBERS_MAX);
    } catch (err) {
      this.#log.debug("network_members failed", { network, error: toPilotError(err).message });
      const cached = this.#lists.get(network);
      if (cached !== undefined) return cached.nodes;
      throw err;
    }
    this.#lists.set(network, { nodes, atMs: this.#clock.monotonic() });
    return nodes;
  }
}
