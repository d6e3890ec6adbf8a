// CRC-32/ISO-HDLC (PROTOCOL-BRIEF §0, §2.2).
import assert from "node:assert/strict";
import { crc32, crc32Zeros } from "../../src/wire/crc32.ts";
import { utf8 } from "../../src/util/bytes.ts";
import { withSeed } from "../_support/prng.ts";

// Bit-at-a-time reference, independent of the table code.
function crc32Reference(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}

Deno.test('crc32() gives the check value 0xCBF43926 for "123456789"', () => {
  assert.equal(crc32(utf8("123456789")), 0xcbf43926);
});

Deno.test("crc32() of nothing is 0 and of known strings matches zlib", () => {
  assert.equal(crc32(new Uint8Array(0)), 0);
  assert.equal(crc32(utf8("The quick brown fox jumps over the lazy dog")), 0x414fa339);
  assert.equal(crc32(new Uint8Array(32)), 0x190a55ad);
});

Deno.test("crc32() matches a bitwise reference for every length 0..64 and random data", () =>
  withSeed((rng) => {
    for (let n = 0; n <= 64; n++) {
      const b = rng.bytes(n);
      assert.equal(crc32(b), crc32Reference(b), `length ${n}`);
    }
    for (let i = 0; i < 50; i++) {
      const b = rng.bytes(rng.int(0, 3000));
      assert.equal(crc32(b), crc32Reference(b));
    }
  }));

Deno.test("crc32() over a range chains like crc32 of the concatenation", () =>
  withSeed((rng) => {
    for (let i = 0; i < 200; i++) {
      const b = rng.bytes(rng.int(0, 200));
      const cut = rng.int(0, b.length);
      const start = rng.int(0, cut);
      assert.equal(crc32(b, start, b.length), crc32(b, cut, b.length, crc32(b, start, cut)));
      assert.equal(crc32(b, start, cut), crc32(b.subarray(start, cut)));
    }
  }));

Deno.test("crc32Zeros() equals crc32 over a buffer of zeros", () => {
  const prefix = utf8("abc");
  for (const n of [0, 1, 4, 9, 100]) {
    const all = new Uint8Array(3 + n);
    all.set(prefix);
    assert.equal(crc32Zeros(n, crc32(prefix)), crc32(all));
  }
});
