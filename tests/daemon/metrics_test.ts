// NodeMetrics and TrafficTotals (src/daemon/metrics_node.ts, metrics_traffic.ts) against fake parts: counters that
// never go down across peer recycling and tunnel replacement, handshakes by role and outcome, the RTT histogram and
// retransmits from closed connections, drops from every source, and strict exposition text.
import assert from "node:assert/strict";
import {
  type ClosedConnStats,
  NodeMetrics,
  type NodeMetricsSource,
  type WebhookTotals,
} from "../../src/daemon/metrics_node.ts";
import { TRAFFIC_PEERS_MAX, TrafficTotals } from "../../src/daemon/metrics_traffic.ts";
import type { KeysetRole, PeerInfo } from "../../src/tunnel/mod.ts";
import { parseExposition } from "../registry/_metrics_parser.ts";

function row(node: number, bytes: number, extra: Partial<PeerInfo> = {}): PeerInfo {
  return {
    node_id: node,
    endpoint: null,
    path: "direct",
    encrypted: true,
    authenticated: true,
    last_seen_ms: null,
    bytes_sent: bytes,
    bytes_recv: 2 * bytes,
    pkts_sent: bytes / 10,
    pkts_recv: bytes / 5,
    ...extra,
  };
}

class FakeParts implements NodeMetricsSource {
  rows: PeerInfo[] = [];
  roles = new Map<number, KeysetRole>();
  conns: ClosedConnStats[] = [];
  dropCounts: Record<string, number> = {};
  registry = true;
  beacon = false;
  hooks: WebhookTotals | null = null;
  /** Stable like the daemon's tunnel: TrafficTotals tells a replacement by identity. */
  readonly #tunnel = {
    peers: () => this.rows,
    sessionRole: (peer: number) => this.roles.get(peer) ?? null,
  };

  tunnel() {
    return this.#tunnel;
  }
  connections() {
    return this.conns.map((s) => ({ stats: () => s }));
  }
  drops() {
    return this.dropCounts;
  }
  registryConnected() {
    return this.registry;
  }
  beaconReachable() {
    return this.beacon;
  }
  webhooks() {
    return this.hooks;
  }
}

Deno.test("TrafficTotals adds per-peer growth and keeps counting when a peer row goes and comes back", () => {
  const t = new TrafficTotals();
  const tunnel = {};
  assert.equal(t.update(tunnel, [row(1, 100), row(2, 200)]).bytesSent, 300);
  assert.equal(t.update(tunnel, [row(1, 150)]).bytesSent, 350);
  const again = t.update(tunnel, [row(1, 150), row(2, 260)]);
  assert.deepEqual(again, { bytesSent: 410, bytesRecv: 820, pktsSent: 41, pktsRecv: 82 });
});

Deno.test("TrafficTotals never decreases when a peer entry restarts or the tunnel is replaced", () => {
  const t = new TrafficTotals();
  const first = {};
  t.update(first, [row(1, 1000)]);
  assert.equal(t.update(first, [row(1, 300)]).bytesSent, 1300, "a recycled entry restarts from 0");
  const second = {};
  assert.equal(t.update(second, [row(1, 200)]).bytesSent, 1500, "a new tunnel counts from 0");
  assert.equal(t.update(second, [row(1, 250)]).bytesSent, 1550);
});

Deno.test("TrafficTotals forgets the least recently seen peer past TRAFFIC_PEERS_MAX", () => {
  const t = new TrafficTotals();
  const tunnel = {};
  const rows = Array.from({ length: TRAFFIC_PEERS_MAX + 1 }, (_, i) => row(i + 1, 100));
  assert.equal(t.update(tunnel, rows).bytesSent, 100 * rows.length);
  // Peer 1 was forgotten: its unchanged 100 bytes count again; a remembered peer's do not.
  assert.equal(t.update(tunnel, [row(1, 100), row(2, 100)]).bytesSent, 100 * rows.length + 100);
});

Deno.test("NodeMetrics counts handshakes by the role of the new keyset and failures as initiator", () => {
  const parts = new FakeParts();
  const m = new NodeMetrics(parts);
  parts.roles.set(7, "initiator");
  parts.roles.set(8, "responder");
  m.tunnelEvent({ type: "established", peer: 7, path: "direct", rekeyed: false });
  m.tunnelEvent({ type: "established", peer: 7, path: "direct", rekeyed: true });
  m.tunnelEvent({ type: "established", peer: 8, path: "relay", rekeyed: false });
  m.tunnelEvent({ type: "handshake_failed", peer: 9 });
  m.tunnelEvent({ type: "path_changed", peer: 7, path: "relay", endpoint: null });
  const e = parseExposition(m.render());
  assert.equal(e.value("pilot_handshakes_total", { role: "initiator", outcome: "ok" }), 2);
  assert.equal(e.value("pilot_handshakes_total", { role: "responder", outcome: "ok" }), 1);
  assert.equal(e.value("pilot_handshakes_total", { role: "initiator", outcome: "failed" }), 1);
});

