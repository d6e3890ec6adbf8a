import assert from "node:assert/strict";
import { RST_NO_CONNECTION, RST_NO_LISTENER } from "../../src/transport/rst.ts";
import { decodeSynOptions, FLAG_ACK, FLAG_RST, FLAG_SYN } from "../../src/wire/mod.ts";
import { resetFor as transportReset } from "../../src/transport/rst.ts";
import { craft, isPureAck, Lab } from "./lab.ts";

const ISN_A = 0x3a5f91c2;
const ISN_B = 0x11111111;

Deno.test("connect() sends a SYN with the injected ISN, MAX_SEG option and a 1820-unit window", () => {
  const lab = new Lab({ a: { isn: () => ISN_A, localMaxSeg: 1152 } });
  lab.a.driver?.run((c) => c.connect());
  const [syn] = lab.a.take();
  assert.equal(syn.flags, FLAG_SYN);
  assert.equal(syn.seq, ISN_A);
  assert.equal(syn.ack, 0);
  assert.equal(syn.window, 1820);
  assert.deepEqual([...syn.payload], [0x01, 0x02, 0x04, 0x80]);
  assert.equal(lab.a.state, "SYN_SENT");
});

Deno.test("three-way handshake: SYN, SYN|ACK with Ack = ISN + 1, ACK; both ESTABLISHED", () => {
  const lab = new Lab({ a: { isn: () => ISN_A }, b: { isn: () => ISN_B } });
  lab.a.driver?.run((c) => c.connect());
  lab.clock.advance(10);
  const [syn] = lab.a.take();
  lab.deliver("b", syn);
  assert.equal(lab.b.state, "SYN_RCVD");
  const [synAck] = lab.b.take();
  assert.equal(synAck.flags, FLAG_SYN | FLAG_ACK);
  assert.equal(synAck.seq, ISN_B);
  assert.equal(synAck.ack, (ISN_A + 1) >>> 0);
  assert.ok(decodeSynOptions(synAck.payload).maxSeg >= 1152);
  lab.clock.advance(10);
  lab.deliver("a", synAck);
  assert.equal(lab.a.state, "ESTABLISHED");
  assert.equal(lab.a.established, true);
  const [ack] = lab.a.take();
  assert.ok(isPureAck(ack));
  assert.equal(ack.seq, (ISN_A + 1) >>> 0);
  assert.equal(ack.ack, (ISN_B + 1) >>> 0);
  lab.deliver("b", ack);
  assert.equal(lab.b.state, "ESTABLISHED");
  // The SYN was never retransmitted, so it gave the first RTT sample (Karn).
  assert.equal(lab.a.conn.stats().srtt_ms, 20);
});

Deno.test("a lost SYN is retransmitted after 1, 2, 4 and 8 s, then the dial times out at 20 s", () => {
  const lab = new Lab({ a: { isn: () => ISN_A } });
  lab.a.driver?.run((c) => c.connect());
  lab.a.take();
  const times: number[] = [];
  for (let i = 0; i < 30; i++) {
    lab.clock.advance(1000);
    for (const p of lab.a.take()) {
      assert.equal(p.flags, FLAG_SYN);
      assert.equal(p.seq, ISN_A);
      times.push(lab.clock.monotonic());
    }
  }
  assert.deepEqual(times, [1000, 3000, 7000, 15_000]);
  assert.deepEqual(lab.a.closed, { kind: "timeout", detail: "dial" });
  assert.equal(lab.a.conn.stats().retransmits, 4);
  // No RTT sample from a retransmitted SYN.
  assert.equal(lab.a.conn.stats().srtt_ms, null);
});

Deno.test("a lost SYN|ACK: the SYN is retransmitted and answered with the same SYN|ACK", () => {
  const lab = new Lab({ a: { isn: () => ISN_A }, b: { isn: () => ISN_B } });
  lab.a.driver?.run((c) => c.connect());
  lab.flush((p) => p.flags === (FLAG_SYN | FLAG_ACK));
  assert.equal(lab.b.state, "SYN_RCVD");
  lab.clock.advance(1000); // b's SYN|ACK timer and a's SYN timer both fire at 1 s
  const synAcks = lab.b.sent.filter((p) => p.flags === (FLAG_SYN | FLAG_ACK));
  assert.ok(synAcks.length >= 2);
  assert.ok(synAcks.every((p) => p.seq === ISN_B));
  lab.flush();
  assert.equal(lab.a.state, "ESTABLISHED");
  assert.equal(lab.b.state, "ESTABLISHED");
});

Deno.test("a passive open gives up after 5 SYN|ACK retransmissions", () => {
  const lab = new Lab();
  lab.a.driver?.run((c) => c.connect());
  lab.flush((_p, from) => from === "b"); // a never hears back; its SYNs keep arriving
  lab.a.driver?.dispose();
  lab.a.outbox = [];
  for (let i = 0; i < 120; i++) lab.clock.advance(1000);
  const synAcks = lab.b.sent.filter((p) => p.flags === (FLAG_SYN | FLAG_ACK));
  assert.equal(synAcks.length, 6); // the first and 5 retransmissions
  assert.deepEqual(lab.b.closed, { kind: "timeout", detail: "retransmit" });
});

