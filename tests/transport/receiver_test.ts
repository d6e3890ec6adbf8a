import assert from "node:assert/strict";
import { Receiver } from "../../src/transport/receiver.ts";

const UNIT = 1152;

Deno.test("Receiver advertises free buffer in 1152-byte units, rounded down", () => {
  const r = new Receiver(2 * 1024 * 1024);
  assert.equal(r.windowUnits(), 1820);
  r.accept(1, new Uint8Array(1000), false, 0);
  assert.equal(r.windowUnits(), Math.floor((2 * 1024 * 1024 - 1000) / UNIT));
});

Deno.test("Receiver accepts only segments overlapping the window; with a zero window only empty ones at RCV.NXT", () => {
  const r = new Receiver(2 * UNIT);
  r.onAckSent(r.windowUnits(), false);
  assert.equal(r.isAcceptable(1, 100), true);
  assert.equal(r.isAcceptable(1 + 2 * UNIT, 100), false);
  assert.equal(r.isAcceptable(0, 1), false); // entirely old
  r.accept(1, new Uint8Array(2 * UNIT), false, 0);
  r.onAckSent(r.windowUnits(), false);
  assert.equal(r.windowUnits(), 0);
  assert.equal(r.isAcceptable(r.rcvNxt, 1), false); // a zero-window probe byte is refused
  assert.equal(r.isAcceptable(r.rcvNxt, 0), true);
  assert.equal(r.isAcceptable(r.rcvNxt + 1, 0), true); // an ACK sent after that probe byte
  assert.equal(r.isAcceptable(r.rcvNxt + 2, 0), false);
  assert.equal(r.isAcceptable(r.rcvNxt - 1, 0), false); // a keepalive (Seq = RCV.NXT − 1)
});

Deno.test("Receiver delays the ACK of one full segment by 5 ms and ACKs the second at once", () => {
  const r = new Receiver(2 * 1024 * 1024);
  r.accept(1, new Uint8Array(UNIT), false, 100);
  assert.equal(r.ackNow, false);
  assert.equal(r.delackAt, 105);
  r.accept(1 + UNIT, new Uint8Array(UNIT), false, 101);
  assert.equal(r.ackNow, true);
});

Deno.test("Receiver ACKs at once for out-of-order, hole-filling and duplicate data and for FIN", () => {
  const r = new Receiver(2 * 1024 * 1024);
  r.accept(1 + UNIT, new Uint8Array(UNIT), false, 0);
  assert.equal(r.ackNow, true);
  assert.equal(r.hasSackInfo, true);
  r.onAckSent(r.windowUnits(), true);
  r.accept(1, new Uint8Array(UNIT), false, 0);
  assert.equal(r.ackNow, true); // filled the hole
  r.onAckSent(r.windowUnits(), true);
  r.noteDuplicate(1, 10);
  assert.equal(r.ackNow, true);
  assert.deepEqual(r.sackReport(), { dsack: true, blocks: [{ start: 1, end: 11 }] });
  r.onAckSent(r.windowUnits(), true);
  assert.equal(r.sackReport(), null);
  r.accept(r.rcvNxt, new Uint8Array(0), true, 0);
  assert.equal(r.takeFin(), true);
  assert.equal(r.ackNow, true);
});

Deno.test("Receiver sends a window update when space grows by 2 units and always when leaving zero", () => {
  const r = new Receiver(10 * UNIT);
  r.accept(1, new Uint8Array(10 * UNIT), false, 0);
  r.onAckSent(r.windowUnits(), false);
  assert.equal(r.windowUnits(), 0);
  assert.equal(r.credit(UNIT), true); // leaving zero
  r.onAckSent(r.windowUnits(), false);
  assert.equal(r.credit(UNIT), false); // one more unit: not yet
  assert.equal(r.credit(UNIT), true); // two units since the last advertisement
});

Deno.test("Receiver caps SACK reports at 8 blocks, the D-SACK first", () => {
  const r = new Receiver(2 * 1024 * 1024);
  for (let k = 0; k < 10; k++) r.accept(1 + 2 * UNIT * (k + 1), new Uint8Array(UNIT), false, 0);
  assert.equal(r.sackReport()?.blocks.length, 8);
  r.noteDuplicate(0, 0);
  r.accept(1 + 2 * UNIT, new Uint8Array(UNIT), false, 0); // duplicate of a held segment
  const rep = r.sackReport();
  assert.equal(rep?.dsack, true);
  assert.equal(rep?.blocks.length, 8);
  assert.deepEqual(rep?.blocks[0], { start: 1 + 2 * UNIT, end: 1 + 3 * UNIT });
});
