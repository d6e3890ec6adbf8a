import assert from "node:assert/strict";
import { AckCoalescer, MessageChannelTurn, type TurnScheduler } from "../../src/transport/mod.ts";
import {
  type Addr,
  FLAG_ACK,
  FLAG_FIN,
  type Packet,
  PROTO_DATAGRAM,
  PROTO_STREAM,
  PROTO_STREAM_ACK,
} from "../../src/wire/mod.ts";

const PEER: Addr = { network: 0, node: 0x102 };
const OTHER: Addr = { network: 0, node: 0x103 };

/** A scheduler whose turn ends when the test says so. */
class ManualTurn implements TurnScheduler {
  pending: (() => void)[] = [];
  closed = false;
  later(fn: () => void): void {
    this.pending.push(fn);
  }
  end(): void {
    const due = this.pending;
    this.pending = [];
    for (const fn of due) fn();
  }
  close(): void {
    this.closed = true;
  }
}

function packet(fields: Partial<Packet>): Packet {
  return {
    version: 1,
    flags: FLAG_ACK,
    proto: PROTO_STREAM,
    src: { network: 0, node: 0x101 },
    dst: PEER,
    srcPort: 50_000,
    dstPort: 7,
    seq: 1,
    ack: 1,
    window: 100,
    payload: new Uint8Array(0),
    ...fields,
  };
}

function setup() {
  const turn = new ManualTurn();
  const sent: Packet[] = [];
  const acks = new AckCoalescer((p) => sent.push(p), turn);
  return { turn, sent, acks };
}

Deno.test("AckCoalescer holds a pure ACK until the turn ends and sends only the newest of one connection", () => {
  const { turn, sent, acks } = setup();
  acks.output(packet({ ack: 10, window: 50 }), PEER);
  acks.output(packet({ ack: 20, window: 90 }), PEER);
  assert.equal(sent.length, 0, "nothing leaves before the turn ends");
  assert.equal(turn.pending.length, 1, "one flush per turn");
  turn.end();
  assert.deepEqual(sent.map((p) => [p.ack, p.window]), [[20, 90]]);
  turn.end();
  assert.equal(sent.length, 1);
});

Deno.test("AckCoalescer sends a data segment at once and drops the held ACK it supersedes", () => {
  const { turn, sent, acks } = setup();
  acks.output(packet({ ack: 10 }), PEER);
  const data = packet({ ack: 10, payload: Uint8Array.of(1, 2, 3) });
  acks.output(data, PEER);
  const fin = packet({ ack: 11, flags: FLAG_ACK | FLAG_FIN });
  acks.output(fin, PEER);
  assert.deepEqual(sent, [data, fin]);
  turn.end();
  assert.deepEqual(sent, [data, fin], "the held ACK was superseded");
});

Deno.test("AckCoalescer never holds stream-acks (SACK) or other protocols, and a stream-ack supersedes", () => {
  const { turn, sent, acks } = setup();
  acks.output(packet({ ack: 5 }), PEER);
  const sack = packet({ proto: PROTO_STREAM_ACK, payload: new Uint8Array(10) });
  const dgram = packet({ proto: PROTO_DATAGRAM, flags: 0 });
  acks.output(sack, PEER);
  acks.output(dgram, PEER);
  assert.deepEqual(sent, [sack, dgram]);
  turn.end();
  assert.deepEqual(sent, [sack, dgram]);
});

Deno.test("AckCoalescer keeps one held ACK per connection (peer and ports)", () => {
  const { turn, sent, acks } = setup();
  const a = packet({ ack: 1 });
  const b = packet({ ack: 2, dst: OTHER });
  const c = packet({ ack: 3, srcPort: 50_001 });
  for (const p of [a, b, c]) acks.output(p, p.dst);
  acks.output(packet({ ack: 4, payload: Uint8Array.of(9) }), PEER); // supersedes a only
  turn.end();
  assert.deepEqual(sent.map((p) => p.ack).sort(), [2, 3, 4]);
});

Deno.test("AckCoalescer.flush() sends what is held now; close() drops it and releases the scheduler", () => {
  const { turn, sent, acks } = setup();
  acks.output(packet({ ack: 7 }), PEER);
  acks.flush();
  assert.deepEqual(sent.map((p) => p.ack), [7]);
  acks.output(packet({ ack: 8 }), PEER);
  acks.close();
  assert.equal(turn.closed, true);
  turn.end();
  assert.deepEqual(sent.map((p) => p.ack), [7]);
});

Deno.test("MessageChannelTurn runs callbacks after the current microtasks, once each, and close() releases it", async () => {
  const turn = new MessageChannelTurn();
  const order: string[] = [];
  let ran!: () => void;
  const done = new Promise<void>((resolve) => ran = resolve);
  turn.later(() => order.push("a"));
  turn.later(() => {
    order.push("b");
    ran();
  });
  queueMicrotask(() => order.push("microtask"));
  await done;
  assert.deepEqual(order, ["microtask", "a", "b"]);
  turn.close();
  turn.later(() => order.push("after close"));
  await new Promise((resolve) => setTimeout(resolve, 5));
  assert.deepEqual(order, ["microtask", "a", "b"]);
});
