// Registry and beacon counters and their Prometheus text exposition (CLI.md §3.2 `--metrics`): requests by type and
// outcome, drops by reason (`pilot_drops_total`, PROTOCOL-BRIEF §0), plus node gauges read from the store at scrape.
import type { StoreCounts } from "./store.ts";

/** Label values are bounded sets (request types, codes, drop reasons), so the maps stay small. */
export class RegistryMetrics {
  readonly #requests = new Map<string, number>();
  readonly #drops = new Map<string, number>();
  readonly #beaconMessages = new Map<string, number>();
  #connections = 0;
  #connectionsRejected = 0;

  request(type: string, outcome: string): void {
    const key = `${type}\u0000${outcome}`;
    this.#requests.set(key, (this.#requests.get(key) ?? 0) + 1);
  }

  drop(reason: string): void {
    this.#drops.set(reason, (this.#drops.get(reason) ?? 0) + 1);
  }

  beaconMessage(kind: string): void {
    this.#beaconMessages.set(kind, (this.#beaconMessages.get(kind) ?? 0) + 1);
  }

  connectionOpened(): void {
    this.#connections++;
  }

  connectionRejected(): void {
    this.#connectionsRejected++;
  }

  /** Count of drops for `reason` (tests and diagnostics). */
  drops(reason: string): number {
    return this.#drops.get(reason) ?? 0;
  }

  requests(type: string, outcome: string): number {
    return this.#requests.get(`${type}\u0000${outcome}`) ?? 0;
  }

  /** The Prometheus text format, version 0.0.4. */
  render(counts: StoreCounts | null, beaconRegistrations: number | null): string {
    const lines: string[] = [];
    const esc = (v: string) => v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
    lines.push("# HELP pilot_registry_requests_total Registry requests by type and outcome (ok or error code).");
    lines.push("# TYPE pilot_registry_requests_total counter");
    for (const [key, n] of [...this.#requests].sort()) {
      const [type, outcome] = key.split("\u0000");
      lines.push(`pilot_registry_requests_total{type="${esc(type)}",outcome="${esc(outcome)}"} ${n}`);
    }
    lines.push("# HELP pilot_drops_total Inputs dropped, by reason.");
    lines.push("# TYPE pilot_drops_total counter");
    for (const [reason, n] of [...this.#drops].sort()) lines.push(`pilot_drops_total{reason="${esc(reason)}"} ${n}`);
    lines.push("# HELP pilot_beacon_messages_total Beacon datagrams handled, by message type.");
    lines.push("# TYPE pilot_beacon_messages_total counter");
    for (const [kind, n] of [...this.#beaconMessages].sort()) {
      lines.push(`pilot_beacon_messages_total{type="${esc(kind)}"} ${n}`);
    }
    lines.push("# HELP pilot_registry_connections_total TCP connections accepted.");
    lines.push("# TYPE pilot_registry_connections_total counter");
    lines.push(`pilot_registry_connections_total ${this.#connections}`);
    lines.push("# HELP pilot_registry_connections_rejected_total TCP connections refused by the per-IP limits.");
    lines.push("# TYPE pilot_registry_connections_rejected_total counter");
    lines.push(`pilot_registry_connections_rejected_total ${this.#connectionsRejected}`);
    if (counts !== null) {
      const gauge = (name: string, help: string, value: number) => {
        lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} gauge`, `${name} ${value}`);
      };
      gauge("pilot_registry_nodes", "Registered nodes.", counts.nodes);
      gauge("pilot_registry_online_nodes", "Nodes with a register or heartbeat in the last 180 s.", counts.online);
      gauge("pilot_registry_networks", "Networks.", counts.networks);
      gauge("pilot_registry_trust_links", "Node pairs with mutual trust reported.", counts.mutualTrustLinks);
    }
    if (beaconRegistrations !== null) {
      lines.push("# HELP pilot_beacon_registrations Nodes with a live beacon registration.");
      lines.push("# TYPE pilot_beacon_registrations gauge");
      lines.push(`pilot_beacon_registrations ${beaconRegistrations}`);
    }
    return lines.join("\n") + "\n";
  }
}
