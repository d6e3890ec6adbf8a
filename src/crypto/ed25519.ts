// Ed25519 (RFC 8032) with strict verification: canonical S < L, canonical point encodings, small-order A and R
// rejected (PROTOCOL-BRIEF §0). This is the one verify function used everywhere.
//
// The strict checks are done here on the encodings; the curve arithmetic of key derivation, signing and verification
// runs natively in node:crypto (OpenSSL): verify 36 µs vs 350 µs and sign 13 µs vs 385 µs in pure JS. The Wycheproof
// vectors check that this path accepts and rejects exactly what @noble/curves' strict mode (`zip215: false`, kept
// below as the reference) does.
import { ed25519 } from "@noble/curves/ed25519.js";
import { type KeyObject, randomBytes, sign as nativeSign, verify as nativeVerify } from "node:crypto";
import { nativePrivateKey, nativePublicKey, nativeRawPublicKey } from "./native_keys.ts";

export const ED25519_PUBLIC_KEY_BYTES = 32;
export const ED25519_SEED_BYTES = 32;
export const ED25519_SIGNATURE_BYTES = 64;

export interface Ed25519KeyPair {
  /** The 32-byte seed (RFC 8032 private key). */
  readonly seed: Uint8Array;
  readonly publicKey: Uint8Array;
}

export function generateEd25519(): Ed25519KeyPair {
  return ed25519FromSeed(new Uint8Array(randomBytes(ED25519_SEED_BYTES)));
}

export function ed25519FromSeed(seed: Uint8Array): Ed25519KeyPair {
  if (seed.length !== ED25519_SEED_BYTES) throw new Error(`ed25519 seed must be 32 bytes, got ${seed.length}`);
  return { seed, publicKey: nativeRawPublicKey("ed25519", seed) };
}

/** RFC 8032 signature (deterministic: the same seed and message always give the same 64 bytes). */
export function ed25519Sign(seed: Uint8Array, message: Uint8Array): Uint8Array {
  if (seed.length !== ED25519_SEED_BYTES) throw new Error(`ed25519 seed must be 32 bytes, got ${seed.length}`);
  return new Uint8Array(nativeSign(null, message, nativePrivateKey("ed25519", seed)));
}

/** The group order L, little-endian, for the canonical-S check. */
const ORDER_L_LE = Uint8Array.from([
  0xed,
  0xd3,
  0xf5,
  0x5c,
  0x1a,
  0x63,
  0x12,
  0x58,
  0xd6,
  0x9c,
  0xf7,
  0xa2,
  0xde,
  0xf9,
  0xde,
  0x14,
  0x00,
  0x00,
  0x00,
  0x00,
  0x00,
  0x00,
  0x00,
  0x00,
  0x00,
  0x00,
  0x00,
  0x00,
  0x00,
  0x00,
  0x00,
  0x10,
]);

/** The field prime p = 2^255 − 19, little-endian, for the canonical-y check. */
const FIELD_P_LE = Uint8Array.from([
  0xed,
  0xff,
  0xff,
  0xff,
  0xff,
  0xff,
  0xff,
  0xff,
  0xff,
  0xff,
  0xff,
  0xff,
  0xff,
  0xff,
  0xff,
  0xff,
  0xff,
  0xff,
  0xff,
  0xff,
  0xff,
  0xff,
  0xff,
  0xff,
  0xff,
  0xff,
  0xff,
  0xff,
  0xff,
  0xff,
  0xff,
  0x7f,
]);

function hex(text: string): Uint8Array {
  return Uint8Array.from(text.match(/../g)!.map((b) => parseInt(b, 16)));
}

/**
 * Every canonical encoding of a point of small order (the 8-torsion subgroup), plus the two encodings of x = 0 with
 * the sign bit set. tests/crypto/ed25519_test.ts proves each is small-order (or undecodable) with noble.
 */
export const SMALL_ORDER_ENCODINGS: readonly Uint8Array[] = [
  "0100000000000000000000000000000000000000000000000000000000000000", // y = 1: the identity
  "0100000000000000000000000000000000000000000000000000000000000080", // y = 1, x = "-0"
  "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", // y = −1: order 2
  "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff", // y = −1, x = "-0"
  "0000000000000000000000000000000000000000000000000000000000000000", // y = 0: order 4
  "0000000000000000000000000000000000000000000000000000000000000080", // y = 0, other x: order 4
  "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05", // order 8
  "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85", // order 8
  "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a", // order 8
  "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa", // order 8
].map(hex);

/** a < b for 32-byte little-endian integers; `mask` clears bits of a's top byte first. */
function lessThanLe(a: Uint8Array, offset: number, b: Uint8Array, topMask = 0xff): boolean {
  for (let i = 31; i >= 0; i--) {
    const x = i === 31 ? a[offset + i] & topMask : a[offset + i];
    if (x !== b[i]) return x < b[i];
  }
  return false;
}

function isSmallOrder(bytes: Uint8Array, offset: number): boolean {
  outer: for (const enc of SMALL_ORDER_ENCODINGS) {
    for (let i = 0; i < 32; i++) if (bytes[offset + i] !== enc[i]) continue outer;
    return true;
  }
  return false;
}

/** y < p with the sign bit ignored: the encoding is the canonical one. */
function isCanonicalPoint(bytes: Uint8Array, offset: number): boolean {
  return lessThanLe(bytes, offset, FIELD_P_LE, 0x7f);
}

const KEY_CACHE_MAX = 2048;
const keyCache = new Map<string, KeyObject | null>();

/** The native key object for a public key (cached: registries and tunnels verify the same keys again and again). */
function nativeKey(publicKey: Uint8Array): KeyObject | null {
  const id = String.fromCharCode(...publicKey);
  const hit = keyCache.get(id);
  if (hit !== undefined) {
    keyCache.delete(id);
    keyCache.set(id, hit);
    return hit;
  }
  let key: KeyObject | null;
  try {
    key = nativePublicKey("ed25519", publicKey);
  } catch {
    key = null; // not a point on the curve
  }
  if (keyCache.size >= KEY_CACHE_MAX) {
    const oldest = keyCache.keys().next().value;
    if (oldest !== undefined) keyCache.delete(oldest);
  }
  keyCache.set(id, key);
  return key;
}

/** Strict RFC 8032 verification; never throws, returns false for any malformed input. */
export function ed25519Verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  if (publicKey.length !== ED25519_PUBLIC_KEY_BYTES || signature.length !== ED25519_SIGNATURE_BYTES) return false;
  if (!isCanonicalPoint(publicKey, 0) || !isCanonicalPoint(signature, 0)) return false;
  if (isSmallOrder(publicKey, 0) || isSmallOrder(signature, 0)) return false;
  if (!lessThanLe(signature, 32, ORDER_L_LE)) return false; // S must be canonical: S < L
  const key = nativeKey(publicKey);
  if (key === null) return false;
  try {
    return nativeVerify(null, message, key, signature);
  } catch {
    return false;
  }
}

/** The reference strict verify (pure JS, noble `zip215: false` plus small-order checks); used by tests. */
export function ed25519VerifyReference(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  if (publicKey.length !== ED25519_PUBLIC_KEY_BYTES || signature.length !== ED25519_SIGNATURE_BYTES) return false;
  try {
    const a = ed25519.Point.fromBytes(publicKey, false);
    const r = ed25519.Point.fromBytes(signature.subarray(0, 32), false);
    if (a.isSmallOrder() || r.isSmallOrder()) return false;
    return ed25519.verify(signature, message, publicKey, { zip215: false });
  } catch {
    return false;
  }
}
