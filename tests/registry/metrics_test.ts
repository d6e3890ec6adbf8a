// RegistryMetrics (src/registry/metrics.ts): requests by type and outcome with latency, drops under both names,
// connection counters, store gauges at scrape, and labels that can never carry an identifier.
import assert from "node:assert/strict";
import { DROP_CONN_LIMIT, RegistryMetrics } from "../../src/registry/metrics.ts";
import type { StoreCounts } from "../../src/registry/store.ts";
import { parseExposition } from "./_metrics_parser.ts";

const COUNTS: StoreCounts = { nodes: 5, online: 3, mutualTrustLinks: 2, tags: 4, networks: 1 };

Deno.test("RegistryMetrics renders every family as strict exposition text with the store gauges", () => {
  const m = new RegistryMetrics();
  m.request("register", "ok", 2);
  m.request("lookup", "not_found", 0.3);
  m.beaconMessage("discover");
  m.connectionOpened();
  const e = parseExposition(m.render(COUNTS, 4));
  assert.equal(e.value("pilot_registry_requests_total", { type: "register", outcome: "ok" }), 1);
  assert.equal(e.value("pilot_registry_requests_total", { type: "lookup", outcome: "not_found" }), 1);
  assert.equal(e.value("pilot_registry_nodes"), 5);
  assert.equal(e.value("pilot_registry_online_nodes"), 3);
  assert.equal(e.value("pilot_registry_trust_links"), 2);
  assert.equal(e.value("pilot_registry_networks"), 1);
  assert.equal(e.value("pilot_beacon_registrations"), 4);
  assert.equal(e.value("pilot_beacon_messages_total", { type: "discover" }), 1);
  assert.equal(e.value("pilot_registry_connections_total"), 1);
  assert.equal(e.value("pilot_registry_connections_rejected_total"), 0);
  for (const name of ["pilot_registry_request_duration_seconds", "pilot_registry_drops_total", "pilot_drops_total"]) {
    assert.ok(e.families.has(name), name);
  }
});

Deno.test("request latency lands in the histogram of its type, in seconds", () => {
  const m = new RegistryMetrics();
  m.request("register", "ok", 2);
  m.request("register", "rate_limited", 30);
  m.request("hello", "ok");
  const e = parseExposition(m.render(COUNTS, null));
  assert.equal(e.value("pilot_registry_request_duration_seconds_bucket", { type: "register", le: "0.0025" }), 1);
  assert.equal(e.value("pilot_registry_request_duration_seconds_bucket", { type: "register", le: "0.05" }), 2);
  assert.equal(e.value("pilot_registry_request_duration_seconds_count", { type: "register" }), 2);
  assert.equal(e.value("pilot_registry_request_duration_seconds_sum", { type: "register" }), 0.032);
  assert.equal(e.value("pilot_registry_request_duration_seconds_count", { type: "hello" }), undefined);
  assert.deepEqual(m.requestDurations("register"), { count: 2, sum: 0.032 });
});

Deno.test("a drop counts under pilot_registry_drops_total and pilot_drops_total alike", () => {
  const m = new RegistryMetrics();
  m.drop("relay_spoof");
  m.drop("relay_spoof");
  m.connectionRejected();
  const e = parseExposition(m.render(null, null));
  for (const name of ["pilot_registry_drops_total", "pilot_drops_total"]) {
    assert.equal(e.value(name, { reason: "relay_spoof" }), 2);
    assert.equal(e.value(name, { reason: DROP_CONN_LIMIT }), 1);
  }
  assert.equal(e.value("pilot_registry_connections_rejected_total"), 1);
  assert.equal(m.drops("relay_spoof"), 2);
});

Deno.test("store and beacon gauges are absent when their source is unavailable, never a false 0", () => {
  const m = new RegistryMetrics();
  m.render(COUNTS, 1);
  const e = parseExposition(m.render(null, null));
  assert.equal(e.value("pilot_registry_nodes"), undefined);
  assert.equal(e.value("pilot_beacon_registrations"), undefined);
});

Deno.test("identifiers passed as a type, outcome or reason are folded into other", () => {
  const m = new RegistryMetrics();
  const hostile = ["0:0000.0000.0100", "alice@example.com", "127.0.0.1:9000", 'x"} 1\nfake 2', "AAAA+/=="];
  for (const v of hostile) {
    m.request(v, v, 1);
    m.drop(v);
    m.beaconMessage(v);
  }
  const text = m.render(COUNTS, 0);
  const e = parseExposition(text);
  for (const v of e.labelValues()) assert.ok(v === "other" || /^(\+Inf|[\d.]+)$/.test(v), v);
  for (const v of hostile) assert.ok(!text.includes(v), v);
  assert.equal(m.requests("other", "other"), hostile.length);
});
