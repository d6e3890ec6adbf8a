import assert from "node:assert/strict";
import { SimClock } from "../_support/sim_clock.ts";
import { PingService } from "../../src/transport/ping.ts";
import { PilotError } from "../../src/util/errors.ts";
import { type Addr, FLAG_ACK, type Packet, PROTO_CONTROL, WIRE_VERSION } from "../../src/wire/mod.ts";

const A: Addr = { network: 0, node: 0x101 };
const B: Addr = { network: 0, node: 0x102 };

function pair(bTrustsA = true) {
  const clock = new SimClock();
  const fromA: Packet[] = [];
  const fromB: Packet[] = [];
  const drops: string[] = [];
  const a = new PingService({
    clock,
    timers: clock,
    localNode: A.node,
    output: (p) => {
      fromA.push(p);
      clock.after(10, () => b.handle(p));
    },
    isTrusted: () => true,
  });
  const b = new PingService({
    clock,
    timers: clock,
    localNode: B.node,
    output: (p) => {
      fromB.push(p);
      clock.after(10, () => a.handle(p));
    },
    isTrusted: () => bTrustsA,
    onDrop: (r) => drops.push(r),
  });
  return { clock, a, b, fromA, fromB, drops };
}

function request(seq: number, srcPort = 50_000, flags = 0): Packet {
  return {
    version: WIRE_VERSION,
    flags,
    proto: PROTO_CONTROL,
    src: A,
    dst: B,
    srcPort,
    dstPort: 0,
    seq,
    ack: 0,
    window: 0,
    payload: Uint8Array.of(7, 7),
  };
}

Deno.test("PingService: request flags 0 to port 0, reply ACK with ports swapped, Ack = id + 1, same payload", async () => {
  const n = pair();
  let result: { rttMs: number; bytes: number } | null = null;
  const pinging = n.a.ping(B, Uint8Array.of(1, 2, 3)).then((r) => result = r);
  n.clock.run();
  await pinging;
  assert.deepEqual(result, { rttMs: 20, bytes: 3 });
  const [req] = n.fromA;
  const [rep] = n.fromB;
  assert.equal(req.flags, 0);
  assert.equal(req.dstPort, 0);
  assert.ok(req.srcPort !== 0);
  assert.equal(rep.flags, FLAG_ACK);
  assert.equal(rep.srcPort, 0);
  assert.equal(rep.dstPort, req.srcPort);
  assert.equal(rep.seq, req.seq);
  assert.equal(rep.ack, (req.seq + 1) >>> 0);
  assert.deepEqual([...rep.payload], [1, 2, 3]);
});

Deno.test("PingService never replies to a reply or to source port 0, and drops untrusted pings", () => {
  const n = pair();
  n.b.handle(request(1, 50_000, FLAG_ACK));
  n.b.handle(request(2, 0));
  assert.equal(n.fromB.length, 0);
  const u = pair(false);
  u.b.handle(request(3));
  assert.equal(u.fromB.length, 0);
  assert.deepEqual(u.drops, ["untrusted"]);
});

Deno.test("PingService replies at most 20 times per second per peer", () => {
  const n = pair();
  for (let i = 0; i < 25; i++) n.b.handle(request(i));
  assert.equal(n.fromB.length, 20);
  n.clock.advance(1000);
  n.b.handle(request(99));
  assert.equal(n.fromB.length, 21);
});

Deno.test("PingService times out without a reply and refuses payloads over 64 bytes", async () => {
  const clock = new SimClock();
  const svc = new PingService({ clock, timers: clock, localNode: A.node, output: () => {}, isTrusted: () => true });
  let error: unknown = null;
  const pinging = svc.ping(B, new Uint8Array(0), 3000).catch((e) => error = e);
  clock.run();
  await pinging;
  assert.ok(error instanceof PilotError && error.code === "timeout");
  await assert.rejects(svc.ping(B, new Uint8Array(65)), (e: PilotError) => e.detail === "too_large");
});
