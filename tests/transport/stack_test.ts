import assert from "node:assert/strict";
import { SimClock } from "../_support/sim_clock.ts";
import { StreamStack, type StreamStackDeps } from "../../src/transport/stack.ts";
import { A, B, type Net, net, settle } from "./stack_pair.ts";
import { RST_LIMIT, RST_NO_CONNECTION, RST_NO_LISTENER, RST_NOT_TRUSTED } from "../../src/transport/rst.ts";
import { PilotError } from "../../src/util/errors.ts";
import {
  type Addr,
  FLAG_ACK,
  FLAG_RST,
  FLAG_SYN,
  type Packet,
  PROTO_STREAM,
  WIRE_VERSION,
} from "../../src/wire/mod.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

async function dialError(n: Net, port: number): Promise<PilotError> {
  try {
    await settle(n.clock, n.a.dial(B, port));
  } catch (err) {
    assert.ok(err instanceof PilotError, String(err));
    return err;
  }
  throw new Error("dial unexpectedly succeeded");
}

Deno.test("StreamStack: dial, accept, exchange data both ways, close", async () => {
  const n = net();
  const l = n.b.listen(1001);
  const dialing = n.a.dial(B, 1001);
  const server = await settle(n.clock, l.accept());
  const client = await settle(n.clock, dialing);
  assert.ok(server !== null);
  assert.ok(client.conn.local.port >= 49152 && client.conn.local.port <= 65535);
  await settle(n.clock, client.write(enc.encode("hello")));
  assert.equal(dec.decode(await settle(n.clock, server.read()) ?? new Uint8Array()), "hello");
  await settle(n.clock, server.write(enc.encode("world")));
  assert.equal(dec.decode(await settle(n.clock, client.read()) ?? new Uint8Array()), "world");
  await settle(n.clock, client.closeWrite());
  assert.equal(await settle(n.clock, server.read()), null);
  await settle(n.clock, server.closeWrite());
  assert.equal(await settle(n.clock, client.read()), null);
  assert.deepEqual(await settle(n.clock, server.closed), { kind: "normal" });
  assert.equal(client.state, "TIME_WAIT");
});

Deno.test("StreamStack: a SYN to a port without listener gets RST 1: connection_failed refused", async () => {
  const n = net();
  const err = await dialError(n, 5000);
  assert.equal(err.code, "connection_failed");
  assert.equal(err.detail, "refused");
  const rst = n.fromB.find((p) => p.flags & FLAG_RST);
  assert.deepEqual([...(rst?.payload ?? [])], [RST_NO_LISTENER]);
  assert.equal(rst?.flags, FLAG_RST | FLAG_ACK);
  assert.equal(rst?.seq, 0);
});

Deno.test("StreamStack: a SYN from an untrusted peer gets RST 2 except on port 444", async () => {
  const n = net();
  n.trust.bTrustsA = false;
  n.b.listen(1001);
  n.b.listen(444);
  const err = await dialError(n, 1001);
  assert.equal(err.code, "unauthorized");
  assert.equal(err.detail, "not_trusted");
  assert.ok(n.fromB.some((p) => p.payload[0] === RST_NOT_TRUSTED));
  const c = await settle(n.clock, n.a.dial(B, 444));
  assert.equal(c.state, "ESTABLISHED");
});

Deno.test("StreamStack: dialing an untrusted peer fails locally with unauthorized not_trusted", async () => {
  const n = net();
  n.trust.aTrustsB = false;
  await assert.rejects(n.a.dial(B, 1001), (e: PilotError) => e.code === "unauthorized" && e.detail === "not_trusted");
  assert.equal(n.fromA.length, 0);
});

Deno.test("StreamStack: the backlog bounds connections not yet accepted (then RST 3: connection_failed limit)", async () => {
  const n = net();
  n.b.listen(1001, 2);
  await settle(n.clock, n.a.dial(B, 1001));
  await settle(n.clock, n.a.dial(B, 1001));
  const err = await dialError(n, 1001);
  assert.equal(err.code, "connection_failed");
  assert.equal(err.detail, "limit");
  assert.ok(n.fromB.some((p) => (p.flags & FLAG_RST) && p.payload[0] === RST_LIMIT));
});

function syn(from: Addr, srcPort: number, dstPort: number, seq = 1): Packet {
  return {
    version: WIRE_VERSION,
    flags: FLAG_SYN,
    proto: PROTO_STREAM,
    src: from,
    dst: B,
    srcPort,
    dstPort,
    seq,
    ack: 0,
    window: 1820,
    payload: Uint8Array.of(1, 2, 4, 128),
  };
}

/** A stack fed crafted packets, recording what it sends. */
function lone(over: Partial<StreamStackDeps> = {}) {
  const clock = new SimClock();
  const out: Packet[] = [];
  const stack = new StreamStack({
    clock,
    timers: clock,
    localNode: B.node,
    output: (p) => out.push(p),
    isTrusted: () => true,
    ...over,
  });
  return { clock, out, stack };
}

