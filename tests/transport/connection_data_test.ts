import assert from "node:assert/strict";
import { decodeSack, FLAG_ACK, type Packet, PROTO_STREAM, PROTO_STREAM_ACK } from "../../src/wire/mod.ts";
import { concat, isData, isPureAck, Lab } from "./lab.ts";

const pattern = (n: number, seed = 7) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed + (i >> 8)) & 0xff);

Deno.test("data crosses the 2^32 wrap byte-exact with ISNs just below 2^32", () => {
  const lab = new Lab({ a: { isn: () => 0xffffff00 }, b: { isn: () => 0xfffffff0 } });
  lab.open();
  const up = pattern(300_000, 1);
  const down = pattern(200_000, 2);
  let dropped = 0;
  // Drop every 17th data segment once, so recovery also runs across the wrap.
  const seen = new Set<string>();
  const drop = (p: Packet, from: string) => {
    if (!isData(p)) return false;
    const key = `${from}:${p.seq}`;
    if (seen.has(key)) return false;
    seen.add(key);
    if (seen.size % 17 === 0) {
      dropped++;
      return true;
    }
    return false;
  };
  let offA = 0;
  let offB = 0;
  for (
    let i = 0;
    i < 2000 && (lab.b.receivedBytes().length < up.length || lab.a.receivedBytes().length < down.length);
    i++
  ) {
    const nA = Math.min(lab.a.conn.sendSpace, up.length - offA, 20_000);
    if (nA > 0) lab.a.write(up.subarray(offA, offA += nA));
    const nB = Math.min(lab.b.driver ? lab.b.conn.sendSpace : 0, down.length - offB, 20_000);
    if (nB > 0) lab.b.write(down.subarray(offB, offB += nB));
    lab.flush(drop);
    lab.clock.advance(50);
  }
  assert.ok(dropped > 10);
  assert.deepEqual(lab.b.receivedBytes(), up);
  assert.deepEqual(lab.a.receivedBytes(), down);
});

Deno.test("one full segment is ACKed after 5 ms; a second full segment is ACKed at once", () => {
  const lab = new Lab();
  lab.open();
  lab.a.write(new Uint8Array(1152));
  for (const p of lab.a.take()) lab.deliver("b", p);
  assert.equal(lab.b.outbox.length, 0);
  lab.clock.advance(4);
  assert.equal(lab.b.outbox.length, 0);
  lab.clock.advance(1);
  assert.equal(lab.b.take().filter(isPureAck).length, 1);
  lab.a.write(new Uint8Array(2 * 1152));
  for (const p of lab.a.take()) lab.deliver("b", p);
  assert.equal(lab.b.take().filter(isPureAck).length, 1);
});

Deno.test("Nagle holds a small write while a small segment is unacknowledged; nodelay sends at once", () => {
  const lab = new Lab();
  lab.open();
  lab.a.write("GET ");
  assert.equal(lab.a.take().filter(isData).length, 1);
  lab.a.write("/index");
  assert.equal(lab.a.outbox.length, 0);
  lab.clock.advance(20);
  lab.flush();
  assert.equal(lab.b.received(), "GET /index");
  const fast = new Lab({ a: { nodelay: true } });
  fast.open();
  fast.a.write("GET ");
  fast.a.write("/index");
  assert.equal(fast.a.take().filter(isData).length, 2);
});