Deno.test("simultaneous open: both SYN_SENT, crossing SYNs, both ESTABLISHED with the same ISNs", () => {
  const lab = new Lab({ a: { isn: () => ISN_A }, b: { isn: () => ISN_B } });
  lab.makeB();
  lab.a.driver?.run((c) => c.connect());
  lab.b.driver?.run((c) => c.connect());
  const [synA] = lab.a.take();
  const [synB] = lab.b.take();
  lab.deliver("b", synA);
  lab.deliver("a", synB);
  assert.equal(lab.a.state, "SYN_RCVD");
  assert.equal(lab.b.state, "SYN_RCVD");
  const [saA] = lab.a.take();
  const [saB] = lab.b.take();
  assert.equal(saA.flags, FLAG_SYN | FLAG_ACK);
  assert.equal(saA.seq, ISN_A);
  assert.equal(saA.ack, (ISN_B + 1) >>> 0);
  lab.deliver("b", saA);
  lab.deliver("a", saB);
  lab.flush();
  assert.equal(lab.a.state, "ESTABLISHED");
  assert.equal(lab.b.state, "ESTABLISHED");
  lab.a.write("ping");
  lab.b.write("pong");
  lab.flush();
  lab.clock.advance(10);
  lab.flush();
  assert.equal(lab.b.received(), "ping");
  assert.equal(lab.a.received(), "pong");
});

Deno.test("SYN_SENT accepts a RST only with Ack = ISN + 1 and reports its reason", () => {
  const lab = new Lab({ a: { isn: () => ISN_A } });
  lab.a.driver?.run((c) => c.connect());
  const [syn] = lab.a.take();
  lab.deliver("a", craft("b", { flags: FLAG_RST | FLAG_ACK, seq: 0, ack: ISN_A + 5, payload: Uint8Array.of(1) }));
  assert.equal(lab.a.state, "SYN_SENT");
  const rst = transportReset(syn, RST_NO_LISTENER);
  assert.ok(rst !== null);
  lab.deliver("a", rst);
  assert.deepEqual(lab.a.closed, { kind: "reset", rst: RST_NO_LISTENER });
});

Deno.test("SYN_SENT answers a SYN|ACK with the wrong Ack by a RST whose Seq is that Ack", () => {
  const lab = new Lab({ a: { isn: () => ISN_A } });
  lab.a.driver?.run((c) => c.connect());
  lab.a.take();
  lab.deliver(
    "a",
    craft("b", { flags: FLAG_SYN | FLAG_ACK, seq: ISN_B, ack: 12345, payload: Uint8Array.of(1, 2, 4, 128) }),
  );
  const [rst] = lab.a.take();
  assert.equal(rst.flags, FLAG_RST);
  assert.equal(rst.seq, 12345);
  assert.deepEqual([...rst.payload], [RST_NO_CONNECTION]);
  assert.equal(lab.a.state, "SYN_SENT");
});

Deno.test("SYN_SENT drops a SYN|ACK with malformed options (MAX_SEG below 1152)", () => {
  const lab = new Lab({ a: { isn: () => ISN_A } });
  lab.a.driver?.run((c) => c.connect());
  lab.a.take();
  const bad = craft("b", {
    flags: FLAG_SYN | FLAG_ACK,
    seq: ISN_B,
    ack: ISN_A + 1,
    payload: Uint8Array.of(1, 2, 1, 0),
  });
  lab.deliver("a", bad);
  assert.equal(lab.a.state, "SYN_SENT");
  assert.equal(lab.a.take().length, 0);
});

Deno.test("a SYN with a different ISN on an established tuple gets a challenge ACK, not a new connection", () => {
  const lab = new Lab({ a: { isn: () => ISN_A }, b: { isn: () => ISN_B } });
  lab.open();
  lab.deliver("b", craft("a", { flags: FLAG_SYN, seq: 999, payload: Uint8Array.of(1, 2, 4, 128) }));
  const [ack] = lab.b.take();
  assert.ok(isPureAck(ack));
  assert.equal(ack.ack, (ISN_A + 1) >>> 0);
  assert.equal(lab.b.state, "ESTABLISHED");
});

Deno.test("pathRenewed() resends an unanswered SYN at once and the backoff continues from there", () => {
  const lab = new Lab({ a: { isn: () => ISN_A } });
  lab.a.driver?.run((c) => c.connect());
  lab.a.take();
  lab.clock.advance(400);
  lab.a.driver?.run((c) => c.pathRenewed());
  const [again] = lab.a.take();
  assert.equal(again.flags, FLAG_SYN);
  assert.equal(again.seq, ISN_A);
  assert.equal(lab.a.conn.stats().retransmits, 1);
  // The next retransmission follows the doubled RTO from now: 400 + 2000 ms.
  const times: number[] = [];
  for (let i = 0; i < 5; i++) {
    lab.clock.advance(500);
    for (const p of lab.a.take()) if (p.flags === FLAG_SYN) times.push(lab.clock.monotonic());
  }
  assert.deepEqual(times, [2400]);
});

Deno.test("pathRenewed() sends nothing on an established connection", () => {
  const lab = new Lab({ a: { isn: () => ISN_A }, b: { isn: () => ISN_B } });
  lab.a.driver?.run((c) => c.connect());
  lab.flush();
  assert.equal(lab.a.state, "ESTABLISHED");
  lab.a.driver?.run((c) => c.pathRenewed());
  assert.deepEqual(lab.a.take(), []);
  assert.equal(lab.a.conn.stats().retransmits, 0);
});
