import assert from "node:assert/strict";
import { FLAG_ACK, FLAG_RST, PROTO_STREAM_ACK } from "../../src/wire/mod.ts";
import { craft, isData, Lab } from "./lab.ts";

const ISN_A = 0x50000000;
const ISN_B = 0x60000000;
const MSS = 1152;

function openLab(opts: ConstructorParameters<typeof Lab>[0] = {}): Lab {
  const lab = new Lab({ a: { isn: () => ISN_A, ...opts.a }, b: { isn: () => ISN_B, ...opts.b } });
  lab.open();
  return lab;
}

Deno.test("the send window follows RFC 793 WL1/WL2: an older segment does not overwrite a newer window", () => {
  const lab = openLab();
  lab.b.write("0123456789");
  lab.b.take();
  // a receives b's data segment (Seq = ISN_B + 1) advertising 100 units, then a stale pure ACK (Seq = ISN_B + 1 is
  // the same, Ack older) advertising 5 units, then one with an older Seq advertising 7 units.
  const base = { flags: FLAG_ACK, ack: ISN_A + 1 };
  lab.deliver("a", craft("b", { ...base, seq: ISN_B + 11, window: 100 }));
  assert.equal(lab.a.conn.stats().peer_recv_win, 100 * MSS);
  lab.deliver("a", craft("b", { ...base, seq: ISN_B + 1, window: 7 }));
  assert.equal(lab.a.conn.stats().peer_recv_win, 100 * MSS);
  lab.deliver("a", craft("b", { ...base, seq: ISN_B + 11, window: 50 }));
  assert.equal(lab.a.conn.stats().peer_recv_win, 50 * MSS);
});

Deno.test("three duplicate pure ACKs (no SACK) trigger a fast retransmit of the first segment", () => {
  const lab = openLab();
  lab.clock.advance(50);
  lab.a.write(new Uint8Array(10 * MSS));
  const burst = lab.a.take();
  assert.equal(burst.filter(isData).length, 10);
  const dup = craft("b", { flags: FLAG_ACK, seq: ISN_B + 1, ack: ISN_A + 1, window: 1820 });
  lab.deliver("a", dup);
  lab.deliver("a", dup);
  assert.equal(lab.a.take().filter((p) => p.seq === ((ISN_A + 1) >>> 0)).length, 0);
  lab.deliver("a", dup);
  const resent = lab.a.take();
  assert.ok(resent.some((p) => isData(p) && p.seq === ((ISN_A + 1) >>> 0)));
  const st = lab.a.conn.stats();
  assert.equal(st.fast_retx, 1);
  assert.equal(st.dup_acks, 3);
  assert.equal(st.ssthresh, 5 * MSS); // FlightSize / 2
});

Deno.test("a stream-ack with a malformed payload is dropped without effect", () => {
  const lab = openLab();
  lab.a.write(new Uint8Array(3 * MSS));
  lab.a.take();
  const before = lab.a.conn.stats();
  const bad = craft("b", {
    flags: FLAG_ACK,
    proto: PROTO_STREAM_ACK,
    seq: ISN_B + 1,
    ack: ISN_A + 1 + 3 * MSS,
    payload: Uint8Array.of(2, 0, 0, 0, 0, 1, 0, 0, 0, 2), // count 2 but one block
  });
  lab.deliver("a", bad);
  assert.equal(lab.a.conn.stats().unacked, before.unacked);
  assert.equal(lab.a.take().length, 0);
});