Deno.test("a lost segment inside a burst is fast-retransmitted from SACK information before any RTO", () => {
  const lab = new Lab();
  lab.open();
  lab.clock.advance(50);
  const data = pattern(20 * 1152);
  lab.a.write(data);
  const burst = lab.a.take();
  assert.equal(burst.filter(isData).length, 10); // IW = 10 segments
  const lostSeq = burst[2].seq;
  for (const p of burst) if (p.seq !== lostSeq) lab.deliver("b", p);
  const acks = lab.b.take();
  const sacks = acks.filter((p) => p.proto === PROTO_STREAM_ACK);
  assert.ok(sacks.length >= 3);
  let lastRight = -1;
  for (const s of sacks) {
    assert.equal(s.flags, FLAG_ACK);
    assert.equal(s.ack, lostSeq);
    const body = decodeSack(s.payload);
    assert.ok(body.blocks.length >= 1 && body.blocks.length <= 8);
    assert.equal(body.blocks[0].left, (lostSeq + 1152) >>> 0);
    assert.ok(body.blocks[0].right > lastRight); // the block of the most recent arrival comes first
    lastRight = body.blocks[0].right;
  }
  assert.equal(lastRight, (burst[9].seq + 1152) >>> 0);
  for (const p of acks) lab.deliver("a", p);
  const resent = lab.a.take();
  assert.ok(resent.some((p) => p.seq === lostSeq && p.proto === PROTO_STREAM));
  for (const p of resent) lab.deliver("b", p);
  lab.flush();
  lab.clock.advance(100);
  lab.flush();
  assert.deepEqual(lab.b.receivedBytes(), data);
  const st = lab.a.conn.stats();
  assert.equal(st.fast_retx, 1);
  assert.ok(st.sack_recv >= 3);
  assert.ok(st.cong_win < 20 * 1152);
});

Deno.test("a duplicate segment is reported with a D-SACK", () => {
  const lab = new Lab();
  lab.open();
  lab.a.write(new Uint8Array(100));
  const [seg] = lab.a.take();
  lab.deliver("b", seg);
  lab.clock.advance(10);
  lab.b.take();
  lab.deliver("b", seg);
  const [dsack] = lab.b.take();
  assert.equal(dsack.proto, PROTO_STREAM_ACK);
  const body = decodeSack(dsack.payload);
  assert.equal(body.dsack, true);
  assert.deepEqual(body.blocks[0], { left: seg.seq, right: (seg.seq + 100) >>> 0 });
});

Deno.test("RTO: a lost segment is resent after 1 s, then 2 s later, and Karn keeps the samples out", () => {
  const lab = new Lab();
  lab.a.driver?.run((c) => c.connect());
  lab.clock.advance(1100); // the SYN is retransmitted once: no RTT sample from the handshake
  lab.flush();
  assert.equal(lab.a.conn.stats().srtt_ms, null);
  lab.a.write("x");
  const start = lab.clock.monotonic();
  lab.a.take();
  const resends: number[] = [];
  for (let i = 0; i < 40; i++) {
    lab.clock.advance(100);
    for (const p of lab.a.take()) if (isData(p)) resends.push(lab.clock.monotonic() - start);
  }
  // RTO backed off by the SYN retransmission is reset by the SYN-ACK; initial RTO 1 s, then ×2.
  assert.deepEqual(resends, [1000, 3000]);
  for (let i = 0; i < 10; i++) {
    lab.clock.advance(1000);
    lab.flush();
  }
  assert.equal(lab.b.received(), "x");
  assert.equal(lab.a.conn.stats().srtt_ms, null); // the ACK of a retransmission is no sample
});

Deno.test("data unacknowledged for 60 s aborts the connection with RST 6 (user timeout)", () => {
  const lab = new Lab();
  lab.open();
  lab.a.write("lost forever");
  for (let i = 0; i < 70; i++) {
    lab.clock.advance(1000);
    lab.flush((_p, from) => from === "a");
  }
  assert.deepEqual(lab.a.closed, { kind: "timeout", detail: "retransmit" });
  const rst = lab.a.sent[lab.a.sent.length - 1];
  assert.deepEqual([...rst.payload], [6]);
});

