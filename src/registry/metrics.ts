// Registry and beacon metrics in the Prometheus text format (CLI.md §3.2 `--metrics`, PROTOCOL §5.10): requests by
// type and outcome with their latency, drops by reason (beacon datagrams and TCP connections cut off), connections,
// and gauges read from the store at scrape time (nodes, online nodes, networks, mutual trust links).
// Every label value is a request type, an error code or a drop reason — closed sets, folded through boundedLabel();
// no node id, key, address, e-mail or endpoint ever becomes a label.
import type { StoreCounts } from "./store.ts";
import { boundedLabel, type Counter, type Gauge, type Histogram, MetricSet } from "../util/metrics_text.ts";

/** Request latency buckets, seconds: a cached lookup is well under 1 ms, a PostgreSQL write a few ms. */
export const REQUEST_DURATION_BUCKETS_S: readonly number[] = [
  0.0005,
  0.001,
  0.0025,
  0.005,
  0.01,
  0.025,
  0.05,
  0.1,
  0.25,
  0.5,
  1,
  2.5,
  5,
];

/** Drop reason of a TCP connection refused by the per-IP limits (it gets a `rate_limited` reply, then is closed). */
export const DROP_CONN_LIMIT = "conn_limit";

export class RegistryMetrics {
  readonly #set = new MetricSet();
  readonly #requests: Counter = this.#set.counter(
    "pilot_registry_requests_total",
    "Registry requests by type and outcome (ok or the error code).",
    ["type", "outcome"],
  );
  readonly #duration: Histogram = this.#set.histogram(
    "pilot_registry_request_duration_seconds",
    "Time from a request frame to its reply, by request type.",
    REQUEST_DURATION_BUCKETS_S,
    ["type"],
  );
  readonly #drops: Counter = this.#set.counter(
    "pilot_registry_drops_total",
    "Inputs the registry and beacon dropped or cut off, by reason.",
    ["reason"],
  );
  // PROTOCOL-BRIEF: every drop increments pilot_drops_total{reason}, in the registry as in the daemon.
  readonly #dropsAll: Counter = this.#set.counter(
    "pilot_drops_total",
    "Inputs dropped, by reason (the same count as pilot_registry_drops_total).",
    ["reason"],
  );
  readonly #beaconMessages: Counter = this.#set.counter(
    "pilot_beacon_messages_total",
    "Beacon datagrams handled, by message type.",
    ["type"],
  );
  readonly #connections: Counter = this.#set.counter(
    "pilot_registry_connections_total",
    "TCP connections accepted.",
  );
  readonly #connectionsRejected: Counter = this.#set.counter(
    "pilot_registry_connections_rejected_total",
    "TCP connections refused by the per-IP limits.",
  );
  readonly #nodes: Gauge = this.#set.gauge("pilot_registry_nodes", "Registered nodes.");
  readonly #online: Gauge = this.#set.gauge(
    "pilot_registry_online_nodes",
    "Nodes with a register or heartbeat in the last 180 s.",
  );
  readonly #networks: Gauge = this.#set.gauge("pilot_registry_networks", "Networks.");
  readonly #trustLinks: Gauge = this.#set.gauge(
    "pilot_registry_trust_links",
    "Node pairs with mutual trust reported.",
  );
  readonly #beaconRegistrations: Gauge = this.#set.gauge(
    "pilot_beacon_registrations",
    "Nodes with a live beacon registration.",
  );

  /** One answered request; `durationMs` (monotonic) feeds the latency histogram when given. */
  request(type: string, outcome: string, durationMs?: number): void {
    const t = boundedLabel(type);
    this.#requests.inc({ type: t, outcome: boundedLabel(outcome) });
    if (durationMs !== undefined) this.#duration.observe({ type: t }, Math.max(0, durationMs) / 1000);
  }

  drop(reason: string): void {
    const labels = { reason: boundedLabel(reason) };
    this.#drops.inc(labels);
    this.#dropsAll.inc(labels);
  }

  beaconMessage(kind: string): void {
    this.#beaconMessages.inc({ type: boundedLabel(kind) });
  }

  connectionOpened(): void {
    this.#connections.inc();
  }

  connectionRejected(): void {
    this.#connectionsRejected.inc();
    this.drop(DROP_CONN_LIMIT);
  }

  /** Count of drops for `reason` (tests and diagnostics). */
  drops(reason: string): number {
    return this.#drops.value({ reason: boundedLabel(reason) });
  }

  requests(type: string, outcome: string): number {
    return this.#requests.value({ type: boundedLabel(type), outcome: boundedLabel(outcome) });
  }

  /** Count and sum (seconds) of the latency histogram for `type`. */
  requestDurations(type: string): { count: number; sum: number } {
    return this.#duration.snapshot({ type: boundedLabel(type) });
  }

  /** The exposition text; store gauges are absent when `counts` is null, the beacon gauge without a beacon. */
  render(counts: StoreCounts | null, beaconRegistrations: number | null): string {
    for (const g of [this.#nodes, this.#online, this.#networks, this.#trustLinks, this.#beaconRegistrations]) g.clear();
    if (counts !== null) {
      this.#nodes.set({}, counts.nodes);
      this.#online.set({}, counts.online);
      this.#networks.set({}, counts.networks);
      this.#trustLinks.set({}, counts.mutualTrustLinks);
    }
    if (beaconRegistrations !== null) this.#beaconRegistrations.set({}, beaconRegistrations);
    return this.#set.render();
  }
}
