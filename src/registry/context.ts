// What every registry handler is given: the store, clock, limits and the volatile per-process state — liveness
// (§4.5, last_seen written at most once per 60 s), the node → connection map for `notify` pushes (§4.1) and the rate
// buckets (§4.5).
import type { Clock } from "../util/clock.ts";
import type { Logger } from "../log/logger.ts";
import type { ChallengeBook, ReplayCache } from "./auth.ts";
import { DAY_MS, KeyedBuckets, MINUTE_MS, type RegistryLimits } from "./limits.ts";
import type { RegistryMetrics } from "./metrics.ts";
import { ONLINE_EXPIRY_S, RegistryError } from "./protocol.ts";
import type { NodeRecord, RegistryStore } from "./store.ts";
import type { Json } from "./validation.ts";

export const ONLINE_EXPIRY_MS = ONLINE_EXPIRY_S * 1000;
/** last_seen reaches the store at most this often per node (§4.6). */
export const LAST_SEEN_WRITE_INTERVAL_MS = 60_000;

/** One client connection as handlers see it. */
export interface ConnInfo {
  readonly id: number;
  /** The peer's IP in canonical text form. */
  readonly remoteIp: string;
  readonly challenges: ChallengeBook;
  /** Queues an unsolicited frame (a `notify`); never throws. */
  push(frame: Json): void;
}

/** What the registry asks of the beacon running in the same process (absent with `--beacon-listen off`). */
export interface BeaconHooks {
  /** Punch jobs were added to the store: send them now instead of at the next poll. */
  punchJobsQueued(): void;
  /** The node went offline: forget its registration. */
  forget(nodeId: number): void;
}

/** Who is online: the freshest last-seen time per node, and when it last reached the store. */
export class Liveness {
  readonly #seen = new Map<number, number>();
  readonly #written = new Map<number, number>();

  /** Records activity; true when the store's copy is stale enough to be written now. */
  touch(node: NodeRecord, nowMs: number): boolean {
    this.#seen.set(node.nodeId, nowMs);
    const written = Math.max(this.#written.get(node.nodeId) ?? 0, node.lastSeenMs);
    return nowMs - written >= LAST_SEEN_WRITE_INTERVAL_MS;
  }

  written(nodeId: number, nowMs: number): void {
    this.#written.set(nodeId, nowMs);
  }

  markOffline(nodeId: number): void {
    this.#seen.delete(nodeId);
    this.#written.delete(nodeId);
  }

  lastSeen(node: NodeRecord): number {
    if (node.lastSeenMs === 0 && !this.#seen.has(node.nodeId)) return 0;
    return Math.max(this.#seen.get(node.nodeId) ?? 0, node.lastSeenMs);
  }

  online(node: NodeRecord, nowMs: number): boolean {
    const last = this.lastSeen(node);
    return last > 0 && nowMs - last < ONLINE_EXPIRY_MS;
  }

  prune(nowMs: number): void {
    for (const [id, at] of this.#seen) {
      if (nowMs - at >= ONLINE_EXPIRY_MS) {
        this.#seen.delete(id);
        this.#written.delete(id);
      }
    }
  }
}

/** The connection each node registered over, for `notify` (one process; other instances go through the store). */
export class NodeSessions {
  readonly #byNode = new Map<number, ConnInfo>();

  bind(nodeId: number, conn: ConnInfo): void {
    this.#byNode.set(nodeId, conn);
  }

  unbindConnection(conn: ConnInfo): void {
    for (const [id, c] of this.#byNode) if (c === conn) this.#byNode.delete(id);
  }

  notify(nodeId: number, inbox: number): void {
    this.#byNode.get(nodeId)?.push({ type: "notify", inbox });
  }
}

/** The token buckets of §4.5; every method throws `rate_limited` with retry_after_ms when over. */
export class RateLimiter {
  readonly #enabled: boolean;
  readonly #ipConns: KeyedBuckets<string>;
  readonly #ipRegisters: KeyedBuckets<string>;
  readonly #nodeRequests: KeyedBuckets<number>;
  readonly #nodeLookups: KeyedBuckets<number>;
  readonly #nodeHandshakes: KeyedBuckets<number>;
  readonly #nodeCreates: KeyedBuckets<number>;

  constructor(limits: RegistryLimits) {
    this.#enabled = limits.enabled;
    const perMin = (n: number) => ({ burst: n, count: n, windowMs: MINUTE_MS });
    this.#ipConns = new KeyedBuckets(perMin(limits.ipConnsPerMin));
    this.#ipRegisters = new KeyedBuckets(perMin(limits.ipRegistersPerMin));
    this.#nodeRequests = new KeyedBuckets({
      burst: limits.nodeRequestsBurst,
      count: limits.nodeRequestsPerS,
      windowMs: 1000,
    });
    this.#nodeLookups = new KeyedBuckets(perMin(limits.nodeLookupsPerMin));
    this.#nodeHandshakes = new KeyedBuckets(perMin(limits.nodeHandshakesPerMin));
    this.#nodeCreates = new KeyedBuckets({
      burst: limits.nodeNetworkCreatesPerDay,
      count: limits.nodeNetworkCreatesPerDay,
      windowMs: DAY_MS,
    });
  }

  #check<K>(buckets: KeyedBuckets<K>, key: K, nowMs: number, what: string): void {
    if (!this.#enabled) return;
    const retry = buckets.take(key, nowMs);
    if (retry > 0) throw new RegistryError("rate_limited", `rate limit exceeded: ${what}`, { retryAfterMs: retry });
  }

  /** 0 when the connection may proceed, else retry-after ms. */
  ipConnect(ip: string, nowMs: number): number {
    return this.#enabled ? this.#ipConns.take(ip, nowMs) : 0;
  }

  ipRegister(ip: string, nowMs: number): void {
    this.#check(this.#ipRegisters, ip, nowMs, `registrations from ${ip}`);
  }

  nodeRequest(nodeId: number, nowMs: number): void {
    this.#check(this.#nodeRequests, nodeId, nowMs, `requests of node ${nodeId}`);
  }

  nodeLookup(nodeId: number, nowMs: number): void {
    this.#check(this.#nodeLookups, nodeId, nowMs, `lookups of node ${nodeId}`);
  }

  nodeHandshake(nodeId: number, nowMs: number): void {
    this.#check(this.#nodeHandshakes, nodeId, nowMs, `handshake requests of node ${nodeId}`);
  }

  nodeNetworkCreate(nodeId: number, nowMs: number): void {
    this.#check(this.#nodeCreates, nodeId, nowMs, `network creations of node ${nodeId}`);
  }

  prune(nowMs: number): void {
    for (const b of [this.#ipConns, this.#ipRegisters, this.#nodeRequests, this.#nodeLookups, this.#nodeHandshakes]) {
      b.prune(nowMs);
    }
  }
}

export interface RegistryContext {
  readonly store: RegistryStore;
  readonly clock: Clock;
  readonly log: Logger;
  readonly limits: RegistryLimits;
  /** Random id of this registry instance (hello). */
  readonly registryId: string;
  readonly startedAtMs: number;
  readonly replay: ReplayCache;
  readonly liveness: Liveness;
  readonly sessions: NodeSessions;
  readonly rates: RateLimiter;
  readonly metrics: RegistryMetrics;
  /** The in-process beacon, or null (jobs then wait in the store for the instance that runs it). */
  readonly beacon: BeaconHooks | null;
}

/** A signed request after authentication. */
export interface AuthedRequest {
  readonly obj: Json;
  readonly node: NodeRecord;
  readonly conn: ConnInfo;
}