Deno.test("zero window: probes after one RTO back off to 10 s, never abort while answered, resume on credit", () => {
  const lab = new Lab({ b: { recvBufferBytes: 4 * 1152 } });
  lab.open();
  lab.b.autoCredit = false;
  lab.a.write(pattern(20 * 1152));
  lab.flush();
  lab.clock.advance(10);
  lab.flush();
  assert.equal(lab.b.receivedBytes().length, 4 * 1152);
  assert.equal(lab.a.conn.stats().peer_recv_win, 0);
  const probeTimes: number[] = [];
  const t0 = lab.clock.monotonic();
  for (let i = 0; i < 1200; i++) {
    lab.clock.advance(100);
    for (const p of lab.a.outbox) if (isData(p)) probeTimes.push(lab.clock.monotonic() - t0);
    lab.flush();
  }
  assert.equal(lab.a.state, "ESTABLISHED");
  for (const p of lab.a.sent.filter(isData).slice(-3)) assert.equal(p.payload.length, 1);
  // First probe after one RTO (200 ms on this zero-delay path), then ×2 up to 10 s.
  const gaps = probeTimes.slice(1).map((t, i) => t - probeTimes[i]);
  assert.equal(probeTimes[0], 200);
  assert.deepEqual(gaps.slice(0, 7), [400, 800, 1600, 3200, 6400, 10_000, 10_000]);
  // The application reads: a window update goes out at once and the transfer completes.
  lab.b.autoCredit = true;
  lab.b.driver?.run((c) => c.readCredit(4 * 1152));
  const [update] = lab.b.take();
  assert.ok(update.window > 0);
  lab.deliver("a", update);
  for (let i = 0; i < 50 && lab.b.receivedBytes().length < 20 * 1152; i++) {
    lab.flush();
    lab.clock.advance(10);
  }
  assert.deepEqual(lab.b.receivedBytes(), pattern(20 * 1152));
});

Deno.test("zero window: 60 s without any answer to the probes aborts", () => {
  const lab = new Lab({ b: { recvBufferBytes: 2 * 1152 } });
  lab.open();
  lab.b.autoCredit = false;
  lab.a.write(pattern(10 * 1152));
  lab.flush();
  lab.clock.advance(10);
  lab.flush();
  assert.equal(lab.a.conn.stats().peer_recv_win, 0);
  for (let i = 0; i < 70; i++) {
    lab.clock.advance(1000);
    lab.a.take();
    lab.b.take();
  }
  assert.deepEqual(lab.a.closed, { kind: "timeout", detail: "retransmit" });
});

Deno.test("a path-limit change re-segments the stream; the data stays byte-exact", () => {
  const lab = new Lab({ a: { pathLimit: 8000 }, b: { localMaxSeg: 8000 } });
  lab.open();
  const data = pattern(200_000, 3);
  lab.a.write(data.subarray(0, 50_000));
  const first = lab.a.take();
  assert.ok(first.filter(isData).every((p) => p.payload.length <= 8000));
  assert.ok(first.some((p) => p.payload.length === 8000));
  // Everything in flight is lost while the path moves to the relay (limit back to 1152).
  lab.a.driver?.run((c) => c.setPathLimit(1152));
  lab.a.write(data.subarray(50_000, 120_000));
  lab.clock.advance(1500); // RTO: retransmissions cut at the new MSS
  const resent = lab.a.take();
  assert.ok(resent.filter(isData).every((p) => p.payload.length <= 1152));
  for (const p of resent) lab.deliver("b", p);
  lab.a.write(data.subarray(120_000));
  for (let i = 0; i < 200 && lab.b.receivedBytes().length < data.length; i++) {
    lab.flush();
    lab.clock.advance(20);
  }
  assert.ok(lab.a.sent.filter(isData).slice(-5).every((p) => p.payload.length <= 1152));
  assert.deepEqual(concat(lab.b.data), data);
});

Deno.test("stats() has exactly the CLI.md connection fields", () => {
  const lab = new Lab();
  lab.open();
  lab.a.write("hello");
  lab.flush();
  const st = lab.a.conn.stats();
  assert.deepEqual(Object.keys(st), [
    "state",
    "srtt_ms",
    "rttvar_ms",
    "cong_win",
    "ssthresh",
    "in_flight",
    "unacked",
    "ooo_buf",
    "recv_win",
    "peer_recv_win",
    "bytes_sent",
    "bytes_recv",
    "segs_sent",
    "segs_recv",
    "retransmits",
    "fast_retx",
    "sack_sent",
    "sack_recv",
    "dup_acks",
  ]);
  assert.equal(st.state, "ESTABLISHED");
  assert.equal(st.bytes_sent, 5);
  assert.equal(lab.b.conn.stats().bytes_recv, 5);
  assert.equal(st.recv_win, 1820 * 1152);
});
