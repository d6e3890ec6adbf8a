// Ed25519 (RFC 8032) over @noble/curves with strict verification: canonical S < L, canonical point encodings,
// small-order A and R rejected (PROTOCOL-BRIEF §0). This is the one verify function used everywhere.
import { ed25519 } from "@noble/curves/ed25519.js";

export const ED25519_PUBLIC_KEY_BYTES = 32;
export const ED25519_SEED_BYTES = 32;
export const ED25519_SIGNATURE_BYTES = 64;

export interface Ed25519KeyPair {
  /** The 32-byte seed (RFC 8032 private key). */
  readonly seed: Uint8Array;
  readonly publicKey: Uint8Array;
}

export function generateEd25519(): Ed25519KeyPair {
  const seed = ed25519.utils.randomSecretKey();
  return { seed, publicKey: ed25519.getPublicKey(seed) };
}

export function ed25519FromSeed(seed: Uint8Array): Ed25519KeyPair {
  if (seed.length !== ED25519_SEED_BYTES) throw new Error(`ed25519 seed must be 32 bytes, got ${seed.length}`);
  return { seed, publicKey: ed25519.getPublicKey(seed) };
}

export function ed25519Sign(seed: Uint8Array, message: Uint8Array): Uint8Array {
  return ed25519.sign(message, seed);
}

function isSmallOrderEncoding(encoded: Uint8Array): boolean {
  try {
    return ed25519.Point.fromBytes(encoded, false).isSmallOrder();
  } catch {
    return true; // not a valid point at all: treat as unusable
  }
}

/** Strict RFC 8032 verification; never throws, returns false for any malformed input. */
export function ed25519Verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  if (publicKey.length !== ED25519_PUBLIC_KEY_BYTES || signature.length !== ED25519_SIGNATURE_BYTES) return false;
  try {
    if (isSmallOrderEncoding(publicKey) || isSmallOrderEncoding(signature.subarray(0, 32))) return false;
    return ed25519.verify(signature, message, publicKey, { zip215: false });
  } catch {
    return false;
  }
}
