// The registry's `--metrics` endpoint over real loopback sockets: a few registrations, a mutual trust link, a bad
// beacon datagram and an oversized frame move the counters and gauges; the text parses strictly and carries no
// identifier of any node (ids, addresses, keys, hostnames, e-mails, endpoints).
import assert from "node:assert/strict";
import { generateIdentity } from "../../src/crypto/identity.ts";
import type { RegistryClient } from "../../src/registry/client.ts";
import { toBase64, toHex, u32be } from "../../src/util/bytes.ts";
import { connectClient, RawConn, startTestRegistry, UdpPeer } from "./int_helpers.ts";
import { type Exposition, parseExposition } from "./_metrics_parser.ts";

async function scrape(url: string): Promise<{ text: string; e: Exposition }> {
  const res = await fetch(url);
  assert.equal(res.status, 200);
  assert.match(res.headers.get("content-type") ?? "", /^text\/plain; version=0\.0\.4/);
  const text = await res.text();
  return { text, e: parseExposition(text) };
}

/** Scrapes until `check` holds (bounded: 50 tries, 5 s). */
async function scrapeUntil(url: string, check: (e: Exposition) => boolean): Promise<{ text: string; e: Exposition }> {
  const deadline = Date.now() + 5_000;
  for (let i = 0; i < 50; i++) {
    const got = await scrape(url);
    if (check(got.e) || Date.now() > deadline) return got;
    await new Promise((r) => setTimeout(r, 20 * (i + 1)));
  }
  return await scrape(url);
}

Deno.test("registry /metrics counts registrations, trust, latency and drops without exposing any identifier", async () => {
  await using reg = await startTestRegistry({ metricsListen: "127.0.0.1:0" });
  const url = reg.readyData().metrics!;
  const before = await scrape(url);
  assert.equal(before.e.value("pilot_registry_nodes"), 0);

  const names = ["metrics-alice", "metrics-bob", "metrics-carol"];
  const nodes: { client: RegistryClient; nodeId: number; address: string; key: string; email: string }[] = [];
  try {
    for (const hostname of names) {
      const identity = generateIdentity();
      const client = await connectClient(reg);
      const email = `${hostname}@example.com`;
      const ok = await client.register(identity, { listenPort: 4000, hostname, owner: email, public: true });
      nodes.push({ client, nodeId: ok.node_id, address: ok.address, key: toBase64(identity.publicKey), email });
    }
    const [a, b] = nodes;
    await a.client.reportTrust(b.nodeId);
    assert.equal((await b.client.reportTrust(a.nodeId)).mutual, true);

    const udp = new UdpPeer();
    try {
      await udp.send(new Uint8Array([0x0a, 0, 0, 0, 0]), reg.beaconAddr!.port);
    } finally {
      udp.close();
    }
    const raw = await RawConn.open(reg);
    try {
      await raw.write(u32be(0xffff_ffff));
      assert.equal((await raw.next())?.code, "frame_too_large");
    } finally {
      raw.close();
    }

    const { text, e } = await scrapeUntil(
      url,
      (x) => (x.value("pilot_drops_total", { reason: "beacon_bad_type" }) ?? 0) > 0,
    );
    assert.equal(e.value("pilot_registry_requests_total", { type: "register", outcome: "ok" }), 3);
    assert.equal(e.value("pilot_registry_requests_total", { type: "report_trust", outcome: "ok" }), 2);
    assert.equal(e.value("pilot_registry_request_duration_seconds_count", { type: "register" }), 3);
    assert.ok(e.value("pilot_registry_request_duration_seconds_sum", { type: "register" })! > 0);
    assert.equal(e.value("pilot_registry_nodes"), 3);
    assert.equal(e.value("pilot_registry_online_nodes"), 3);
    assert.equal(e.value("pilot_registry_trust_links"), 1);
    assert.equal(e.value("pilot_registry_drops_total", { reason: "beacon_bad_type" }), 1);
    assert.equal(e.value("pilot_registry_drops_total", { reason: "frame_too_large" }), 1);
    assert.equal(e.value("pilot_drops_total", { reason: "frame_too_large" }), 1);
    assert.ok(e.value("pilot_registry_connections_total")! >= 4);

    const secrets = nodes.flatMap((n) => [n.address, n.key, n.email]);
    secrets.push(...names, "127.0.0.1", "example.com");
    for (const s of secrets) assert.ok(!text.includes(s), `metrics text contains ${s}`);
    // A node id in hex ("00000101") also occurs inside small sample values (a latency sum of 0.000001012 s): look for
    // it as a token of its own, not as digits of a number.
    for (const n of nodes) {
      const hex = toHex(u32be(n.nodeId));
      assert.ok(!new RegExp(`(?<![0-9a-f.])${hex}(?![0-9a-f])`).test(text), `metrics text contains ${hex}`);
    }
    const ids = new Set(nodes.map((n) => String(n.nodeId)));
    for (const v of e.labelValues()) assert.ok(!ids.has(v), `label value ${v} is a node id`);
  } finally {
    for (const n of nodes) await n.client.close();
  }
});
