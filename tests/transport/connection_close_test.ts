import assert from "node:assert/strict";
import { RST_ABORTED } from "../../src/transport/rst.ts";
import { FLAG_ACK, FLAG_FIN, FLAG_RST, FLAG_SYN } from "../../src/wire/mod.ts";
import { craft, isFin, isPureAck, Lab } from "./lab.ts";

const ISN_A = 0x01000000;
const ISN_B = 0x02000000;

function openLab(): Lab {
  const lab = new Lab({ a: { isn: () => ISN_A }, b: { isn: () => ISN_B } });
  lab.open();
  return lab;
}

Deno.test("half-close: after a's FIN, b keeps sending and a keeps receiving until b's FIN", () => {
  const lab = openLab();
  lab.a.write("request");
  lab.a.driver?.run((c) => c.closeWrite());
  lab.flush();
  assert.equal(lab.a.state, "FIN_WAIT_2");
  assert.equal(lab.b.state, "CLOSE_WAIT");
  assert.equal(lab.b.eof, true);
  assert.equal(lab.b.received(), "request");
  lab.b.write("response, part 1;");
  lab.flush();
  lab.b.write(" part 2");
  lab.clock.advance(10);
  lab.flush();
  lab.b.driver?.run((c) => c.closeWrite());
  lab.flush();
  assert.equal(lab.a.received(), "response, part 1; part 2");
  assert.equal(lab.a.eof, true);
  assert.equal(lab.a.state, "TIME_WAIT");
  assert.equal(lab.b.state, "CLOSED");
  assert.deepEqual(lab.b.closed, { kind: "normal" });
  assert.deepEqual(lab.a.states, ["SYN_SENT", "ESTABLISHED", "FIN_WAIT_1", "FIN_WAIT_2", "TIME_WAIT"]);
  assert.deepEqual(lab.b.states, ["SYN_RCVD", "ESTABLISHED", "CLOSE_WAIT", "LAST_ACK", "CLOSED"]);
});

Deno.test("the FIN goes out only after all queued data", () => {
  const lab = openLab();
  lab.a.write(new Uint8Array(5000));
  lab.a.driver?.run((c) => c.closeWrite());
  const sent = lab.a.take();
  const finIdx = sent.findIndex(isFin);
  assert.equal(finIdx, sent.length - 1);
  const dataBytes = sent.reduce((n, p) => n + p.payload.length, 0);
  assert.equal(dataBytes, 5000);
  assert.equal(sent[finIdx].seq, (ISN_A + 1 + 5000 - sent[finIdx].payload.length) >>> 0);
});

Deno.test("simultaneous close: crossing FINs lead both sides through CLOSING to TIME_WAIT", () => {
  const lab = openLab();
  lab.a.driver?.run((c) => c.closeWrite());
  lab.b.driver?.run((c) => c.closeWrite());
  const finA = lab.a.take();
  const finB = lab.b.take();
  for (const p of finA) lab.deliver("b", p);
  for (const p of finB) lab.deliver("a", p);
  assert.equal(lab.a.state, "CLOSING");
  assert.equal(lab.b.state, "CLOSING");
  lab.flush();
  assert.equal(lab.a.state, "TIME_WAIT");
  assert.equal(lab.b.state, "TIME_WAIT");
  assert.equal(lab.a.eof && lab.b.eof, true);
});

Deno.test("TIME_WAIT lasts 30 s, re-ACKs a retransmitted FIN and restarts", () => {
  const lab = openLab();
  lab.a.driver?.run((c) => c.closeWrite());
  lab.flush();
  lab.b.driver?.run((c) => c.closeWrite());
  const [finB] = lab.b.take();
  lab.deliver("a", finB);
  assert.equal(lab.a.state, "TIME_WAIT");
  lab.a.take(); // the ACK of the FIN is lost
  lab.clock.advance(20_000);
  lab.deliver("a", finB); // b retransmits its FIN
  const [reack] = lab.a.take();
  assert.ok(isPureAck(reack));
  assert.equal(reack.ack, (ISN_B + 2) >>> 0);
  lab.clock.advance(29_000);
  assert.equal(lab.a.state, "TIME_WAIT");
  lab.clock.advance(1_000);
  assert.equal(lab.a.state, "CLOSED");
  assert.deepEqual(lab.a.closed, { kind: "normal" });
});

