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
/** The last byte of the RFC 8410 algorithm OIDs: id-X25519 is 1.3.101.110, id-Ed25519 1.3.101.112. */
const OID_LAST_BYTE: Record<NativeCurve, string> = { x25519: "6e", ed25519: "70" };

function fromHex(text: string): Uint8Array {
  return Uint8Array.from(text.match(/../g)!, (b) => parseInt(b, 16));
}

/** PKCS#8 `OneAsymmetricKey` up to the raw private key: SEQUENCE, version 0, AlgorithmIdentifier, OCTET STRING. */
const PKCS8_PREFIX: Record<NativeCurve, Uint8Array> = {
  ed25519: fromHex(`302e020100300506032b65${OID_LAST_BYTE.ed25519}04220420`),
  x25519: fromHex(`302e020100300506032b65${OID_LAST_BYTE.x25519}04220420`),
};
/** SubjectPublicKeyInfo up to the raw public key: SEQUENCE, AlgorithmIdentifier, BIT STRING with 0 unused bits. */
const SPKI_PREFIX: Record<NativeCurve, Uint8Array> = {
  ed25519: fromHex(`302a300506032b65${OID_LAST_BYTE.ed25519}032100`),
  x25519: fromHex(`302a300506032b65${OID_LAST_BYTE.x25519}032100`),
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
