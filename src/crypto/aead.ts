// AES-256-GCM (PROTOCOL-BRIEF §0, §3.5): the per-packet AEAD keyed by a Noise cipher key, with the Noise AESGCM nonce
// `00 00 00 00 ‖ counter u64` and the 16-byte tag appended, plus one-shot seal/open for the PILC cookie (§3.9).
// The packet path runs on the system's libcrypto through FFI when it can be loaded (openssl_gcm.ts), else on
// node:crypto (native, synchronous); @noble/ciphers is the reference implementation the vector tests compare them
// against.
import { createCipheriv, createDecipheriv } from "node:crypto";
import { gcm } from "@noble/ciphers/aes.js";
import { openSslGcm } from "./openssl_gcm.ts";
import { InvalidArgumentError } from "../util/errors.ts";

export const AES_256_KEY_BYTES = 32;
export const GCM_NONCE_BYTES = 12;
export const GCM_TAG_BYTES = 16;
/** Noise reserves nonce 2^64 - 1; the highest counter that may be used is one less. */
export const MAX_AEAD_COUNTER = (1n << 64n) - 2n;

const NODE_ALGORITHM = "aes-256-gcm";

/** A keyed AEAD whose nonce is a message counter (Noise CipherState encoding). */
export interface Aead {
  /** Returns ciphertext ‖ tag. Throws only for a counter outside 0 .. MAX_AEAD_COUNTER. */
  seal(counter: bigint, plaintext: Uint8Array, aad: Uint8Array): Uint8Array;
  /** Returns the plaintext, or null when the tag does not verify (or the input cannot be a sealed message). */
  open(counter: bigint, ciphertextAndTag: Uint8Array, aad: Uint8Array): Uint8Array | null;
}