Deno.test("TIME_WAIT accepts a new SYN only if its ISN is after the old RCV.NXT", () => {
  const lab = openLab();
  lab.a.write("x");
  lab.a.driver?.run((c) => c.closeWrite());
  lab.flush();
  lab.b.driver?.run((c) => c.closeWrite());
  lab.flush();
  // b ended in CLOSED; a is in TIME_WAIT with RCV.NXT = ISN_B + 2.
  assert.equal(lab.a.state, "TIME_WAIT");
  const synAfter = craft("b", { flags: FLAG_SYN, seq: ISN_B + 1000, payload: Uint8Array.of(1, 2, 4, 128) });
  const synBefore = craft("b", { flags: FLAG_SYN, seq: ISN_B - 1000, payload: Uint8Array.of(1, 2, 4, 128) });
  assert.equal(lab.a.conn.acceptsNewSyn(synAfter), true);
  assert.equal(lab.a.conn.acceptsNewSyn(synBefore), false);
  assert.equal(lab.b.conn.acceptsNewSyn(synAfter), false); // not in TIME_WAIT
});

Deno.test("LAST_ACK closes on the ACK of its FIN; FIN is retransmitted when that ACK is lost", () => {
  const lab = openLab();
  lab.a.driver?.run((c) => c.closeWrite());
  lab.flush();
  lab.b.driver?.run((c) => c.closeWrite());
  lab.flush((_p, from) => from === "a"); // a's ACK of b's FIN is lost
  assert.equal(lab.b.state, "LAST_ACK");
  lab.clock.advance(1000);
  const again = lab.b.take();
  assert.ok(again.some(isFin));
  for (const p of again) lab.deliver("a", p);
  lab.flush();
  assert.equal(lab.b.state, "CLOSED");
});

Deno.test("abort() sends RST|ACK with reason 5 and Seq = SND.NXT; the peer closes with that reason", () => {
  const lab = openLab();
  lab.a.driver?.run((c) => c.abort());
  const [rst] = lab.a.take();
  assert.equal(rst.flags, FLAG_RST | FLAG_ACK);
  assert.equal(rst.seq, (ISN_A + 1) >>> 0);
  assert.deepEqual([...rst.payload], [RST_ABORTED]);
  assert.deepEqual(lab.a.closed, { kind: "aborted", rst: RST_ABORTED });
  lab.deliver("b", rst);
  assert.deepEqual(lab.b.closed, { kind: "reset", rst: RST_ABORTED });
});

Deno.test("data arriving after a full close is answered with RST 5", () => {
  const lab = openLab();
  lab.a.driver?.run((c) => c.close());
  lab.flush();
  assert.equal(lab.a.state, "FIN_WAIT_2");
  lab.b.write("too late");
  lab.flush();
  assert.deepEqual(lab.a.closed, { kind: "aborted", rst: RST_ABORTED });
  assert.deepEqual(lab.b.closed, { kind: "reset", rst: RST_ABORTED });
});

Deno.test("FIN_WAIT_2 is abandoned after 60 s when the application closed fully", () => {
  const lab = openLab();
  lab.a.driver?.run((c) => c.close());
  lab.flush();
  assert.equal(lab.a.state, "FIN_WAIT_2");
  lab.clock.advance(59_000);
  lab.flush();
  assert.equal(lab.a.state, "FIN_WAIT_2");
  lab.clock.advance(1_000);
  assert.equal(lab.a.state, "CLOSED");
});

Deno.test("FIN_WAIT_2 after a half-close waits for the peer (kept alive by keepalives)", () => {
  const lab = openLab();
  lab.a.driver?.run((c) => c.closeWrite());
  lab.flush();
  for (let i = 0; i < 10; i++) {
    lab.clock.advance(20_000);
    lab.flush();
  }
  assert.equal(lab.a.state, "FIN_WAIT_2");
  lab.b.write("late but welcome");
  lab.clock.advance(10);
  lab.flush();
  assert.equal(lab.a.received(), "late but welcome");
});

Deno.test("a FIN received out of order is held until the data before it arrives", () => {
  const lab = openLab();
  lab.b.write("hello");
  const data = lab.b.take();
  lab.b.driver?.run((c) => c.closeWrite());
  const fin = lab.b.take();
  assert.equal(fin.length, 1);
  assert.equal(fin[0].flags, FLAG_ACK | FLAG_FIN);
  lab.deliver("a", fin[0]);
  assert.equal(lab.a.eof, false);
  assert.equal(lab.a.state, "ESTABLISHED");
  for (const p of data) lab.deliver("a", p);
  assert.equal(lab.a.eof, true);
  assert.equal(lab.a.state, "CLOSE_WAIT");
  assert.equal(lab.a.received(), "hello");
});
