// Direct → relay failover (PROTOCOL-BRIEF §5.6): when we sent to a peer on a direct path and nothing authenticated
// came back for 10 s, a PATH_CHALLENGE goes to its endpoint; unanswered within 3 s, the challenge goes through the
// relay, and the peer moves there if that answers. Checked once a second from the tunnel's peer table.
import type { Logger } from "../log/logger.ts";
import type { Endpoint, Tunnel } from "../tunnel/mod.ts";
import type { Clock } from "../util/clock.ts";
import { ipToText, parseEndpoint } from "../wire/mod.ts";
import { abortableSleep } from "./timing.ts";

export const PATH_SILENCE_MS = 10_000;
export const PATH_CHECK_INTERVAL_MS = 1_000;
/** How long the direct PATH_CHALLENGE of a silent path may take before the relay is tried (§5.6: 3 s). */
export const SILENT_DIRECT_PROBE_MS = 3_000;

interface Seen {
  bytesSent: number;
  /** Wall-clock ms of the last check that saw bytes_sent grow. */
  sentAtMs: number;
}

export class PathMonitor implements AsyncDisposable {
  readonly #tunnel: () => Tunnel;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #abort = new AbortController();
  readonly #seen = new Map<number, Seen>();
  readonly #probing = new Set<number>();
  readonly #tasks = new Set<Promise<void>>();
  readonly #onSilent: () => void;
  #loop: Promise<void> | null = null;

  /**
   * `onSilent` runs when a direct path falls silent, before any probe: the daemon passes the beacon client's
   * refresh(), so a NAT rebinding (our mappings changed) is re-registered with the beacon before the relay is
   * tried, instead of at the next 20 s DISCOVER.
   */
  constructor(tunnel: () => Tunnel, clock: Clock, log: Logger, onSilent: () => void = () => {}) {
    this.#tunnel = tunnel;
    this.#clock = clock;
    this.#log = log;
    this.#onSilent = onSilent;
  }

  start(): void {
    this.#loop ??= this.#run();
  }

  async close(): Promise<void> {
    this.#abort.abort();
    await this.#loop;
    await Promise.all(this.#tasks);
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** One pass over the peer table (the loop calls it every second). */
  check(): void {
    const now = this.#clock.now();
    const live = new Set<number>();
    for (const row of this.#tunnel().peers()) {
      if (!row.authenticated || row.path !== "direct" || row.endpoint === null) continue;
      live.add(row.node_id);
      const seen = this.#seen.get(row.node_id);
      if (seen === undefined || row.bytes_sent < seen.bytesSent) {
        this.#seen.set(row.node_id, { bytesSent: row.bytes_sent, sentAtMs: now });
        continue;
      }
      if (row.bytes_sent > seen.bytesSent) {
        seen.bytesSent = row.bytes_sent;
        seen.sentAtMs = now;
      }
      const lastSeen = row.last_seen_ms ?? 0;
      if (now - lastSeen >= PATH_SILENCE_MS && seen.sentAtMs > lastSeen && !this.#probing.has(row.node_id)) {
        const ep = parseEndpoint(row.endpoint);
        if (ep !== null) this.#spawn(this.#failover(row.node_id, { hostname: ipToText(ep.ip), port: ep.port }));
      }
    }
    for (const node of this.#seen.keys()) if (!live.has(node)) this.#seen.delete(node);
  }

  async #run(): Promise<void> {
    while (!this.#abort.signal.aborted) {
      await abortableSleep(PATH_CHECK_INTERVAL_MS, this.#abort.signal);
      if (!this.#abort.signal.aborted) this.check();
    }
  }

  async #failover(peer: number, endpoint: Endpoint): Promise<void> {
    this.#probing.add(peer);
    try {
      this.#onSilent();
      const tunnel = this.#tunnel();
      if (await tunnel.probePath(peer, endpoint, SILENT_DIRECT_PROBE_MS)) return;
      if (this.#abort.signal.aborted) return;
      if (await tunnel.probePath(peer, "relay")) {
        this.#log.info("direct path silent; peer moved to the relay", { peer });
      }
    } finally {
      this.#probing.delete(peer);
    }
  }

  #spawn(task: Promise<void>): void {
    this.#tasks.add(task);
    task.finally(() => this.#tasks.delete(task)).catch(() => {});
  }
}
