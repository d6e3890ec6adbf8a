// X25519 (RFC 7748) over @noble/curves. A shared secret of all zeros (a low-order peer key) is refused.
import { x25519 } from "@noble/curves/ed25519.js";

export const X25519_KEY_BYTES = 32;

export interface X25519KeyPair {
  readonly privateKey: Uint8Array;
  readonly publicKey: Uint8Array;
}

export function generateX25519(): X25519KeyPair {
  const privateKey = x25519.utils.randomSecretKey();
  return { privateKey, publicKey: x25519.getPublicKey(privateKey) };
}

export function x25519FromPrivate(privateKey: Uint8Array): X25519KeyPair {
  if (privateKey.length !== X25519_KEY_BYTES) throw new Error(`x25519 private key must be 32 bytes`);
  return { privateKey, publicKey: x25519.getPublicKey(privateKey) };
}

/** Diffie-Hellman; throws when the result is all zeros (low-order public key). */
export function x25519Shared(privateKey: Uint8Array, publicKey: Uint8Array): Uint8Array {
  if (publicKey.length !== X25519_KEY_BYTES) throw new Error("x25519 public key must be 32 bytes");
  const shared = x25519.getSharedSecret(privateKey, publicKey);
  let acc = 0;
  for (const b of shared) acc |= b;
  if (acc === 0) throw new Error("x25519 shared secret is zero (low-order public key)");
  return shared;
}
