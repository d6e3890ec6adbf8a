// SHA-256, HMAC-SHA256 and HKDF as Noise rev. 34 defines it, over @noble/hashes (synchronous, used off the hot path).
import { sha256 as nobleSha256 } from "@noble/hashes/sha2.js";
import { hmac } from "@noble/hashes/hmac.js";

export const SHA256_BYTES = 32;

export function sha256(...parts: Uint8Array[]): Uint8Array {
  const h = nobleSha256.create();
  for (const p of parts) h.update(p);
  return h.digest();
}

export function hmacSha256(key: Uint8Array, ...parts: Uint8Array[]): Uint8Array {
  const h = hmac.create(nobleSha256, key);
  for (const p of parts) h.update(p);
  return h.digest();
}

/** Noise HKDF (rev. 34 §4.3): returns `count` (2 or 3) 32-byte outputs. */
export function noiseHkdf(chainingKey: Uint8Array, inputKeyMaterial: Uint8Array, count: 2 | 3): Uint8Array[] {
  const tempKey = hmacSha256(chainingKey, inputKeyMaterial);
  const out1 = hmacSha256(tempKey, Uint8Array.of(1));
  const out2 = hmacSha256(tempKey, out1, Uint8Array.of(2));
  if (count === 2) return [out1, out2];
  const out3 = hmacSha256(tempKey, out2, Uint8Array.of(3));
  return [out1, out2, out3];
}
