// Registry and beacon limits (PROTOCOL-BRIEF §4.5, §5.4, §10): the defaults, the `--limits` JSON file (CLI.md §3.2)
// and the token buckets that enforce the rates. `{"enabled":false}` turns off the rate limits only; the inbox,
// network and member caps always hold.
import { decodeUtf8Strict } from "../util/bytes.ts";
import { InvalidArgumentError } from "../util/errors.ts";

export interface RegistryLimits {
  /** False turns off every rate limit (token buckets, open connections, relay budget). */
  readonly enabled: boolean;
  readonly ipConnsPerMin: number;
  readonly ipOpenConns: number;
  readonly ipRegistersPerMin: number;
  readonly nodeRequestsPerS: number;
  readonly nodeRequestsBurst: number;
  readonly nodeLookupsPerMin: number;
  readonly nodeHandshakesPerMin: number;
  readonly inboxMax: number;
  readonly nodeNetworkCreatesPerDay: number;
  readonly networksPerNode: number;
  readonly membersPerNetwork: number;
  readonly relayPacketsPerS: number;
  readonly relayBytesPerS: number;
}

export const DEFAULT_LIMITS: RegistryLimits = Object.freeze({
  enabled: true,
  ipConnsPerMin: 20,
  ipOpenConns: 16,
  ipRegistersPerMin: 10,
  nodeRequestsPerS: 20,
  nodeRequestsBurst: 50,
  nodeLookupsPerMin: 120,
  nodeHandshakesPerMin: 30,
  inboxMax: 100,
  nodeNetworkCreatesPerDay: 10,
  networksPerNode: 64,
  membersPerNetwork: 10_000,
  relayPacketsPerS: 1_000,
  relayBytesPerS: 1_048_576,
});

/** The file's key for each numeric limit. */
const FILE_KEYS: Record<string, Exclude<keyof RegistryLimits, "enabled">> = {
  ip_conns_per_min: "ipConnsPerMin",
  ip_open_conns: "ipOpenConns",
  ip_registers_per_min: "ipRegistersPerMin",
  node_requests_per_s: "nodeRequestsPerS",
  node_requests_burst: "nodeRequestsBurst",
  node_lookups_per_min: "nodeLookupsPerMin",
  node_handshakes_per_min: "nodeHandshakesPerMin",
  inbox_max: "inboxMax",
  node_network_creates_per_day: "nodeNetworkCreatesPerDay",
  networks_per_node: "networksPerNode",
  members_per_network: "membersPerNetwork",
  relay_packets_per_s: "relayPacketsPerS",
  relay_bytes_per_s: "relayBytesPerS",
};

const MAX_LIMITS_FILE_BYTES = 64 * 1024;

/** Limits from a parsed `--limits` object; absent keys keep their defaults. Throws InvalidArgumentError. */
export function parseLimits(value: unknown, source = "limits"): RegistryLimits {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new InvalidArgumentError(`invalid ${source}: not a JSON object`);
  }
  const out: Record<string, number | boolean> = { ...DEFAULT_LIMITS };
  for (const [key, v] of Object.entries(value)) {
    if (key === "enabled") {
      if (typeof v !== "boolean") throw new InvalidArgumentError(`invalid ${source}: "enabled" must be true or false`);
      out.enabled = v;
      continue;
    }
    const name = FILE_KEYS[key];
    if (name === undefined) throw new InvalidArgumentError(`invalid ${source}: unknown key "${key}"`);
    if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 1) {
      throw new InvalidArgumentError(
        `invalid ${source}: "${key}" must be a positive integer, got ${JSON.stringify(v)}`,
      );
    }
    out[name] = v;
  }
  return Object.freeze(out) as unknown as RegistryLimits;
}

/** Reads and parses a `--limits` file; unreadable or invalid → InvalidArgumentError naming the path. */
export async function loadLimitsFile(path: string): Promise<RegistryLimits> {
  let raw: Uint8Array;
  try {
    const info = await Deno.stat(path);
    if (!info.isFile || info.size > MAX_LIMITS_FILE_BYTES) throw new Error("not a small regular file");
    raw = await Deno.readFile(path);
  } catch (err) {
    throw new InvalidArgumentError(`cannot read limits file ${path}: ${err instanceof Error ? err.message : err}`);
  }
  const text = decodeUtf8Strict(raw);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text ?? "");
  } catch {
    throw new InvalidArgumentError(`invalid limits file ${path}: not valid JSON`);
  }
  return parseLimits(parsed, `limits file ${path}`);
}

/** A token bucket: `capacity` tokens, refilled continuously at `perMs` tokens per millisecond. */
export class TokenBucket {
  readonly capacity: number;
  readonly perMs: number;
  #tokens: number;
  #lastMs: number;

  constructor(capacity: number, perMs: number, nowMs: number) {
    this.capacity = capacity;
    this.perMs = perMs;
    this.#tokens = capacity;
    this.#lastMs = nowMs;
  }

  #refill(nowMs: number): void {
    const elapsed = Math.max(0, nowMs - this.#lastMs);
    this.#tokens = Math.min(this.capacity, this.#tokens + elapsed * this.perMs);
    this.#lastMs = Math.max(this.#lastMs, nowMs);
  }

  /** Takes `cost` tokens: 0 on success, else the ms until they would be available (nothing taken). */
  take(nowMs: number, cost = 1): number {
    this.#refill(nowMs);
    if (this.#tokens >= cost) {
      this.#tokens -= cost;
      return 0;
    }
    return Math.max(1, Math.ceil((cost - this.#tokens) / this.perMs));
  }

  /** True when the bucket is full, i.e. forgetting it changes nothing. */
  isFull(nowMs: number): boolean {
    this.#refill(nowMs);
    return this.#tokens >= this.capacity;
  }
}

/** Rate of `count` per `windowMs` with a burst of `burst`. */
export interface Rate {
  readonly burst: number;
  readonly count: number;
  readonly windowMs: number;
}

export const MINUTE_MS = 60_000;
export const DAY_MS = 86_400_000;

/** One bucket per key, created on demand; full buckets are forgotten when the map grows past `maxKeys`. */
export class KeyedBuckets<K> {
  readonly #rate: Rate;
  readonly #maxKeys: number;
  readonly #buckets = new Map<K, TokenBucket>();

  constructor(rate: Rate, maxKeys = 100_000) {
    this.#rate = rate;
    this.#maxKeys = maxKeys;
  }

  /** 0 when allowed, else retry-after in ms. */
  take(key: K, nowMs: number, cost = 1): number {
    let bucket = this.#buckets.get(key);
    if (bucket === undefined) {
      if (this.#buckets.size >= this.#maxKeys) this.prune(nowMs);
      bucket = new TokenBucket(this.#rate.burst, this.#rate.count / this.#rate.windowMs, nowMs);
      this.#buckets.set(key, bucket);
    }
    return bucket.take(nowMs, cost);
  }

  prune(nowMs: number): void {
    for (const [key, bucket] of this.#buckets) if (bucket.isFull(nowMs)) this.#buckets.delete(key);
  }

  get size(): number {
    return this.#buckets.size;
  }
}
