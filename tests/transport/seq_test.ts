import assert from "node:assert/strict";
import { seqAdd, seqGe, seqGt, seqLe, seqLt, seqSignedDiff, unwrapSeq, wrapSeq } from "../../src/transport/seq.ts";

Deno.test("seqGt() follows (a − b) mod 2^32 ∈ [1, 2^31)", () => {
  assert.equal(seqGt(1, 0), true);
  assert.equal(seqGt(0, 1), false);
  assert.equal(seqGt(5, 5), false);
  assert.equal(seqGt(0x7fffffff, 0), true);
  // Exactly half the space apart: neither is after the other.
  assert.equal(seqGt(0x80000000, 0), false);
  assert.equal(seqGt(0, 0x80000000), false);
});

Deno.test("serial comparisons hold across the 2^32 wrap", () => {
  assert.equal(seqGt(0x00000005, 0xfffffff0), true);
  assert.equal(seqLt(0xfffffff0, 0x00000005), true);
  assert.equal(seqGe(0x00000005, 0x00000005), true);
  assert.equal(seqLe(0xffffffff, 0x00000000), true);
  assert.equal(seqAdd(0xffffffff, 2), 1);
  assert.equal(seqSignedDiff(3, 0xfffffffe), 5);
  assert.equal(seqSignedDiff(0xfffffffe, 3), -5);
});

Deno.test("unwrapSeq() maps wire numbers to the offset nearest the reference", () => {
  const iss = 0xfffffff0;
  // 0x20 bytes after an ISN near 2^32 wraps to 0x10 on the wire.
  assert.equal(wrapSeq(iss, 0x20), 0x10);
  assert.equal(unwrapSeq(0x10, 0x18, wrapSeq(iss, 0x18)), 0x20);
  assert.equal(unwrapSeq(wrapSeq(iss, 5), 0x18, wrapSeq(iss, 0x18)), 5);
  // Offsets far beyond 2^32 still wrap exactly.
  const big = 3 * 0x1_0000_0000 + 77;
  assert.equal(unwrapSeq(wrapSeq(iss, big), big - 1000, wrapSeq(iss, big - 1000)), big);
});
