// The native (OpenSSL) key derivation, signing and Diffie-Hellman give byte for byte what the pure-JS reference
// (@noble/curves) gives, for seeded random keys and messages of many lengths.
import assert from "node:assert/strict";
import { ed25519 as nobleEd25519, x25519 as nobleX25519 } from "@noble/curves/ed25519.js";
import { ed25519FromSeed, ed25519Sign, ed25519Verify } from "../../src/crypto/ed25519.ts";
import { x25519FromPrivate, x25519Shared } from "../../src/crypto/x25519.ts";
import { nativePrivateKey } from "../../src/crypto/native_keys.ts";
import { Prng } from "../_support/prng.ts";

const CASES = 40;

Deno.test("native Ed25519 key derivation and signatures equal the RFC 8032 reference", () => {
  const prng = new Prng(0x5eed_0001);
  for (let i = 0; i < CASES; i++) {
    const seed = prng.bytes(32);
    const message = prng.bytes(i * 7);
    const pair = ed25519FromSeed(seed);
    assert.deepEqual(pair.publicKey, nobleEd25519.getPublicKey(seed), `case ${i}: public key`);
    const signature = ed25519Sign(seed, message);
    assert.deepEqual(signature, nobleEd25519.sign(message, seed), `case ${i}: signature`);
    assert.ok(ed25519Verify(pair.publicKey, message, signature), `case ${i}: verifies`);
  }
});

Deno.test("native X25519 public keys and shared secrets equal the RFC 7748 reference", () => {
  const prng = new Prng(0x5eed_0002);
  for (let i = 0; i < CASES; i++) {
    const a = prng.bytes(32);
    const b = prng.bytes(32);
    const pub = x25519FromPrivate(b).publicKey;
    assert.deepEqual(x25519FromPrivate(a).publicKey, nobleX25519.getPublicKey(a), `case ${i}: public key`);
    assert.deepEqual(x25519Shared(a, pub), nobleX25519.getSharedSecret(a, pub), `case ${i}: shared secret`);
  }
});

Deno.test("native keys refuse raw keys of the wrong length with a clear error", () => {
  assert.throws(() => ed25519Sign(new Uint8Array(31), new Uint8Array(1)), /32 bytes/);
  assert.throws(() => x25519FromPrivate(new Uint8Array(33)), /32 bytes/);
  assert.throws(() => x25519Shared(new Uint8Array(32), new Uint8Array(31)), /32 bytes/);
  assert.throws(() => nativePrivateKey("ed25519", new Uint8Array(0)), /32 bytes/);
});

Deno.test("a cached private key object follows the array it was made for, not its first contents", () => {
  const seedA = new Uint8Array(32).fill(1);
  const seedB = new Uint8Array(32).fill(2);
  const message = new Uint8Array([1, 2, 3]);
  assert.deepEqual(ed25519Sign(seedA, message), nobleEd25519.sign(message, seedA));
  assert.deepEqual(ed25519Sign(seedB, message), nobleEd25519.sign(message, seedB));
  assert.deepEqual(ed25519Sign(seedA, message), nobleEd25519.sign(message, seedA));
});
