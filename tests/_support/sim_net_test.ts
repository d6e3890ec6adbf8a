import assert from "node:assert/strict";
import { Prng } from "./prng.ts";
import { SimClock } from "./sim_clock.ts";
import { type LinkConfig, SimNetwork } from "./sim_net.ts";

function twoHosts(ab: LinkConfig, ba: LinkConfig = ab, seed = 1) {
  const clock = new SimClock();
  const net = new SimNetwork(clock, new Prng(seed));
  net.setLink("a", "b", ab);
  net.setLink("b", "a", ba);
  const atB: { at: number; data: Uint8Array }[] = [];
  const atA: { at: number; data: Uint8Array }[] = [];
  const a = net.bind("a", 1, (data) => atA.push({ at: clock.monotonic(), data }));
  const b = net.bind("b", 1, (data) => atB.push({ at: clock.monotonic(), data }));
  return { clock, net, a, b, atA, atB };
}

const B = { hostname: "b", port: 1 };
const A = { hostname: "a", port: 1 };

Deno.test("SimNetwork delivers after the latency, preserving order under jitter", () => {
  const h = twoHosts({ latencyMs: 30, jitterMs: 10 });
  for (let i = 0; i < 100; i++) h.a.sendNow(Uint8Array.of(i), B);
  h.clock.run();
  assert.equal(h.atB.length, 100);
  assert.deepEqual(h.atB.map((d) => d.data[0]), [...Array(100).keys()]);
  assert.ok(h.atB.every((d) => d.at >= 30 && d.at <= 40));
});

Deno.test("SimNetwork loses about the configured fraction, per direction", () => {
  const h = twoHosts({ loss: 0.3 }, { loss: 0 });
  for (let i = 0; i < 10_000; i++) {
    h.a.sendNow(Uint8Array.of(1), B);
    h.b.sendNow(Uint8Array.of(1), A);
  }
  h.clock.run();
  assert.ok(Math.abs(h.atB.length - 7000) < 300, `delivered ${h.atB.length}`);
  assert.equal(h.atA.length, 10_000);
  assert.equal(h.net.stats.dropLoss, 10_000 - h.atB.length);
});

Deno.test("SimNetwork duplicates and reorders at the configured rates", () => {
  const dup = twoHosts({ duplicate: 0.2, latencyMs: 5 });
  for (let i = 0; i < 5000; i++) dup.a.sendNow(Uint8Array.of(1), B);
  dup.clock.run();
  assert.ok(Math.abs(dup.atB.length - 6000) < 250, `delivered ${dup.atB.length}`);
  const re = twoHosts({ reorder: 0.1, reorderDelayMs: 50, latencyMs: 5 });
  for (let i = 0; i < 1000; i++) re.clock.schedule(i, () => re.a.sendNow(Uint8Array.of(i & 0xff, i >> 8), B));
  re.clock.run();
  const order = re.atB.map((d) => d.data[0] | (d.data[1] << 8));
  let inversions = 0;
  for (let i = 1; i < order.length; i++) if (order[i] < order[i - 1]) inversions++;
  assert.ok(inversions > 50 && inversions < 150, `inversions ${inversions}`);
});

Deno.test("SimNetwork serialises at the link rate and tail-drops beyond the queue", () => {
  // 8 Mbit/s: a 1000-byte datagram takes 1 ms on the wire.
  const h = twoHosts({ bandwidthBps: 8_000_000, queueBytes: 10_000 });
  for (let i = 0; i < 20; i++) h.a.sendNow(new Uint8Array(1000), B);
  h.clock.run();
  assert.equal(h.atB.length, 10);
  assert.deepEqual(h.atB.map((d) => d.at), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  assert.equal(h.net.stats.dropQueue, 10);
});

Deno.test("SimNetwork drops everything sent during a blackout window", () => {
  const h = twoHosts({ blackouts: [{ fromMs: 100, toMs: 200 }] });
  for (let t = 0; t < 300; t += 10) h.clock.schedule(t, () => h.a.sendNow(Uint8Array.of(t / 10), B));
  h.clock.run();
  assert.equal(h.atB.length, 20);
  assert.equal(h.net.stats.dropBlackout, 10);
});

Deno.test("SimNetwork drop filters see each datagram and can be removed", () => {
  const h = twoHosts({});
  const remove = h.net.addDropFilter((data, from, to) => data[0] === 7 && from.hostname === "a" && to.hostname === "b");
  h.a.sendNow(Uint8Array.of(7), B);
  h.a.sendNow(Uint8Array.of(8), B);
  remove();
  h.a.sendNow(Uint8Array.of(7), B);
  h.clock.run();
  assert.deepEqual(h.atB.map((d) => d.data[0]), [8, 7]);
  assert.equal(h.net.stats.dropFilter, 1);
});

Deno.test("SimPacketConn.receive() queues datagrams and resolves null once closed", async () => {
  const clock = new SimClock();
  const net = new SimNetwork(clock, new Prng(3), { latencyMs: 1 });
  const a = net.bind("a", 0);
  const b = net.bind("b", 9);
  assert.ok(a.localAddr.port >= 49152);
  await a.send(Uint8Array.of(1, 2), b.localAddr);
  clock.run();
  const [data, from] = (await b.receive()) ?? [new Uint8Array(), A];
  assert.deepEqual([...data], [1, 2]);
  assert.deepEqual(from, a.localAddr);
  const waiting = b.receive();
  await b.close();
  assert.equal(await waiting, null);
  await assert.rejects(b.send(Uint8Array.of(1), a.localAddr));
  assert.throws(() => net.bind("a", a.localAddr.port));
  // A datagram to a closed or unbound port is counted and dropped.
  await a.send(Uint8Array.of(3), { hostname: "b", port: 9 });
  clock.run();
  assert.equal(net.stats.dropUnbound, 1);
});

Deno.test("SimNetwork is deterministic for a seed", () => {
  const run = (seed: number) => {
    const h = twoHosts({ loss: 0.2, jitterMs: 5, reorder: 0.1 }, {}, seed);
    for (let i = 0; i < 500; i++) h.a.sendNow(Uint8Array.of(i & 0xff), B);
    h.clock.run();
    return h.atB.map((d) => `${d.at}:${d.data[0]}`).join(",");
  };
  assert.equal(run(42), run(42));
  assert.notEqual(run(42), run(43));
});

Deno.test("SimNetwork middleboxes can rewrite addresses, like a NAT box, or drop", () => {
  const clock = new SimClock();
  const net = new SimNetwork(clock, new Prng(1), { latencyMs: 1 });
  const got: string[] = [];
  const inside = net.bind("10.0.0.2", 5000);
  net.bind("198.51.100.7", 3478, (data, from) => got.push(`${data[0]} from ${from.hostname}:${from.port}`));
  // Source NAT: 10.0.0.2:5000 appears as 203.0.113.1:40000.
  net.addMiddlebox((d) =>
    d.from.hostname === "10.0.0.2" ? { ...d, from: { hostname: "203.0.113.1", port: 40_000 } } : d
  );
  const removeDrop = net.addMiddlebox((d) => d.data[0] === 9 ? null : d);
  inside.sendNow(Uint8Array.of(1), { hostname: "198.51.100.7", port: 3478 });
  inside.sendNow(Uint8Array.of(9), { hostname: "198.51.100.7", port: 3478 });
  removeDrop();
  inside.sendNow(Uint8Array.of(9), { hostname: "198.51.100.7", port: 3478 });
  clock.run();
  assert.deepEqual(got, ["1 from 203.0.113.1:40000", "9 from 203.0.113.1:40000"]);
  assert.equal(net.stats.dropFilter, 1);
});
