import assert from "node:assert/strict";
import { Reassembly } from "../../src/transport/reassembly.ts";

const bytes = (start: number, len: number) => Uint8Array.from({ length: len }, (_, i) => (start + i) & 0xff);
const joined = (parts: Uint8Array[]) => parts.flatMap((p) => [...p]);

Deno.test("Reassembly releases in-order data at once", () => {
  const r = new Reassembly(1);
  const out = r.insert(1, bytes(1, 10));
  assert.deepEqual(joined(out.delivered), [...bytes(1, 10)]);
  assert.equal(r.rcvNxt, 11);
  assert.equal(out.outOfOrder, false);
  assert.equal(out.duplicate, null);
});

Deno.test("Reassembly holds out-of-order data and releases it when the hole fills", () => {
  const r = new Reassembly(1);
  assert.equal(r.insert(21, bytes(21, 10)).outOfOrder, true);
  assert.equal(r.insert(11, bytes(11, 5)).outOfOrder, true);
  assert.equal(r.oooBytes, 15);
  const out = r.insert(1, bytes(1, 10));
  assert.equal(out.filledHole, true);
  assert.deepEqual(joined(out.delivered), [...bytes(1, 15)]);
  assert.equal(r.rcvNxt, 16);
  const rest = r.insert(16, bytes(16, 5));
  assert.deepEqual(joined(rest.delivered), [...bytes(16, 15)]);
  assert.equal(r.rcvNxt, 31);
  assert.equal(r.oooBytes, 0);
});

Deno.test("Reassembly trims overlaps byte-accurately for re-segmented retransmissions", () => {
  const r = new Reassembly(1);
  r.insert(11, bytes(11, 10)); // [11, 21)
  r.insert(31, bytes(31, 10)); // [31, 41)
  // One big retransmission covering both holes and the held data.
  const out = r.insert(5, bytes(5, 40)); // [5, 45): [1, 5) still missing
  assert.equal(out.delivered.length, 0);
  assert.deepEqual(out.duplicate, { start: 11, end: 21 });
  assert.equal(r.oooBytes, 40);
  const all = r.insert(1, bytes(1, 4));
  assert.deepEqual(joined(all.delivered), [...bytes(1, 44)]);
});

Deno.test("Reassembly reports old data as a duplicate (D-SACK) and delivers nothing", () => {
  const r = new Reassembly(1);
  r.insert(1, bytes(1, 100));
  const dup = r.insert(50, bytes(50, 20));
  assert.deepEqual(dup.duplicate, { start: 50, end: 70 });
  assert.equal(dup.delivered.length, 0);
  const partial = r.insert(90, bytes(90, 20));
  assert.deepEqual(partial.duplicate, { start: 90, end: 101 });
  assert.deepEqual(joined(partial.delivered), [...bytes(101, 9)]);
});

Deno.test("Reassembly lists SACK blocks most recent first, at most the limit", () => {
  const r = new Reassembly(1);
  for (let k = 0; k < 10; k++) r.insert(101 + 100 * k, bytes(0, 10));
  const blocks = r.sackBlocks(8);
  assert.equal(blocks.length, 8);
  assert.deepEqual(blocks[0], { start: 1001, end: 1011 });
  assert.deepEqual(blocks[1], { start: 901, end: 911 });
  // A new arrival joining an old block moves that block to the front.
  r.insert(111, bytes(0, 10));
  assert.deepEqual(r.sackBlocks(8)[0], { start: 101, end: 121 });
});

Deno.test("Reassembly.truncateAt() drops data beyond a FIN", () => {
  const r = new Reassembly(1);
  r.insert(11, bytes(11, 20));
  r.truncateAt(21);
  assert.equal(r.oooBytes, 10);
  assert.deepEqual(r.sackBlocks(8), [{ start: 11, end: 21 }]);
});
