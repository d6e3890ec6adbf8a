import assert from "node:assert/strict";
import { ed25519 } from "@noble/curves/ed25519.js";
import {
  ed25519Sign,
  ed25519Verify,
  ed25519VerifyReference,
  generateEd25519,
  SMALL_ORDER_ENCODINGS,
} from "../../src/crypto/ed25519.ts";
import { concatBytes } from "../../src/util/bytes.ts";
import { withSeed } from "../_support/prng.ts";

Deno.test("every listed small-order encoding is small-order or not a canonical point", () => {
  assert.equal(SMALL_ORDER_ENCODINGS.length, 10);
  let decodable = 0;
  for (const enc of SMALL_ORDER_ENCODINGS) {
    let point;
    try {
      point = ed25519.Point.fromBytes(enc, false);
    } catch {
      continue; // x = 0 with the sign bit set: no canonical point
    }
    decodable++;
    assert.ok(point.isSmallOrder());
  }
  // The 8-torsion subgroup has exactly 8 points.
  assert.equal(decodable, 8);
});

Deno.test("ed25519Verify() rejects a signature whose R or key is small-order even when noble's loose mode accepts", () => {
  const msg = new TextEncoder().encode("m");
  const identity = SMALL_ORDER_ENCODINGS[0];
  // A = identity, R = identity, S = 0 satisfies the verification equation for every message.
  const sig = concatBytes(identity, new Uint8Array(32));
  assert.equal(ed25519Verify(identity, msg, sig), false);
  assert.equal(ed25519VerifyReference(identity, msg, sig), false);
});

Deno.test("ed25519Verify() rejects S + L (malleability) and non-canonical R", () => {
  const k = generateEd25519();
  const msg = new TextEncoder().encode("hello");
  const sig = ed25519Sign(k.seed, msg);
  assert.ok(ed25519Verify(k.publicKey, msg, sig));
  const L = (1n << 252n) + 27742317777372353535851937790883648493n;
  let s = 0n;
  for (let i = 31; i >= 0; i--) s = (s << 8n) | BigInt(sig[32 + i]);
  const bumped = sig.slice();
  let t = s + L;
  for (let i = 0; i < 32; i++) {
    bumped[32 + i] = Number(t & 0xffn);
    t >>= 8n;
  }
  assert.equal(ed25519Verify(k.publicKey, msg, bumped), false);
  assert.equal(ed25519VerifyReference(k.publicKey, msg, bumped), false);
});

Deno.test("native and reference verify agree on random and mutated signatures", () =>
  withSeed((prng) => {
    for (let i = 0; i < 150; i++) {
      const k = generateEd25519();
      const msg = prng.bytes(prng.int(0, 64));
      const sig = ed25519Sign(k.seed, msg);
      const key = k.publicKey.slice();
      const mutated = sig.slice();
      switch (i % 4) {
        case 0:
          break;
        case 1:
          mutated[prng.int(0, 63)] ^= 1 << prng.int(0, 7);
          break;
        case 2:
          key[prng.int(0, 31)] ^= 1 << prng.int(0, 7);
          break;
        default:
          mutated.set(prng.bytes(32), prng.bool() ? 0 : 32);
      }
      assert.equal(ed25519Verify(key, msg, mutated), ed25519VerifyReference(key, msg, mutated), `case ${i}`);
    }
  }));