Deno.test("NodeMetrics samples the RTT of each closed connection once and keeps retransmits monotonic", () => {
  const parts = new FakeParts();
  const m = new NodeMetrics(parts);
  const live = { srtt_ms: 40, retransmits: 3 };
  parts.conns = [live];
  let e = parseExposition(m.render());
  assert.equal(e.value("pilot_stream_connections"), 1);
  assert.equal(e.value("pilot_stream_retransmits_total"), 3);
  assert.equal(e.value("pilot_stream_rtt_seconds_count"), 0);
  // It closes with two more retransmits; another closes before measuring any RTT.
  parts.conns = [];
  m.connectionClosed({ srtt_ms: 40, retransmits: 5 });
  m.connectionClosed({ srtt_ms: null, retransmits: 1 });
  e = parseExposition(m.render());
  assert.equal(e.value("pilot_stream_connections"), 0);
  assert.equal(e.value("pilot_stream_retransmits_total"), 6);
  assert.equal(e.value("pilot_stream_rtt_seconds_count"), 1);
  assert.equal(e.value("pilot_stream_rtt_seconds_sum"), 0.04);
  assert.equal(e.value("pilot_stream_rtt_seconds_bucket", { le: "0.025" }), 0);
  assert.equal(e.value("pilot_stream_rtt_seconds_bucket", { le: "0.05" }), 1);
});

Deno.test("NodeMetrics renders peers by path, traffic, drops and reachability as strict text", () => {
  const parts = new FakeParts();
  const m = new NodeMetrics(parts);
  parts.rows = [
    row(1, 100),
    row(2, 200, { path: "relay" }),
    row(3, 0, { authenticated: false }),
    row(4, 0, { path: null }),
  ];
  parts.dropCounts = { bad_magic: 2, untrusted: 1, "Weird Label": 1, other: 1 };
  const e = parseExposition(m.render());
  assert.equal(e.value("pilot_peers", { path: "direct" }), 1);
  assert.equal(e.value("pilot_peers", { path: "relay" }), 1);
  assert.equal(e.value("pilot_tunnel_bytes_total", { direction: "sent" }), 300);
  assert.equal(e.value("pilot_tunnel_bytes_total", { direction: "recv" }), 600);
  assert.equal(e.value("pilot_tunnel_packets_total", { direction: "sent" }), 30);
  assert.equal(e.value("pilot_drops_total", { reason: "bad_magic" }), 2);
  assert.equal(e.value("pilot_drops_total", { reason: "other" }), 2);
  assert.equal(e.value("pilot_registry_connected"), 1);
  assert.equal(e.value("pilot_beacon_reachable"), 0);
  parts.rows = [];
  const later = parseExposition(m.render());
  assert.equal(later.value("pilot_tunnel_bytes_total", { direction: "sent" }), 300, "peers gone: the total stays");
  assert.equal(later.value("pilot_peers", { path: "direct" }), 0);
});

Deno.test("NodeMetrics starts with every fixed series at 0 before any traffic", () => {
  const e = parseExposition(new NodeMetrics(new FakeParts()).render());
  for (const direction of ["sent", "recv"]) {
    assert.equal(e.value("pilot_tunnel_bytes_total", { direction }), 0);
    assert.equal(e.value("pilot_tunnel_packets_total", { direction }), 0);
  }
  assert.equal(e.value("pilot_handshakes_total", { role: "initiator", outcome: "failed" }), 0);
  assert.equal(e.value("pilot_stream_retransmits_total"), 0);
  assert.deepEqual(e.families.get("pilot_drops_total")?.samples, []);
});

Deno.test("NodeMetrics exports the webhook dispatcher's delivered, failed and dropped totals and its queue", () => {
  const parts = new FakeParts();
  const m = new NodeMetrics(parts);
  assert.equal(parseExposition(m.render()).value("pilot_webhook_queue"), undefined, "no services yet: no series");
  parts.hooks = { queued: 3, delivered: 10, failed: 1, dropped: 4 };
  const e = parseExposition(m.render());
  assert.equal(e.value("pilot_webhook_deliveries_total", { outcome: "delivered" }), 10);
  assert.equal(e.value("pilot_webhook_deliveries_total", { outcome: "failed" }), 1);
  assert.equal(e.value("pilot_webhook_deliveries_total", { outcome: "dropped" }), 4);
  assert.equal(e.value("pilot_webhook_queue"), 3);
});
