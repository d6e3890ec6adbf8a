// SYN option TLVs (PROTOCOL-BRIEF §7.1) and the SACK payload (§7.4).
import assert from "node:assert/strict";
import {
  decodeSack,
  decodeSynOptions,
  encodeSack,
  encodeSynOptions,
  type Sack,
} from "../../src/wire/stream_options.ts";
import { WireFormatError } from "../../src/wire/errors.ts";
import { toHex } from "../../src/util/bytes.ts";
import { withSeed } from "../_support/prng.ts";

function assertSynRejected(bytes: number[]): void {
  assert.throws(
    () => decodeSynOptions(Uint8Array.from(bytes)),
    (err: unknown) => err instanceof WireFormatError && err.field === "syn_options",
    toHex(Uint8Array.from(bytes)),
  );
}

Deno.test("encodeSynOptions() writes MAX_SEG 1152 as 01 02 04 80 (§2.4)", () => {
  assert.equal(toHex(encodeSynOptions({ maxSeg: 1152 })), "01020480");
  assert.deepEqual(decodeSynOptions(Uint8Array.of(1, 2, 4, 0x80)), { maxSeg: 1152 });
});

Deno.test("decodeSynOptions() skips unknown kinds before and after MAX_SEG", () => {
  assert.deepEqual(decodeSynOptions(Uint8Array.of(9, 0, 7, 3, 1, 2, 3, 1, 2, 0xff, 0xff, 0x20, 1, 0)), {
    maxSeg: 0xffff,
  });
});

Deno.test("decodeSynOptions() accepts exactly 40 bytes and rejects 41", () => {
  const forty = [1, 2, 4, 0x80, 9, 34, ...new Array(34).fill(0)];
  assert.equal(forty.length, 40);
  assert.deepEqual(decodeSynOptions(Uint8Array.from(forty)), { maxSeg: 1152 });
  assertSynRejected([1, 2, 4, 0x80, 9, 35, ...new Array(35).fill(0)]);
});

Deno.test("decodeSynOptions() rejects malformed lists", () => {
  assertSynRejected([]); // MAX_SEG is required
  assertSynRejected([9, 0]); // still missing
  assertSynRejected([1, 2, 4]); // truncated value
  assertSynRejected([1]); // truncated header
  assertSynRejected([1, 2, 4, 0x80, 9]); // trailing half header
  assertSynRejected([1, 3, 4, 0x80, 0]); // MAX_SEG with len 3
  assertSynRejected([1, 2, 4, 0x7f]); // 1151 < 1152
  assertSynRejected([1, 2, 4, 0x80, 1, 2, 4, 0x80]); // duplicate
  assertSynRejected([9, 5, 0, 0]); // unknown kind overruns
});

Deno.test("encodeSynOptions() refuses MAX_SEG outside 1152..65535", () => {
  assert.throws(() => encodeSynOptions({ maxSeg: 1151 }), WireFormatError);
  assert.throws(() => encodeSynOptions({ maxSeg: 65536 }), WireFormatError);
});

Deno.test("encodeSack() lays out count, flags and blocks", () => {
  const sack: Sack = { dsack: true, blocks: [{ left: 1, right: 0xffffffff }, { left: 0x10, right: 0x20 }] };
  assert.equal(toHex(encodeSack(sack)), "0201" + "00000001ffffffff" + "0000001000000020");
  assert.deepEqual(decodeSack(encodeSack(sack)), sack);
});

Deno.test("decodeSack() requires count 1-8 and length exactly 2 + 8 x count", () => {
  const bad = (bytes: Uint8Array) =>
    assert.throws(() => decodeSack(bytes), (e: unknown) => e instanceof WireFormatError && e.field === "bad_sack");
  bad(new Uint8Array(0));
  bad(Uint8Array.of(1));
  bad(Uint8Array.of(0, 0));
  bad(new Uint8Array([9, 0, ...new Array(72).fill(0)]));
  bad(new Uint8Array([1, 0, ...new Array(7).fill(0)]));
  bad(new Uint8Array([1, 0, ...new Array(9).fill(0)]));
  bad(new Uint8Array([2, 0, ...new Array(8).fill(0)]));
  assert.equal(decodeSack(new Uint8Array([8, 0, ...new Array(64).fill(0)])).blocks.length, 8);
});

Deno.test("decodeSack() reads only bit 0 of flags", () => {
  assert.equal(decodeSack(new Uint8Array([1, 0xfe, ...new Array(8).fill(0)])).dsack, false);
  assert.equal(decodeSack(new Uint8Array([1, 0xff, ...new Array(8).fill(0)])).dsack, true);
});

Deno.test("encodeSack() refuses 0 or 9 blocks and non-u32 edges", () => {
  assert.throws(() => encodeSack({ dsack: false, blocks: [] }), WireFormatError);
  assert.throws(() => encodeSack({ dsack: false, blocks: new Array(9).fill({ left: 0, right: 1 }) }), WireFormatError);
  assert.throws(() => encodeSack({ dsack: false, blocks: [{ left: -1, right: 1 }] }), WireFormatError);
});

Deno.test("decodeSack(encodeSack(s)) round-trips random SACKs", () =>
  withSeed((rng) => {
    for (let i = 0; i < 1000; i++) {
      const blocks = Array.from({ length: rng.int(1, 8) }, () => ({ left: rng.u32(), right: rng.u32() }));
      const s: Sack = { dsack: rng.bool(), blocks };
      assert.deepEqual(decodeSack(encodeSack(s)), s);
    }
  }));
