// Web Streams over stream connections, datagrams and pings between two simulated nodes: packets go through the
// wire codec and the simulated network, received by an async PacketConn.receive() loop, all in virtual time.
import assert from "node:assert/strict";
import { Prng } from "../_support/prng.ts";
import { SimClock } from "../_support/sim_clock.ts";
import { type LinkConfig, SimNetwork } from "../_support/sim_net.ts";
import type { NetAddr } from "../../src/net/packet_conn.ts";
import { connStreams } from "../../src/transport/stream_adapter.ts";
import type { ReceivedDatagram } from "../../src/transport/datagram.ts";
import { PilotError } from "../../src/util/errors.ts";
import { SimNode } from "./sim_node.ts";
import { testData } from "./sim_pair.ts";

function world(link: LinkConfig = { latencyMs: 10 }) {
  const clock = new SimClock();
  const net = new SimNetwork(clock, new Prng(5), link);
  const routes = new Map<number, NetAddr>();
  const a = new SimNode(net, "a", 0x101, routes);
  const b = new SimNode(net, "b", 0x102, routes);
  a.trusted.add(b.addr.node);
  b.trusted.add(a.addr.node);
  return { clock, net, a, b };
}

/** Runs virtual time until `p` settles (bounded) and returns its value. */
async function settle<T>(clock: SimClock, p: Promise<T>, budgetMs = 600_000): Promise<T> {
  let outcome: { ok: true; value: T } | { ok: false; error: unknown } | null = null;
  p.then((value) => outcome = { ok: true, value }, (error) => outcome = { ok: false, error });
  await clock.runAsync({ until: () => outcome !== null, deadline: clock.monotonic() + budgetMs });
  const o = outcome as { ok: true; value: T } | { ok: false; error: unknown } | null;
  if (o === null) throw new Error("promise did not settle in virtual time");
  if (!o.ok) throw o.error;
  return o.value;
}

async function readAll(readable: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const chunk of readable) parts.push(chunk);
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

Deno.test("Web Streams: an echo over a lossy simulated link returns every byte", async () => {
  const w = world({ latencyMs: 10, jitterMs: 1, loss: 0.02 });
  const listener = w.b.stack.listen(7);
  const echo = (async () => {
    const c = await listener.accept();
    if (c === null) return;
    const s = connStreams(c);
    await s.readable.pipeTo(s.writable);
  })();
  const data = testData(200_000, 9);
  const run = (async () => {
    const c = await w.a.stack.dial(w.b.addr, 7);
    const s = connStreams(c);
    const writing = (async () => {
      const writer = s.writable.getWriter();
      for (let o = 0; o < data.length; o += 10_000) await writer.write(data.subarray(o, o + 10_000));
      await writer.close();
    })();
    const back = await readAll(s.readable);
    await writing;
    return back;
  })();
  const back = await settle(w.clock, run);
  await settle(w.clock, echo);
  assert.deepEqual(back, data);
  await w.a.close();
  await w.b.close();
});

Deno.test("Web Streams: a reader that does not read stalls the writer (backpressure), then it completes", async () => {
  const w = world();
  const listener = w.b.stack.listen(1000);
  const client = await settle(w.clock, w.a.stack.dial(w.b.addr, 1000));
  const server = await settle(w.clock, listener.accept());
  assert.ok(server !== null);
  const writer = connStreams(client).writable.getWriter();
  const total = 8 * 1024 * 1024;
  let accepted = 0;
  const writing = (async () => {
    const chunk = new Uint8Array(64 * 1024);
    while (accepted < total) {
      await writer.write(chunk);
      accepted += chunk.length;
    }
    await writer.close();
  })();
  await w.clock.runAsync({ deadline: w.clock.monotonic() + 30_000 });
  // Send buffer (1 MiB) + receive buffer (2 MiB) hold the data the reader has not taken, plus a chunk or two.
  assert.ok(accepted < 4 * 1024 * 1024, `writer got ${accepted} bytes ahead`);
  assert.ok(accepted > 2 * 1024 * 1024, `writer got only ${accepted} bytes through`);
  assert.equal(server.stats().recv_win, 0);
  const got = await settle(w.clock, readAll(connStreams(server).readable));
  await settle(w.clock, writing);
  assert.equal(got.length, total);
  await w.a.close();
  await w.b.close();
});

Deno.test("datagrams cross the simulated network; an oversized one fails with too_large", async () => {
  const w = world();
  const got: ReceivedDatagram[] = [];
  w.b.dgram.bind(5000, (d) => got.push(d));
  const s = w.a.dgram.bind(0, () => {});
  s.sendTo(w.b.addr, 5000, new TextEncoder().encode("hi"));
  assert.throws(() => s.sendTo(w.b.addr, 5000, new Uint8Array(1153)), (e: PilotError) => e.detail === "too_large");
  await w.clock.runAsync({ deadline: w.clock.monotonic() + 1000 });
  assert.equal(got.length, 1);
  assert.equal(new TextDecoder().decode(got[0].payload), "hi");
  await w.a.close();
  await w.b.close();
});

Deno.test("a control ping measures the round trip over the simulated network", async () => {
  const w = world({ latencyMs: 15 });
  const r = await settle(w.clock, w.a.ping.ping(w.b.addr, Uint8Array.of(1, 2)));
  assert.equal(r.rttMs, 30);
  assert.equal(r.bytes, 2);
  await w.a.close();
  await w.b.close();
});
