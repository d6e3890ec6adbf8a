// The node daemon's metrics (CLI.md §3.1 `--metrics`; PROTOCOL-BRIEF preamble: every drop increments
// `pilot_drops_total{reason}`): peers by path, tunnel traffic, handshakes, drops from every layer (tunnel, §2.3
// packet checks, transport, services, beacon client, trust), stream connections, retransmits and RTT, and whether the
// registry and the beacon are reachable.
// Most values are read from the parts at scrape time, so the packet path pays nothing. Two are events: handshakes
// (tunnel events) and closed stream connections. The RTT histogram takes one sample per stream connection when it
// closes: its final smoothed RTT (connections that never measured one are skipped). Per-ACK samples would be exact
// but cost a call per ACK; the final SRTT is the connection's own best estimate and costs nothing until close.
// Labels are directions, paths, roles, outcomes and drop reasons only: never a node id, key, address or endpoint.
import { boundedLabel, type Counter, type Gauge, type Histogram, MetricSet } from "../util/metrics_text.ts";
import type { ConnStats } from "../transport/mod.ts";
import type { KeysetRole, PeerInfo, TunnelEvent } from "../tunnel/mod.ts";
import { TrafficTotals } from "./metrics_traffic.ts";

/** Stream RTT buckets, seconds: loopback and LAN at the low end, a relayed intercontinental path at the top. */
export const STREAM_RTT_BUCKETS_S: readonly number[] = [
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

/** What the metrics read from the tunnel; the current one is asked each time (rotate-key replaces it). */
export interface MetricsTunnel {
  peers(): readonly PeerInfo[];
  sessionRole(peer: number): KeysetRole | null;
}

export type ClosedConnStats = Pick<ConnStats, "srtt_ms" | "retransmits">;

export interface NodeMetricsSource {
  tunnel(): MetricsTunnel;
  /** The live stream connections. */
  connections(): readonly { stats(): ClosedConnStats }[];
  /** Drop totals by reason over every layer (DropRegistry.snapshot). */
  drops(): Readonly<Record<string, number>>;
  registryConnected(): boolean;
  beaconReachable(): boolean;
  /** The webhook dispatcher's totals (absent until the services run). */
  webhooks?(): WebhookTotals | null;
}

/** What the webhook dispatcher counted (services/webhook.ts WebhookStats). */
export interface WebhookTotals {
  readonly queued: number;
  readonly delivered: number;
  readonly failed: number;
  readonly dropped: number;
}

export class NodeMetrics {
  readonly #source: NodeMetricsSource;
  readonly #traffic = new TrafficTotals();
  readonly #set = new MetricSet();
  readonly #peers: Gauge = this.#set.gauge(
    "pilot_peers",
    "Peers with an authenticated tunnel session, by path.",
    ["path"],
  );
  readonly #bytes: Counter = this.#set.counter(
    "pilot_tunnel_bytes_total",
    "Overlay packet bytes through the tunnel, by direction.",
    ["direction"],
  );
  readonly #packets: Counter = this.#set.counter(
    "pilot_tunnel_packets_total",
    "Overlay packets through the tunnel, by direction.",
    ["direction"],
  );
  readonly #handshakes: Counter = this.#set.counter(
    "pilot_handshakes_total",
    "Tunnel handshakes (rekeys included) by our role and outcome; failed responder handshakes are drops.",
    ["role", "outcome"],
  );
  readonly #drops: Counter = this.#set.counter("pilot_drops_total", "Inputs dropped, by reason.", ["reason"]);
  readonly #connections: Gauge = this.#set.gauge("pilot_stream_connections", "Open stream connections.");
  readonly #retransmits: Counter = this.#set.counter(
    "pilot_stream_retransmits_total",
    "Stream segments retransmitted (SYN included).",
  );
  readonly #rtt: Histogram = this.#set.histogram(
    "pilot_stream_rtt_seconds",
    "Smoothed RTT of each stream connection, sampled once when it closes.",
    STREAM_RTT_BUCKETS_S,
  );
  readonly #registry: Gauge = this.#set.gauge("pilot_registry_connected", "1 while connected to the registry.");
  readonly #beacon: Gauge = this.#set.gauge("pilot_beacon_reachable", "1 while the beacon answers.");
  readonly #webhooks: Counter = this.#set.counter(
    "pilot_webhook_deliveries_total",
    "Webhook deliveries by outcome: delivered, failed (given up), dropped (queue full, oldest first).",
    ["outcome"],
  );
  readonly #webhookQueue: Gauge = this.#set.gauge("pilot_webhook_queue", "Webhook deliveries waiting to be sent.");
  /** Retransmits of connections already gone; live ones are added at scrape. */
  #closedRetransmits = 0;

  constructor(source: NodeMetricsSource) {
    this.#source = source;
    for (const direction of ["sent", "recv"]) {
      this.#bytes.inc({ direction }, 0);
      this.#packets.inc({ direction }, 0);
    }
    this.#handshakes.inc({ role: "initiator", outcome: "ok" }, 0);
    this.#handshakes.inc({ role: "initiator", outcome: "failed" }, 0);
    this.#handshakes.inc({ role: "responder", outcome: "ok" }, 0);
  }

  /** The tunnel's onEvent: a completed handshake (either role) or an initiator's failed one. */
  tunnelEvent(e: TunnelEvent): void {
    if (e.type === "established") {
      const role = this.#source.tunnel().sessionRole(e.peer);
      if (role !== null) this.#handshakes.inc({ role, outcome: "ok" });
    } else if (e.type === "handshake_failed") {
      // Only an initiator runs a handshake that can fail; a responder drops bad input (counted as a drop).
      this.#handshakes.inc({ role: "initiator", outcome: "failed" });
    }
  }

  /** The stream stack's onConnClosed: the connection's final stats. */
  connectionClosed(stats: ClosedConnStats): void {
    this.#closedRetransmits += stats.retransmits;
    if (stats.srtt_ms !== null && Number.isFinite(stats.srtt_ms)) this.#rtt.observe({}, stats.srtt_ms / 1000);
  }

  /** Reads the parts and returns the exposition text. */
  render(): string {
    const src = this.#source;
    const tunnel = src.tunnel();
    const rows = tunnel.peers();
    const t = this.#traffic.update(tunnel, rows);
    this.#bytes.advanceTo({ direction: "sent" }, t.bytesSent);
    this.#bytes.advanceTo({ direction: "recv" }, t.bytesRecv);
    this.#packets.advanceTo({ direction: "sent" }, t.pktsSent);
    this.#packets.advanceTo({ direction: "recv" }, t.pktsRecv);
    const live = rows.filter((p) => p.authenticated);
    this.#peers.set({ path: "direct" }, live.filter((p) => p.path === "direct").length);
    this.#peers.set({ path: "relay" }, live.filter((p) => p.path === "relay").length);
    const drops = new Map<string, number>();
    for (const [reason, n] of Object.entries(src.drops())) {
      const label = boundedLabel(reason);
      drops.set(label, (drops.get(label) ?? 0) + n);
    }
    for (const [reason, n] of drops) this.#drops.advanceTo({ reason }, n);
    const conns = src.connections();
    this.#connections.set({}, conns.length);
    let retransmits = this.#closedRetransmits;
    for (const c of conns) retransmits += c.stats().retransmits;
    this.#retransmits.advanceTo({}, retransmits);
    this.#registry.set({}, src.registryConnected() ? 1 : 0);
    this.#beacon.set({}, src.beaconReachable() ? 1 : 0);
    const hooks = src.webhooks?.() ?? null;
    if (hooks !== null) {
      this.#webhooks.advanceTo({ outcome: "delivered" }, hooks.delivered);
      this.#webhooks.advanceTo({ outcome: "failed" }, hooks.failed);
      this.#webhooks.advanceTo({ outcome: "dropped" }, hooks.dropped);
      this.#webhookQueue.set({}, hooks.queued);
    }
    return this.#set.render();
  }
}
