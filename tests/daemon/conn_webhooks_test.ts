// Connection and security webhooks (PROTOCOL-BRIEF §9.5): how a connection's end maps to an event, the payload of
// `conn.*`, and `security.*` at most once per (event, peer) every 10 s from a bounded table.
import assert from "node:assert/strict";
import { connWebhook, SECURITY_EVENT_INTERVAL_MS, SecurityWebhooks } from "../../src/daemon/conn_webhooks.ts";
import { connEventOf, StreamStack, type TimerSource } from "../../src/transport/mod.ts";
import { ManualClock } from "../../src/util/clock.ts";

Deno.test("connEventOf(): FIN, either reset, the retransmission give-up and the idle timeout; a failed dial is none", () => {
  assert.equal(connEventOf({ kind: "normal" }), "fin");
  assert.equal(connEventOf({ kind: "reset", rst: 2 }), "rst");
  assert.equal(connEventOf({ kind: "reset", rst: null }), "rst");
  assert.equal(connEventOf({ kind: "aborted", rst: 4 }), "rst");
  assert.equal(connEventOf({ kind: "timeout", detail: "retransmit" }), "rst");
  assert.equal(connEventOf({ kind: "timeout", detail: "idle" }), "idle_timeout");
  assert.equal(connEventOf({ kind: "timeout", detail: "dial" }), null);
  assert.equal(connEventOf(null), null);
});

Deno.test("security webhooks: once per event and peer in 10 s, then again; other peers and events are separate", () => {
  const clock = new ManualClock();
  const sent: [string, unknown][] = [];
  const security = new SecurityWebhooks((event, data) => sent.push([event, data]), clock);
  for (let i = 0; i < 5; i++) security.report("untrusted_dropped", 0x102);
  security.report("untrusted_dropped", 0x103);
  security.report("syn_rate_limited", 0x102);
  assert.deepEqual(sent, [
    ["security.untrusted_dropped", { peer_node_id: 0x102, reason: "untrusted" }],
    ["security.untrusted_dropped", { peer_node_id: 0x103, reason: "untrusted" }],
    ["security.syn_rate_limited", { peer_node_id: 0x102, reason: "syn_rate" }],
  ]);
  clock.advance(SECURITY_EVENT_INTERVAL_MS - 1);
  security.report("untrusted_dropped", 0x102);
  assert.equal(sent.length, 3);
  clock.advance(1);
  security.report("untrusted_dropped", 0x102);
  assert.equal(sent.length, 4);
});

Deno.test("security webhooks: a flood of distinct peers keeps the table bounded and every first report goes out", () => {
  const clock = new ManualClock();
  let count = 0;
  const security = new SecurityWebhooks(() => count++, clock);
  for (let peer = 0x100; peer < 0x100 + 5_000; peer++) security.report("untrusted_dropped", peer);
  assert.equal(count, 5_000);
  // The oldest peers were forgotten: reported again at once; the newest are still within their window.
  security.report("untrusted_dropped", 0x100);
  security.report("untrusted_dropped", 0x100 + 4_999);
  assert.equal(count, 5_001);
});

Deno.test("conn.* payload: remote address and port, local port, connection id; stack hooks fire for a passive open", () => {
  const clock = new ManualClock();
  const noTimers: TimerSource = { schedule: () => ({}), cancel: () => {} };
  const events: string[] = [];
  const payloads: Record<string, unknown>[] = [];
  const limited: number[] = [];
  const stack = new StreamStack({
    clock,
    timers: noTimers,
    localNode: 0x101,
    output: () => {},
    isTrusted: () => true,
    onConnEvent: (event, sc) => {
      events.push(event);
      connWebhook((e, data) => payloads.push({ e, ...data }), event, sc);
    },
    onSynRateLimited: (peer) => limited.push(peer.node),
  });
  stack.listen(7);
  const syn = (srcPort: number) => ({
    version: 1,
    flags: 0x1,
    proto: 0x01,
    src: { network: 0, node: 0x102 },
    dst: { network: 0, node: 0x101 },
    srcPort,
    dstPort: 7,
    seq: 1000,
    ack: 0,
    window: 100,
    payload: Uint8Array.of(0x01, 0x02, 0x04, 0x80),
  });
  stack.handle(syn(50_000));
  assert.deepEqual(events, ["syn_received"]);
  assert.deepEqual(payloads[0], {
    e: "conn.syn_received",
    remote_addr: "0:0000.0000.0102",
    remote_port: 50_000,
    local_port: 7,
    conn_id: payloads[0].conn_id,
  });
  assert.equal(typeof payloads[0].conn_id, "number");
  // More SYNs from the same peer within a second than §10 allows: refused, and reported.
  for (let port = 50_001; port < 50_040; port++) stack.handle(syn(port));
  assert.ok(limited.length > 0 && limited.every((n) => n === 0x102));
});