Deno.test("StreamStack: more than 10 SYNs per second from one peer get RST 3", () => {
  const { clock, out, stack } = lone();
  stack.listen(1001);
  for (let i = 0; i < 12; i++) stack.handle(syn(A, 40_000 + i, 1001));
  const rsts = out.filter((p) => p.flags & FLAG_RST);
  assert.equal(out.filter((p) => p.flags === (FLAG_SYN | FLAG_ACK)).length, 10);
  assert.equal(rsts.length, 2);
  assert.ok(rsts.every((p) => p.payload[0] === RST_LIMIT));
  clock.advance(1000);
  stack.handle(syn(A, 41_000, 1001));
  assert.equal(out[out.length - 1].flags, FLAG_SYN | FLAG_ACK);
});

Deno.test("StreamStack: more than 100 SYNs per second in total get RST 3", () => {
  const { out, stack } = lone();
  stack.listen(1001);
  for (let i = 0; i < 101; i++) stack.handle(syn({ network: 0, node: 0x1000 + i }, 40_000, 1001));
  // The backlog (128) is not the limit here: the 101st SYN hits the total rate.
  assert.equal(out.filter((p) => p.flags === (FLAG_SYN | FLAG_ACK)).length, 100);
  assert.equal(out[out.length - 1].payload[0], RST_LIMIT);
});

Deno.test("StreamStack: at most 1024 connections per port", () => {
  const { clock, out, stack } = lone();
  const l = stack.listen(1001);
  let peer = 0x1000;
  let refused = 0;
  for (let i = 0; i < 1030; i++) {
    const from = { network: 0, node: peer++ };
    const before = out.length;
    stack.handle(syn(from, 40_000, 1001, 100));
    const reply = out[before];
    if (reply.flags & FLAG_RST) {
      assert.equal(reply.payload[0], RST_LIMIT);
      refused++;
      continue;
    }
    // Complete the handshake and accept, so only the per-port limit can bite.
    stack.handle({ ...syn(from, 40_000, 1001, 101), flags: FLAG_ACK, ack: (reply.seq + 1) >>> 0 });
    void l.accept();
    clock.advance(15); // stay under 100 SYNs per second
  }
  assert.equal(stack.connectionCount, 1024);
  assert.equal(refused, 6);
});

Deno.test("StreamStack: a segment matching no connection gets RST 4, at most 10 per second per peer", () => {
  const { out, stack } = lone();
  const stray: Packet = { ...syn(A, 40_000, 1001, 500), flags: FLAG_ACK, ack: 777, payload: new Uint8Array(3) };
  for (let i = 0; i < 15; i++) stack.handle(stray);
  assert.equal(out.length, 10);
  assert.equal(out[0].flags, FLAG_RST);
  assert.equal(out[0].seq, 777);
  assert.deepEqual([...out[0].payload], [RST_NO_CONNECTION]);
  stack.handle({ ...stray, flags: FLAG_RST });
  assert.equal(out.length, 10); // never a RST for a RST
});

Deno.test("StreamStack: ephemeral ports skip ports in use and fail after 64 draws", async () => {
  const n = net({ a: { random: () => 0.5 } });
  n.b.listen(1001);
  const c = await settle(n.clock, n.a.dial(B, 1001));
  assert.equal(c.conn.local.port, 49152 + 8192);
  await assert.rejects(
    n.a.dial(B, 1001),
    (e: PilotError) => e.code === "already_exists" && e.detail === "no_ephemeral_port",
  );
});

Deno.test("StreamStack: a port has one listener; port 0 binds an ephemeral port", () => {
  const { stack } = lone();
  stack.listen(7);
  assert.throws(() => stack.listen(7), (e: PilotError) => e.code === "already_exists" && e.detail === "port_bound");
  const eph = stack.listen(0);
  assert.ok(eph.port >= 49152);
  assert.throws(() => stack.listen(70_000), (e: PilotError) => e.code === "invalid_argument");
  assert.throws(() => stack.listen(80, 129), (e: PilotError) => e.code === "invalid_argument");
});

Deno.test("StreamStack: a new SYN on a tuple in TIME_WAIT starts a new connection", async () => {
  let isn = 1000;
  const n = net({ a: { random: () => 0.25, isn: () => (isn += 1_000_000) }, b: { isn: () => 5 } });
  const l = n.b.listen(1001);
  const first = await settle(n.clock, n.a.dial(B, 1001));
  const server = await settle(n.clock, l.accept());
  assert.ok(server !== null);
  // The server closes first, so it is the side left in TIME_WAIT.
  await settle(n.clock, server.closeWrite());
  assert.equal(await settle(n.clock, first.read()), null);
  await settle(n.clock, first.closeWrite());
  await settle(n.clock, first.closed);
  assert.equal(server.state, "TIME_WAIT");
  const second = await settle(n.clock, n.a.dial(B, 1001));
  assert.equal(second.conn.local.port, first.conn.local.port);
  const again = await settle(n.clock, l.accept());
  assert.ok(again !== null && again !== server);
  assert.equal(again.state, "ESTABLISHED");
  assert.deepEqual(await settle(n.clock, server.closed), { kind: "normal" });
});

Deno.test("StreamStack.resetPeer() resets its connections with RST 2 (seen as not_trusted)", async () => {
  const n = net();
  const l = n.b.listen(1001);
  const c = await settle(n.clock, n.a.dial(B, 1001));
  await settle(n.clock, l.accept());
  n.b.resetPeer(A);
  const reason = await settle(n.clock, c.closed);
  assert.deepEqual(reason, { kind: "reset", rst: RST_NOT_TRUSTED });
  await assert.rejects(c.read(), (e: PilotError) => e.code === "unauthorized");
});
