// X25519 (RFC 7748), computed natively by node:crypto (see native_keys.ts). A shared secret of all zeros (a
// low-order peer key) is refused. Private keys are random 32-byte scalars; clamping is part of the function.
import { diffieHellman, randomBytes } from "node:crypto";
import { nativePrivateKey, nativePublicKey, nativeRawPublicKey } from "./native_keys.ts";

export const X25519_KEY_BYTES = 32;

export interface X25519KeyPair {
  readonly privateKey: Uint8Array;
  readonly publicKey: Uint8Array;
}

export function generateX25519(): X25519KeyPair {
  return x25519FromPrivate(new Uint8Array(randomBytes(X25519_KEY_BYTES)));
}

export function x25519FromPrivate(privateKey: Uint8Array): X25519KeyPair {
  if (privateKey.length !== X25519_KEY_BYTES) throw new Error(`x25519 private key must be 32 bytes`);
  return { privateKey, publicKey: nativeRawPublicKey("x25519", privateKey) };
}

/** Diffie-Hellman; throws when the result is all zeros (low-order public key). */
export function x25519Shared(privateKey: Uint8Array, publicKey: Uint8Array): Uint8Array {
  if (privateKey.length !== X25519_KEY_BYTES) throw new Error("x25519 private key must be 32 bytes");
  if (publicKey.length !== X25519_KEY_BYTES) throw new Error("x25519 public key must be 32 bytes");
  let shared: Uint8Array;
  try {
    shared = new Uint8Array(
      diffieHellman({
        privateKey: nativePrivateKey("x25519", privateKey),
        publicKey: nativePublicKey("x25519", publicKey),
      }),
    );
  } catch {
    // OpenSSL refuses an all-zero result itself; report it the same way as the check below.
    throw new Error("x25519 shared secret is zero (low-order public key)");
  }
  let acc = 0;
  for (const b of shared) acc |= b;
  if (acc === 0) throw new Error("x25519 shared secret is zero (low-order public key)");
  return shared;
}
