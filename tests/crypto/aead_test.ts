// The per-packet AEAD (PROTOCOL-BRIEF §3.5): Noise nonce layout, tag handling, counter bounds, and agreement of the
// native, WebCrypto and noble paths.
import assert from "node:assert/strict";
import { gcm } from "@noble/ciphers/aes.js";
import {
  aesGcmOpen,
  aesGcmSeal,
  counterNonce,
  createAead,
  createAsyncAead,
  createNobleAead,
  MAX_AEAD_COUNTER,
} from "../../src/crypto/aead.ts";
import { fromHex, toHex } from "../../src/util/bytes.ts";
import { InvalidArgumentError } from "../../src/util/errors.ts";

const KEY = fromHex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
const AAD = fromHex("50494c530000000100000000000000ff");

Deno.test("counterNonce() is four zero bytes then the counter big-endian", () => {
  assert.equal(toHex(counterNonce(0n)), "000000000000000000000000");
  assert.equal(toHex(counterNonce(0x0102030405060708n)), "000000000102030405060708");
  assert.equal(toHex(counterNonce(MAX_AEAD_COUNTER)), "00000000fffffffffffffffe");
  assert.throws(() => counterNonce(-1n), InvalidArgumentError);
  assert.throws(() => counterNonce(MAX_AEAD_COUNTER + 1n), InvalidArgumentError);
});

Deno.test("createAead().seal() equals AES-256-GCM with the counter nonce, tag appended", () => {
  const plaintext = new TextEncoder().encode("hello, overlay");
  const sealed = createAead(KEY).seal(7n, plaintext, AAD);
  assert.equal(sealed.length, plaintext.length + 16);
  const reference = gcm(KEY, fromHex("000000000000000000000007"), AAD).encrypt(plaintext);
  assert.equal(toHex(sealed), toHex(reference));
});

Deno.test("createAead() seals an empty plaintext to a bare 16-byte tag that opens to empty", () => {
  const aead = createAead(KEY);
  const sealed = aead.seal(0n, new Uint8Array(0), AAD);
  assert.equal(sealed.length, 16);
  const opened = aead.open(0n, sealed, AAD);
  assert.ok(opened !== null);
  assert.equal(opened.length, 0);
});

Deno.test("createAead().open() returns null for a changed byte, counter, AAD or key, and for short input", () => {
  const aead = createAead(KEY);
  const plaintext = crypto.getRandomValues(new Uint8Array(100));
  const sealed = aead.seal(42n, plaintext, AAD);
  assert.deepEqual(aead.open(42n, sealed, AAD), plaintext);
  for (const index of [0, 50, sealed.length - 16, sealed.length - 1]) {
    const bad = sealed.slice();
    bad[index] ^= 0x01;
    assert.equal(aead.open(42n, bad, AAD), null, `flipped byte ${index}`);
  }
  assert.equal(aead.open(43n, sealed, AAD), null);
  const otherAad = AAD.slice();
  otherAad[15] ^= 1;
  assert.equal(aead.open(42n, sealed, otherAad), null);
  const otherKey = KEY.slice();
  otherKey[0] ^= 1;
  assert.equal(createAead(otherKey).open(42n, sealed, AAD), null);
  assert.equal(aead.open(42n, sealed.subarray(0, 15), AAD), null);
  assert.equal(aead.open(-1n, sealed, AAD), null);
  assert.equal(aead.open(1n << 64n, sealed, AAD), null);
});

Deno.test("createAead().open() returns a plain Uint8Array the caller may keep", () => {
  const aead = createAead(KEY);
  const opened = aead.open(1n, aead.seal(1n, Uint8Array.of(1, 2, 3), AAD), AAD);
  assert.ok(opened !== null);
  assert.equal(Object.getPrototypeOf(opened), Uint8Array.prototype);
  assert.equal(opened.byteOffset, 0);
  assert.equal(opened.buffer.byteLength, 3);
});

Deno.test("createAead().seal() refuses counters outside 0 .. 2^64 - 2", () => {
  const aead = createAead(KEY);
  assert.throws(() => aead.seal(-1n, new Uint8Array(1), AAD), InvalidArgumentError);
  assert.throws(() => aead.seal((1n << 64n) - 1n, new Uint8Array(1), AAD), InvalidArgumentError);
});

Deno.test("createAead() refuses a key that is not 32 bytes", () => {
  assert.throws(() => createAead(new Uint8Array(16)), InvalidArgumentError);
  assert.throws(() => createNobleAead(new Uint8Array(33)), InvalidArgumentError);
});

Deno.test("createAead() copies the key, so later changes to the caller's array do not matter", () => {
  const key = KEY.slice();
  const aead = createAead(key);
  const before = aead.seal(3n, Uint8Array.of(9), AAD);
  key.fill(0);
  assert.equal(toHex(aead.seal(3n, Uint8Array.of(9), AAD)), toHex(before));
});

Deno.test("native, noble and async AEADs produce and accept the same bytes for sizes 0..1300", async () => {
  const native = createAead(KEY);
  const noble = createNobleAead(KEY);
  const webCrypto = await createAsyncAead(KEY);
  for (const size of [0, 1, 15, 16, 17, 255, 1218, 1300]) {
    const plaintext = crypto.getRandomValues(new Uint8Array(size));
    const counter = BigInt(size) * 1_000_003n;
    const a = native.seal(counter, plaintext, AAD);
    assert.equal(toHex(noble.seal(counter, plaintext, AAD)), toHex(a), `size ${size}`);
    assert.equal(toHex(await webCrypto.seal(counter, plaintext, AAD)), toHex(a), `size ${size}`);
    assert.deepEqual(noble.open(counter, a, AAD), plaintext);
    assert.deepEqual(await webCrypto.open(counter, a, AAD), plaintext);
    const bad = a.slice();
    bad[bad.length - 1] ^= 0x80;
    assert.equal(native.open(counter, bad, AAD), null);
    assert.equal(noble.open(counter, bad, AAD), null);
    assert.equal(await webCrypto.open(counter, bad, AAD), null);
  }
  await assert.rejects(webCrypto.seal(-1n, new Uint8Array(1), AAD), InvalidArgumentError);
});

Deno.test("aesGcmSeal() / aesGcmOpen() round-trip with an explicit nonce and refuse other nonce sizes", () => {
  const nonce = fromHex("0102030405060708090a0b0c");
  const cookie = fromHex("00112233445566778899aabbccddeeff");
  const sealed = aesGcmSeal(KEY, nonce, cookie, AAD);
  assert.equal(sealed.length, 32);
  assert.equal(toHex(sealed), toHex(gcm(KEY, nonce, AAD).encrypt(cookie)));
  assert.deepEqual(aesGcmOpen(KEY, nonce, sealed, AAD), cookie);
  assert.equal(aesGcmOpen(KEY, nonce, sealed, new Uint8Array(16)), null);
  assert.throws(() => aesGcmSeal(KEY, new Uint8Array(8), cookie, AAD), InvalidArgumentError);
  assert.throws(() => aesGcmOpen(KEY, new Uint8Array(16), sealed, AAD), InvalidArgumentError);
});
