// Noise rev. 34 §5.1–5.2 CipherState and SymmetricState for the suite 25519_AESGCM_SHA256 (PROTOCOL-BRIEF §3.3):
// the hash-chained transcript and key schedule under the handshake. Pure and synchronous; the AEAD is the native
// node:crypto path of aead.ts (synchronous too), with nonce = 00000000 ‖ n u64 as Noise's AESGCM prescribes.
import { createAead, MAX_AEAD_COUNTER } from "./aead.ts";
import { noiseHkdf, sha256, SHA256_BYTES } from "./hash.ts";
import { utf8 } from "../util/bytes.ts";
import { InternalError } from "../util/errors.ts";

export const NOISE_KEY_BYTES = 32;
export const NOISE_HASH_BYTES = SHA256_BYTES;
export const NOISE_TAG_BYTES = 16;

/** Thrown for misuse of a Noise object (a bug), never for bad input from the network. */
export class NoiseStateError extends InternalError {
  constructor(message: string) {
    super(message);
    this.name = "NoiseStateError";
  }
}

/** A key and its message counter. Without a key, encryption is the identity (Noise §5.1). */
export class CipherState {
  readonly #aead: ReturnType<typeof createAead> | null;
  readonly #key: Uint8Array | null;
  #n = 0n;

  constructor(key: Uint8Array | null = null) {
    if (key !== null && key.length !== NOISE_KEY_BYTES) throw new NoiseStateError("noise cipher key must be 32 bytes");
    this.#key = key === null ? null : key.slice();
    this.#aead = key === null ? null : createAead(key);
  }

  hasKey(): boolean {
    return this.#aead !== null;
  }

  /** The next nonce this state will use. */
  get nonce(): bigint {
    return this.#n;
  }

  /** The raw key, for handing a transport key to the tunnel (Split output). */
  get key(): Uint8Array | null {
    return this.#key === null ? null : this.#key.slice();
  }

  encryptWithAd(ad: Uint8Array, plaintext: Uint8Array): Uint8Array {
    if (this.#aead === null) return plaintext.slice();
    if (this.#n > MAX_AEAD_COUNTER) throw new NoiseStateError("noise nonce exhausted");
    const out = this.#aead.seal(this.#n, plaintext, ad);
    this.#n++;
    return out;
  }

  /** Returns null when authentication fails; the nonce then does not advance (Noise §5.1). */
  decryptWithAd(ad: Uint8Array, ciphertext: Uint8Array): Uint8Array | null {
    if (this.#aead === null) return ciphertext.slice();
    if (this.#n > MAX_AEAD_COUNTER) return null;
    const out = this.#aead.open(this.#n, ciphertext, ad);
    if (out !== null) this.#n++;
    return out;
  }
}

/** The transcript hash h, the chaining key ck and the current handshake cipher (Noise §5.2). */
export class SymmetricState {
  #ck: Uint8Array;
  #h: Uint8Array;
  #cipher = new CipherState();

  constructor(protocolName: string) {
    const name = utf8(protocolName);
    // Names up to HASHLEN bytes are zero-padded; longer ones are hashed.
    if (name.length <= NOISE_HASH_BYTES) {
      this.#h = new Uint8Array(NOISE_HASH_BYTES);
      this.#h.set(name);
    } else {
      this.#h = sha256(name);
    }
    this.#ck = this.#h.slice();
  }

  get handshakeHash(): Uint8Array {
    return this.#h.slice();
  }

  hasKey(): boolean {
    return this.#cipher.hasKey();
  }

  mixKey(inputKeyMaterial: Uint8Array): void {
    const [ck, tempKey] = noiseHkdf(this.#ck, inputKeyMaterial, 2);
    this.#ck = ck;
    this.#cipher = new CipherState(tempKey.subarray(0, NOISE_KEY_BYTES));
  }

  mixHash(data: Uint8Array): void {
    this.#h = sha256(this.#h, data);
  }

  encryptAndHash(plaintext: Uint8Array): Uint8Array {
    const ciphertext = this.#cipher.encryptWithAd(this.#h, plaintext);
    this.mixHash(ciphertext);
    return ciphertext;
  }

  /** Null when authentication fails; h is then unchanged but the handshake must be abandoned. */
  decryptAndHash(ciphertext: Uint8Array): Uint8Array | null {
    const plaintext = this.#cipher.decryptWithAd(this.#h, ciphertext);
    if (plaintext === null) return null;
    this.mixHash(ciphertext);
    return plaintext;
  }

  /** The two transport cipher states: first for initiator → responder, second for responder → initiator. */
  split(): [CipherState, CipherState] {
    const [k1, k2] = noiseHkdf(this.#ck, new Uint8Array(0), 2);
    return [new CipherState(k1.subarray(0, NOISE_KEY_BYTES)), new CipherState(k2.subarray(0, NOISE_KEY_BYTES))];
  }
}