Deno.test("SACK blocks outside (SND.UNA, SND.NXT] are ignored", () => {
  const lab = openLab();
  lab.clock.advance(50);
  lab.a.write(new Uint8Array(4 * MSS));
  lab.a.take();
  const block = (left: number, right: number) => {
    const p = new Uint8Array(10);
    const v = new DataView(p.buffer);
    p[0] = 1;
    v.setUint32(2, left >>> 0);
    v.setUint32(6, right >>> 0);
    return p;
  };
  const sack = (left: number, right: number) =>
    craft("b", {
      flags: FLAG_ACK,
      proto: PROTO_STREAM_ACK,
      seq: ISN_B + 1,
      ack: ISN_A + 1,
      payload: block(left, right),
    });
  lab.deliver("a", sack(ISN_A + 1 + 4 * MSS, ISN_A + 1 + 6 * MSS)); // beyond SND.NXT
  lab.deliver("a", sack(ISN_A - 5000, ISN_A)); // below SND.UNA
  assert.equal(lab.a.conn.stats().in_flight, 4 * MSS);
  lab.deliver("a", sack(ISN_A + 1 + MSS, ISN_A + 1 + 2 * MSS));
  assert.equal(lab.a.conn.stats().in_flight, 3 * MSS);
  assert.equal(lab.a.conn.stats().sack_recv, 3);
});

Deno.test("an RTO collapses cwnd to one segment and resends only the first; slow start follows", () => {
  const lab = openLab();
  lab.clock.advance(50);
  lab.a.write(new Uint8Array(30 * MSS));
  lab.a.take(); // the whole first window is lost (a tail loss probe may follow; it is lost too)
  let steps = 0;
  while (lab.a.conn.stats().cong_win > MSS && steps++ < 200) {
    lab.clock.advance(5);
    lab.a.take();
  }
  assert.equal(lab.a.conn.stats().cong_win, MSS);
  assert.ok(lab.a.conn.stats().ssthresh <= 6 * MSS); // FlightSize / 2
  lab.clock.advance(1000); // the next RTO (backed off) resends one segment
  const resent = lab.a.take().filter(isData);
  assert.equal(resent.length, 1);
  assert.equal(resent[0].seq, (ISN_A + 1) >>> 0);
  for (const p of resent) lab.deliver("b", p);
  lab.clock.advance(5); // b's delayed ACK
  for (const p of lab.b.take()) lab.deliver("a", p);
  assert.equal(lab.a.conn.stats().cong_win, 2 * MSS);
  assert.equal(lab.a.take().filter(isData).length, 2);
});

Deno.test("after an idle period longer than the RTO, a burst is limited to the initial window", () => {
  const lab = openLab();
  for (let i = 0; i < 20; i++) {
    lab.a.write(new Uint8Array(20 * MSS));
    lab.flush();
    lab.clock.advance(5);
    lab.flush();
  }
  assert.ok(lab.a.conn.stats().cong_win > 20 * MSS);
  lab.clock.advance(5000);
  lab.flush();
  lab.a.write(new Uint8Array(100 * MSS));
  assert.equal(lab.a.take().filter(isData).length, 10);
});

Deno.test("a RST with Seq = RCV.NXT is accepted even with a zero receive window", () => {
  const lab = openLab({ b: { recvBufferBytes: 2 * MSS } });
  lab.b.autoCredit = false;
  lab.a.write(new Uint8Array(2 * MSS));
  lab.flush();
  assert.equal(lab.b.conn.stats().recv_win, 0);
  lab.deliver("b", craft("a", { flags: FLAG_RST, seq: ISN_A + 1 + 2 * MSS, payload: Uint8Array.of(5) }));
  assert.deepEqual(lab.b.closed, { kind: "reset", rst: 5 });
});

Deno.test("with our window at zero, the ACKs of a peer that sent a probe byte still acknowledge our data", () => {
  const lab = openLab({ a: { recvBufferBytes: 2 * MSS } });
  lab.a.autoCredit = false;
  lab.b.write(new Uint8Array(6 * MSS));
  lab.flush();
  lab.clock.advance(1000); // b probes the zero window with one new byte, which a drops
  lab.flush();
  assert.ok(lab.b.sent.some((p) => isData(p) && p.payload.length === 1));
  lab.a.write(new Uint8Array(3 * MSS));
  for (let i = 0; i < 5; i++) {
    lab.flush();
    lab.clock.advance(10);
  }
  assert.equal(lab.b.receivedBytes().length, 3 * MSS);
  assert.equal(lab.a.conn.stats().unacked, 0);
});
