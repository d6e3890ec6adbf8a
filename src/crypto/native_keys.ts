// Raw 32-byte Ed25519 / X25519 keys as node:crypto (OpenSSL) key objects. The curve arithmetic of signing, verifying
// and Diffie-Hellman runs natively — 10–30× faster than pure JS (measured on this runtime: X25519 DH 75 µs vs 440 µs,
// Ed25519 sign 13 µs vs 385 µs) — while the strict encoding checks the protocol needs stay in our own code.
//
// The DER wrappers are the fixed RFC 8410 prefixes: PKCS#8 `OneAsymmetricKey` for a private key, SPKI for a public
// key. Private-key objects are cached per key array (identities sign with the same key all the time).
import { Buffer } from "node:buffer";
import { createPrivateKey, createPublicKey, type KeyObject } from "node:crypto";

export type NativeCurve = "ed25519" | "x25519";

const RAW_KEY_BYTES = 32;
const PKCS8_PREFIX: Record<NativeCurve, Uint8Array> = {
  ed25519: Uint8Array.from([
    0x30,
    0x2e,
    0x02,
    0x01,
    0x00,
    0x30,
    0x05,
    0x06,
    0x03,
    0x2b,
    0x65,
    0x70,
    0x04,
    0x22,
    0x04,
    0x20,
  ]),
  x25519: Uint8Array.from([
    0x30,
    0x2e,
    0x02,
    0x01,
    0x00,
    0x30,
    0x05,
    0x06,
    0x03,
    0x2b,
    0x65,
    0x6e,
    0x04,
    0x22,
    0x04,
    0x20,
  ]),
};
const SPKI_PREFIX: Record<NativeCurve, Uint8Array> = {
  ed25519: Uint8Array.from([0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00]),
  x25519: Uint8Array.from([0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e, 0x03, 0x21, 0x00]),
};

function wrap(prefix: Uint8Array, raw: Uint8Array): Buffer {
  if (raw.length !== RAW_KEY_BYTES) throw new Error(`raw key must be ${RAW_KEY_BYTES} bytes, got ${raw.length}`);
  const der = Buffer.alloc(prefix.length + RAW_KEY_BYTES);
  der.set(prefix);
  der.set(raw, prefix.length);
  return der;
}

const privateCache: Record<NativeCurve, WeakMap<Uint8Array, KeyObject>> = {
  ed25519: new WeakMap(),
  x25519: new WeakMap(),
};

/** The private key object for a raw 32-byte private key (an Ed25519 seed or an X25519 scalar); cached per array. */
export function nativePrivateKey(curve: NativeCurve, raw: Uint8Array): KeyObject {
  const cache = privateCache[curve];
  const hit = cache.get(raw);
  if (hit !== undefined) return hit;
  const key = createPrivateKey({ key: wrap(PKCS8_PREFIX[curve], raw), format: "der", type: "pkcs8" });
  cache.set(raw, key);
  return key;
}

/** The public key object for a raw 32-byte public key; throws when OpenSSL cannot decode it. */
export function nativePublicKey(curve: NativeCurve, raw: Uint8Array): KeyObject {
  return createPublicKey({ key: wrap(SPKI_PREFIX[curve], raw), format: "der", type: "spki" });
}

/** The raw 32-byte public key belonging to a raw private key. */
export function nativeRawPublicKey(curve: NativeCurve, rawPrivate: Uint8Array): Uint8Array {
  const spki = createPublicKey(nativePrivateKey(curve, rawPrivate)).export({ format: "der", type: "spki" });
  return new Uint8Array(spki.subarray(SPKI_PREFIX[curve].length));
}