/** A keyed AES-256-GCM taking an explicit 12-byte nonce. */
export interface AesGcm {
  seal(nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Uint8Array;
  open(nonce: Uint8Array, ciphertextAndTag: Uint8Array, aad: Uint8Array): Uint8Array | null;
}

function checkKey(key: Uint8Array): void {
  if (key.length !== AES_256_KEY_BYTES) {
    throw new InvalidArgumentError(`invalid AES-256-GCM key: ${key.length} bytes, want ${AES_256_KEY_BYTES}`);
  }
}

function checkNonce(nonce: Uint8Array): void {
  if (nonce.length !== GCM_NONCE_BYTES) {
    throw new InvalidArgumentError(`invalid AES-GCM nonce: ${nonce.length} bytes, want ${GCM_NONCE_BYTES}`);
  }
}

/** The Noise AESGCM nonce: 32 zero bits, then the counter big-endian. */
export function counterNonce(counter: bigint): Uint8Array {
  if (counter < 0n || counter > MAX_AEAD_COUNTER) throw new InvalidArgumentError(`invalid AEAD counter ${counter}`);
  const nonce = new Uint8Array(GCM_NONCE_BYTES);
  new DataView(nonce.buffer).setBigUint64(4, counter);
  return nonce;
}

/** AES-256-GCM over node:crypto (OpenSSL-class native code in Deno). */
export function nativeAesGcm(key: Uint8Array): AesGcm {
  checkKey(key);
  const ownKey = key.slice();
  return {
    seal(nonce, plaintext, aad) {
      checkNonce(nonce);
      const cipher = createCipheriv(NODE_ALGORITHM, ownKey, nonce);
      cipher.setAAD(aad);
      const body = cipher.update(plaintext);
      const rest = cipher.final();
      const out = new Uint8Array(body.length + rest.length + GCM_TAG_BYTES);
      out.set(body, 0);
      out.set(rest, body.length);
      out.set(cipher.getAuthTag(), body.length + rest.length);
      return out;
    },
    open(nonce, ciphertextAndTag, aad) {
      checkNonce(nonce);
      if (ciphertextAndTag.length < GCM_TAG_BYTES) return null;
      const split = ciphertextAndTag.length - GCM_TAG_BYTES;
      const decipher = createDecipheriv(NODE_ALGORITHM, ownKey, nonce);
      decipher.setAAD(aad);
      decipher.setAuthTag(ciphertextAndTag.subarray(split));
      const body = decipher.update(ciphertextAndTag.subarray(0, split));
      try {
        decipher.final();
      } catch {
        return null;
      }
      return plainBytes(body);
    },
  };
}

/** AES-256-GCM on libcrypto through FFI (openssl_gcm.ts); null when the accelerator is not available here. */
export function openSslAesGcm(key: Uint8Array): AesGcm | null {
  const accel = openSslGcm();
  if (accel === null) return null;
  checkKey(key);
  const ownKey = key.slice();
  return {
    seal(nonce, plaintext, aad) {
      checkNonce(nonce);
      const n = plaintext.length;
      const out = new Uint8Array(n + GCM_TAG_BYTES);
      if (!accel.seal(ownKey, nonce, aad, plaintext, out.subarray(0, n), out.subarray(n))) {
        throw new Error("AES-GCM seal failed in libcrypto");
      }
      return out;
    },
    open(nonce, ciphertextAndTag, aad) {
      checkNonce(nonce);
      if (ciphertextAndTag.length < GCM_TAG_BYTES) return null;
      const split = ciphertextAndTag.length - GCM_TAG_BYTES;
      const out = new Uint8Array(split);
      const body = ciphertextAndTag.subarray(0, split);
      return accel.open(ownKey, nonce, aad, body, ciphertextAndTag.subarray(split), out) ? out : null;
    },
  };
}

/** A plain Uint8Array over a Buffer's bytes; copies only when the Buffer views a shared pool callers must not see. */
function plainBytes(buf: Uint8Array): Uint8Array {
  if (buf.byteOffset === 0 && buf.buffer.byteLength === buf.length) return new Uint8Array(buf.buffer);
  return new Uint8Array(buf);
}

/** AES-256-GCM over @noble/ciphers: pure TypeScript, the reference for the native path. */
export function nobleAesGcm(key: Uint8Array): AesGcm {
  checkKey(key);
  const ownKey = key.slice();
  return {
    seal(nonce, plaintext, aad) {
      checkNonce(nonce);
      return gcm(ownKey, nonce, aad).encrypt(plaintext);
    },
    open(nonce, ciphertextAndTag, aad) {
      checkNonce(nonce);
      if (ciphertextAndTag.length < GCM_TAG_BYTES) return null;
      try {
        return gcm(ownKey, nonce, aad).decrypt(ciphertextAndTag);
      } catch {
        return null;
      }
    },
  };
}

function counterAead(inner: AesGcm): Aead {
  return {
    seal: (counter, plaintext, aad) => inner.seal(counterNonce(counter), plaintext, aad),
    open(counter, ciphertextAndTag, aad) {
      if (counter < 0n || counter > MAX_AEAD_COUNTER) return null;
      return inner.open(counterNonce(counter), ciphertextAndTag, aad);
    },
  };
}

/** The per-packet AEAD: libcrypto when available, else node:crypto. */
export function createAead(key: Uint8Array): Aead {
  return counterAead(openSslAesGcm(key) ?? nativeAesGcm(key));
}

/** The same AEAD on @noble/ciphers (reference and fallback). */
export function createNobleAead(key: Uint8Array): Aead {
  return counterAead(nobleAesGcm(key));
}

/** The async form, for callers that keep many packets in flight. */
export interface AsyncAead {
  seal(counter: bigint, plaintext: Uint8Array, aad: Uint8Array): Promise<Uint8Array>;
  open(counter: bigint, ciphertextAndTag: Uint8Array, aad: Uint8Array): Promise<Uint8Array | null>;
}

/** A keyed AES-256-GCM on WebCrypto, with an explicit 12-byte nonce. */
export interface AsyncAesGcm {
  seal(nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Promise<Uint8Array>;
  open(nonce: Uint8Array, ciphertextAndTag: Uint8Array, aad: Uint8Array): Promise<Uint8Array | null>;
}

/**
 * AES-256-GCM over WebCrypto. Slower per call than node:crypto (about 3.4x in the bench) but it runs off the main
 * thread, so it wins on throughput only when dozens of packets are in flight at once.
 */
export async function webCryptoAesGcm(key: Uint8Array): Promise<AsyncAesGcm> {
  checkKey(key);
  const cryptoKey = await crypto.subtle.importKey("raw", key.slice(), "AES-GCM", false, ["encrypt", "decrypt"]);
  const params = (nonce: Uint8Array, aad: Uint8Array): AesGcmParams => ({
    name: "AES-GCM",
    iv: nonce.slice(),
    additionalData: aad.slice(),
    tagLength: GCM_TAG_BYTES * 8,
  });
  return {
    async seal(nonce, plaintext, aad) {
      checkNonce(nonce);
      return new Uint8Array(await crypto.subtle.encrypt(params(nonce, aad), cryptoKey, plaintext.slice()));
    },
    async open(nonce, ciphertextAndTag, aad) {
      checkNonce(nonce);
      if (ciphertextAndTag.length < GCM_TAG_BYTES) return null;
      try {
        return new Uint8Array(await crypto.subtle.decrypt(params(nonce, aad), cryptoKey, ciphertextAndTag.slice()));
      } catch {
        return null;
      }
    },
  };
}

/** The per-packet AEAD on WebCrypto (async); same bytes as createAead(). */
export async function createAsyncAead(key: Uint8Array): Promise<AsyncAead> {
  const inner = await webCryptoAesGcm(key);
  return {
    async seal(counter, plaintext, aad) {
      return await inner.seal(counterNonce(counter), plaintext, aad);
    },
    async open(counter, ciphertextAndTag, aad) {
      if (counter < 0n || counter > MAX_AEAD_COUNTER) return null;
      return await inner.open(counterNonce(counter), ciphertextAndTag, aad);
    },
  };
}

/** One-shot AES-256-GCM seal with an explicit 12-byte nonce (PILC cookie); returns ciphertext ‖ tag. */
export function aesGcmSeal(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Uint8Array {
  return nativeAesGcm(key).seal(nonce, plaintext, aad);
}

/** One-shot AES-256-GCM open; null when the tag does not verify. */
export function aesGcmOpen(
  key: Uint8Array,
  nonce: Uint8Array,
  ciphertextAndTag: Uint8Array,
  aad: Uint8Array,
): Uint8Array | null {
  return nativeAesGcm(key).open(nonce, ciphertextAndTag, aad);
}
