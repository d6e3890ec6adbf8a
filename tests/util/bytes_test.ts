import assert from "node:assert/strict";
import {
  bytesEqual,
  concatBytes,
  constantTimeEqual,
  decodeUtf8Strict,
  fromBase64,
  fromBase64Exact,
  fromHex,
  toBase64,
  toHex,
  u16be,
  u32be,
  u64be,
} from "../../src/util/bytes.ts";

Deno.test("toBase64()/fromBase64() round-trip every length 0-70", () => {
  for (let n = 0; n <= 70; n++) {
    const bytes = Uint8Array.from({ length: n }, (_, i) => (i * 37 + n) & 0xff);
    assert.deepEqual(fromBase64(toBase64(bytes)), bytes);
  }
});

Deno.test("fromBase64() rejects missing padding, url alphabet, whitespace and non-canonical bits", () => {
  for (const bad of ["QQ", "QQ=", "-_-_", "QUJD\n", " QUJD", "QR==", "QUI=x", "Q===", "====="]) {
    assert.equal(fromBase64(bad), null, bad);
  }
  assert.deepEqual(fromBase64("QQ=="), Uint8Array.of(0x41));
});

Deno.test("fromBase64Exact() checks the decoded length and the type", () => {
  const key = toBase64(new Uint8Array(32));
  assert.equal(fromBase64Exact(key, 32)?.length, 32);
  assert.equal(fromBase64Exact(key, 31), null);
  assert.equal(fromBase64Exact(42, 32), null);
});

Deno.test("toHex()/fromHex() round-trip and fromHex() rejects odd or non-hex input", () => {
  assert.equal(toHex(Uint8Array.of(0, 0x0f, 0xab, 0xff)), "000fabff");
  assert.deepEqual(fromHex("000FabfF"), Uint8Array.of(0, 0x0f, 0xab, 0xff));
  assert.throws(() => fromHex("abc"));
  assert.throws(() => fromHex("zz"));
});

Deno.test("concatBytes(), bytesEqual() and constantTimeEqual() agree", () => {
  const joined = concatBytes(Uint8Array.of(1, 2), new Uint8Array(0), Uint8Array.of(3));
  assert.deepEqual(joined, Uint8Array.of(1, 2, 3));
  assert.ok(bytesEqual(joined, Uint8Array.of(1, 2, 3)));
  assert.ok(!bytesEqual(joined, Uint8Array.of(1, 2, 4)));
  assert.ok(constantTimeEqual(joined, Uint8Array.of(1, 2, 3)));
  assert.ok(!constantTimeEqual(joined, Uint8Array.of(1, 2)));
  assert.ok(!constantTimeEqual(joined, Uint8Array.of(0, 2, 3)));
});

Deno.test("u16be/u32be/u64be write big-endian", () => {
  assert.deepEqual(u16be(0x1234), Uint8Array.of(0x12, 0x34));
  assert.deepEqual(u32be(0xf2910004), Uint8Array.of(0xf2, 0x91, 0x00, 0x04));
  assert.deepEqual(u64be(0x0102030405060708n), Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8));
  assert.deepEqual(u64be(2 ** 40 + 5), Uint8Array.of(0, 0, 1, 0, 0, 0, 0, 5));
});

Deno.test("decodeUtf8Strict() returns null for invalid UTF-8", () => {
  assert.equal(decodeUtf8Strict(Uint8Array.of(0x68, 0x69)), "hi");
  assert.equal(decodeUtf8Strict(Uint8Array.of(0xc3, 0x28)), null);
  assert.equal(decodeUtf8Strict(Uint8Array.of(0xed, 0xa0, 0x80)), null); // lone surrogate
});
