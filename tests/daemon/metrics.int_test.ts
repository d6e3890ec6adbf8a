// The daemon's `--metrics` endpoint on two in-process nodes with real UDP on 127.0.0.1: a control ping and an echo
// stream move peers, traffic, handshakes, connections and the RTT histogram; a garbage datagram moves a drop; the
// registry and beacon gauges read 1; the text parses strictly and names no node (ids, addresses, keys, hostnames,
// e-mails, endpoints).
import assert from "node:assert/strict";
import { toBase64 } from "../../src/util/bytes.ts";
import { type Exposition, parseExposition } from "../registry/_metrics_parser.ts";
import { eventually } from "./_cluster.ts";
import { cluster, makeTrust, type Member, randomData, readAll, writeAll } from "./_pair.ts";

async function scrape(m: Member): Promise<{ text: string; e: Exposition }> {
  const url = m.node.parts.metrics?.url;
  assert.ok(url !== undefined, "metrics endpoint running");
  const res = await fetch(url);
  assert.equal(res.status, 200);
  const text = await res.text();
  return { text, e: parseExposition(text) };
}

/** Scrapes until `check` holds (bounded by eventually()). */
function scrapeUntil(m: Member, check: (e: Exposition) => boolean): Promise<{ text: string; e: Exposition }> {
  return eventually(async () => {
    const got = await scrape(m);
    return check(got.e) ? got : null;
  }, 5_000);
}

const value = (e: Exposition, name: string, labels: Record<string, string> = {}) => e.value(name, labels) ?? NaN;

Deno.test("daemon /metrics moves with a ping and a stream and never names a node", async () => {
  await using c = await cluster(["alice", "bob"], { extraConfig: { metrics: "127.0.0.1:0" } });
  const [a, b] = c.members;
  const idle = await scrapeUntil(a, (e) => e.value("pilot_beacon_reachable") === 1);
  assert.equal(value(idle.e, "pilot_registry_connected"), 1);
  assert.equal(value(idle.e, "pilot_peers", { path: "direct" }), 0);
  assert.equal(value(idle.e, "pilot_tunnel_bytes_total", { direction: "sent" }), 0);

  await makeTrust(a, b);
  await a.node.parts.plane.ping.ping({ network: 0, node: b.node.nodeId });
  // The trust exchange ran over port 444 streams, which may still be closing: count from here.
  const rttBefore = value((await scrape(b)).e, "pilot_stream_rtt_seconds_count");
  const stream = await a.client.dialStream({ addr: b.node.address, port: 7 });
  const payload = randomData(100_000);
  const [, echoed] = await Promise.all([writeAll(stream, payload), readAll(stream)]);
  assert.equal(echoed.length, payload.length);

  // Bob is the echo side and closes second, without TIME_WAIT: its RTT sample arrives at once.
  const bobs = await scrapeUntil(b, (e) => value(e, "pilot_stream_rtt_seconds_count") > rttBefore);
  const alices = await scrape(a);
  for (const [who, e] of [["alice", alices.e], ["bob", bobs.e]] as const) {
    assert.equal(value(e, "pilot_peers", { path: "direct" }), 1, who);
    assert.ok(value(e, "pilot_tunnel_bytes_total", { direction: "sent" }) >= payload.length, who);
    assert.ok(value(e, "pilot_tunnel_bytes_total", { direction: "recv" }) >= payload.length, who);
    // Few packets on loopback: the probed path carries 64 KiB datagrams and ACKs are coalesced; the handshake, the
    // trust exchange, the ping and the echo still make several each way (the idle scrape above read zero bytes).
    assert.ok(value(e, "pilot_tunnel_packets_total", { direction: "sent" }) >= 4, who);
    assert.ok(value(e, "pilot_tunnel_packets_total", { direction: "recv" }) >= 4, who);
  }
  const initiated = (e: Exposition) => value(e, "pilot_handshakes_total", { role: "initiator", outcome: "ok" });
  const answered = (e: Exposition) => value(e, "pilot_handshakes_total", { role: "responder", outcome: "ok" });
  assert.ok(initiated(alices.e) + initiated(bobs.e) >= 1);
  assert.equal(initiated(alices.e) + initiated(bobs.e), answered(alices.e) + answered(bobs.e));
  assert.ok(value(bobs.e, "pilot_stream_rtt_seconds_sum") > 0);
  assert.ok(value(bobs.e, "pilot_stream_rtt_seconds_bucket", { le: "0.5" }) > rttBefore, "a loopback RTT is small");

  // A datagram that is no frame at all: dropped and counted by the tunnel.
  const udp = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  try {
    await udp.send(new TextEncoder().encode("XXXXnot a frame"), {
      transport: "udp",
      hostname: "127.0.0.1",
      port: b.node.parts.plane.localAddr.port,
    });
  } finally {
    udp.close();
  }
  const dropped = await scrapeUntil(b, (e) => (e.value("pilot_drops_total", { reason: "bad_magic" }) ?? 0) >= 1);
  assert.ok(
    value(dropped.e, "pilot_tunnel_bytes_total", { direction: "sent" }) >=
      value(bobs.e, "pilot_tunnel_bytes_total", { direction: "sent" }),
  );

  for (const [m, text, e] of [[a, alices.text, alices.e], [b, dropped.text, dropped.e]] as const) {
    const info = await m.client.request("info");
    const secrets = [
      m.node.address,
      String(info.public_key),
      toBase64(m.node.parts.state.identity.publicKey),
      "127.0.0.1",
    ];
    secrets.push(a.node.address, b.node.address);
    for (const s of secrets) assert.ok(!text.includes(s), `metrics of ${m.name} contain ${s}`);
    const ids = new Set([a.node.nodeId, b.node.nodeId].map(String));
    for (const v of e.labelValues()) assert.ok(!ids.has(v), `label value ${v} is a node id`);
    assert.ok(e.labelValues().every((v) => /^(?:[a-z0-9_]+|\+Inf|[\d.]+)$/.test(v)), "labels are plain words");
  }
});

Deno.test("daemon metrics endpoint answers 404 outside /metrics", async () => {
  await using c = await cluster(["alice"], { extraConfig: { metrics: "127.0.0.1:0" } });
  const url = new URL(c.members[0].node.parts.metrics!.url);
  const res = await fetch(new URL("/other", url));
  assert.equal(res.status, 404);
  await res.body?.cancel();
});
