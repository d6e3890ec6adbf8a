// §7.7: with Nagle and a ≤ 5 ms delayed ACK, a small request written in two pieces waits at most one RTT + 5 ms
// before its second piece may go; without Nagle both pieces go at once. Virtual time over the simulated network.
import assert from "node:assert/strict";
import { SimPair } from "./sim_pair.ts";
import { PROTO_STREAM } from "../../src/wire/mod.ts";

const ONE_WAY_MS = 20;
const RTT_MS = 2 * ONE_WAY_MS;
const DELAYED_ACK_MS = 5;
const enc = new TextEncoder();

function request(nodelay: boolean) {
  const pair = new SimPair({ seed: 1, link: { latencyMs: ONE_WAY_MS }, client: { nodelay } });
  pair.traceEnabled = true;
  pair.connect();
  pair.run(() => pair.client.state === "ESTABLISHED" && pair.server.state === "ESTABLISHED", 5000);
  // Let the handshake's ACK settle so nothing else is in flight.
  pair.clock.advance(100);
  const start = pair.clock.monotonic();
  const full = "GET /status HTTP/1.1\r\n\r\n";
  let completeAt = -1;
  pair.server.onData = () => {
    if (new TextDecoder().decode(pair.server.received()) === full) completeAt = pair.clock.monotonic();
  };
  pair.client.driver?.run((c) => c.write(enc.encode("GET /status")));
  pair.client.driver?.run((c) => c.write(enc.encode(" HTTP/1.1\r\n\r\n")));
  pair.run(() => completeAt >= 0, 5000);
  const dataSends = pair.sent.filter((e) =>
    e.dir === "ab" && e.packet.proto === PROTO_STREAM && e.packet.payload.length > 0 && e.at >= start
  );
  return { start, completeAt, dataSends };
}

Deno.test("with Nagle, the second piece of a request waits at most one RTT + 5 ms", () => {
  const r = request(false);
  assert.equal(r.dataSends.length, 2);
  const wait = r.dataSends[1].at - r.dataSends[0].at;
  // It waits for the ACK of the first piece, which the server delays by its 5 ms timer: exactly RTT + 5 ms here.
  assert.ok(wait > RTT_MS && wait <= RTT_MS + DELAYED_ACK_MS, `second piece waited ${wait} ms`);
  assert.ok(
    r.completeAt - r.start <= RTT_MS + DELAYED_ACK_MS + ONE_WAY_MS,
    `request took ${r.completeAt - r.start} ms`,
  );
});

Deno.test("with nodelay, both pieces of a request leave at once", () => {
  const r = request(true);
  assert.equal(r.dataSends.length, 2);
  assert.equal(r.dataSends[1].at, r.dataSends[0].at);
  assert.equal(r.completeAt - r.start, ONE_WAY_MS);
});
