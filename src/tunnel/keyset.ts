// One keyset: the pair of transport keys from one Noise handshake, its indexes, send counter and receive replay
// window (PROTOCOL-BRIEF §3.5 PILS seal/open, §3.6 replay window, §3.7 rekey and reject limits).
import { createCipheriv, createDecipheriv } from "node:crypto";
import { AES_256_KEY_BYTES, GCM_NONCE_BYTES, GCM_TAG_BYTES, ReplayWindow } from "../crypto/mod.ts";
import { type OpenSslGcm, openSslGcm } from "../crypto/openssl_gcm.ts";
import { PILS_HEADER_BYTES, type PilsFrame, writePilsHeader } from "../wire/mod.ts";
import {
  REJECT_AFTER_MESSAGES,
  REJECT_AFTER_TIME_MS,
  REKEY_AFTER_MESSAGES,
  REKEY_AFTER_TIME_INITIATOR_MS,
  REKEY_AFTER_TIME_RESPONDER_MS,
} from "./constants.ts";

/** Which side of the handshake that made the keyset we were. */
export type KeysetRole = "initiator" | "responder";

export interface KeysetInit {
  readonly peerNode: number;
  /** Our index: the receiver index peers put in PILS to us. */
  readonly localIndex: number;
  /** The peer's index: what we put in PILS to it. */
  readonly remoteIndex: number;
  readonly role: KeysetRole;
  /** Monotonic ms at creation. */
  readonly createdAtMs: number;
  readonly sendKey: Uint8Array;
  readonly receiveKey: Uint8Array;
}

export type OpenDropReason = "bad_counter" | "too_old" | "replay" | "auth_fail" | "keyset_expired";
export type OpenResult =
  | { readonly ok: true; readonly plaintext: Uint8Array; readonly raisedMax: boolean }
  | { readonly ok: false; readonly reason: OpenDropReason };

/** Where the PILS header holds the counter (u64 big-endian), which is also the last 8 bytes of the Noise nonce. */
const HEADER_COUNTER_OFFSET = 8;
const NONCE_COUNTER_OFFSET = GCM_NONCE_BYTES - 8;
const GCM_ALGORITHM = "aes-256-gcm";
const GCM_TAG_BITS = GCM_TAG_BYTES * 8;

/**
 * Without the OpenSSL accelerator (crypto/openssl_gcm.ts), plaintexts from this size up are sealed and opened on
 * WebCrypto instead of node:crypto. Both are AES-256-GCM with the same bytes; WebCrypto costs a thread hop per call
 * (about 20 µs) but is faster per byte: the segments of paths whose MTU was raised by probing (§3.5) go there,
 * everything of the default size (1,152-byte segments, ACKs, control) stays synchronous.
 */
export const ASYNC_AEAD_MIN_BYTES = 4096;

/**
 * The plaintext size from which sealAsync() / openAsync() should be used: ASYNC_AEAD_MIN_BYTES on node:crypto, never
 * with the accelerator (synchronous and ~15× faster than either).
 */
export function asyncAeadMinBytes(): number {
  return openSslGcm() === null ? ASYNC_AEAD_MIN_BYTES : Number.POSITIVE_INFINITY;
}

/**
 * AES-256-GCM of PILS frames (§3.5) on node:crypto, the native implementation crypto/aead.ts uses for packets, cut
 * to what the per-packet path needs: the Noise nonce (32 zero bits ‖ counter) is copied from the header, which
 * already holds the counter big-endian, and the ciphertext goes straight into the frame. The bytes are those of
 * crypto/aead.ts (tests/tunnel/keyset_test.ts checks them against it).
 */
class PilsAead {
  readonly #key: Uint8Array<ArrayBuffer>;
  readonly #nonce = new Uint8Array(GCM_NONCE_BYTES);
  readonly #accel: OpenSslGcm | null;
  /** The WebCrypto key, imported on first use. */
  #subtle: CryptoKey | null = null;
  #importing: Promise<CryptoKey> | null = null;

  constructor(key: Uint8Array) {
    if (key.length !== AES_256_KEY_BYTES) throw new RangeError(`invalid AES-256-GCM key: ${key.length} bytes`);
    this.#key = key.slice();
    this.#accel = openSslGcm();
  }

  /** Fills `frame` after its header (bytes 0–15, the AAD) with the ciphertext of `plaintext` and the tag. */
  seal(frame: Uint8Array, plaintext: Uint8Array): void {
    const header = frame.subarray(0, PILS_HEADER_BYTES);
    this.#nonce.set(header.subarray(HEADER_COUNTER_OFFSET, PILS_HEADER_BYTES), NONCE_COUNTER_OFFSET);
    if (this.#accel !== null) {
      const end = PILS_HEADER_BYTES + plaintext.length;
      const ok = this.#accel.seal(
        this.#key,
        this.#nonce,
        header,
        plaintext,
        frame.subarray(PILS_HEADER_BYTES, end),
        frame.subarray(end, end + GCM_TAG_BYTES),
      );
      if (!ok) throw new Error("AES-GCM seal failed in libcrypto");
      return;
    }
    const cipher = createCipheriv(GCM_ALGORITHM, this.#key, this.#nonce);
    cipher.setAAD(header);
    if (plaintext.length > 0) frame.set(cipher.update(plaintext), PILS_HEADER_BYTES);
    cipher.final();
    frame.set(cipher.getAuthTag(), PILS_HEADER_BYTES + plaintext.length);
  }

  /**
   * The plaintext of `sealed` (ciphertext ‖ tag) under `header`, or null when the tag does not verify. `inPlace`
   * (the caller owns `sealed`): with the accelerator the plaintext is written over the ciphertext and returned as a
   * view of it, saving an allocation and a copy per frame; after a failed tag those bytes are garbage.
   */
  open(header: Uint8Array, sealed: Uint8Array, inPlace = false): Uint8Array | null {
    if (sealed.length < GCM_TAG_BYTES) return null;
    this.#nonce.set(header.subarray(HEADER_COUNTER_OFFSET, PILS_HEADER_BYTES), NONCE_COUNTER_OFFSET);
    const split = sealed.length - GCM_TAG_BYTES;
    if (this.#accel !== null) {
      const body = inPlace ? sealed.subarray(0, split) : new Uint8Array(split);
      const ok = this.#accel.open(
        this.#key,
        this.#nonce,
        header,
        sealed.subarray(0, split),
        sealed.subarray(split),
        body,
      );
      return ok ? body : null;
    }
    const decipher = createDecipheriv(GCM_ALGORITHM, this.#key, this.#nonce);
    decipher.setAAD(header);
    decipher.setAuthTag(sealed.subarray(split));
    const body = split > 0 ? decipher.update(sealed.subarray(0, split)) : EMPTY;
    try {
      decipher.final();
    } catch {
      return null;
    }
    // A plain Uint8Array: callers must not get Buffer semantics (Buffer.slice() is a view, not a copy).
    return body.byteOffset === 0 && body.buffer.byteLength === body.length
      ? new Uint8Array(body.buffer)
      : new Uint8Array(body);
  }

  /** seal() on WebCrypto: the same bytes; returns the whole frame (header ‖ ciphertext ‖ tag). */
  async sealAsync(header: Uint8Array, plaintext: Uint8Array): Promise<Uint8Array> {
    let input = plaintext as Uint8Array<ArrayBuffer>;
    let key = this.#subtle;
    if (key === null) {
      // WebCrypto copies its input when called; until the key is imported, the copy is made here.
      input = plaintext.slice();
      key = await this.#importKey();
    }
    const sealed = await crypto.subtle.encrypt(gcmParams(header), key, input);
    // The result becomes the frame: grown in place by 16 bytes and shifted, instead of copied into a new array.
    const n = sealed.byteLength;
    const frame = new Uint8Array(sealed.transfer(PILS_HEADER_BYTES + n));
    frame.copyWithin(PILS_HEADER_BYTES, 0, n);
    frame.set(header, 0);
    return frame;
  }

  /** open() on WebCrypto. */
  async openAsync(header: Uint8Array, sealed: Uint8Array): Promise<Uint8Array | null> {
    if (sealed.length < GCM_TAG_BYTES) return null;
    const key = this.#subtle ?? await this.#importKey();
    try {
      return new Uint8Array(await crypto.subtle.decrypt(gcmParams(header), key, sealed as Uint8Array<ArrayBuffer>));
    } catch {
      return null;
    }
  }

  /** Starts importing the WebCrypto key, so the first large frame does not wait for it. */
  prepare(): void {
    this.#importKey().catch(() => {});
  }

  #importKey(): Promise<CryptoKey> {
    this.#importing ??= crypto.subtle.importKey("raw", this.#key, "AES-GCM", false, ["encrypt", "decrypt"]).then(
      (key) => this.#subtle = key,
    );
    return this.#importing;
  }
}

/** AES-GCM parameters of a PILS frame: the Noise nonce from the header's counter, the header as AAD. */
function gcmParams(header: Uint8Array): AesGcmParams {
  const iv = new Uint8Array(GCM_NONCE_BYTES);
  iv.set(header.subarray(HEADER_COUNTER_OFFSET, PILS_HEADER_BYTES), NONCE_COUNTER_OFFSET);
  return { name: "AES-GCM", iv, additionalData: header as Uint8Array<ArrayBuffer>, tagLength: GCM_TAG_BITS };
}

const EMPTY = new Uint8Array(0);

/** §3.7: whether the keyset's owner should start a new handshake on its next send. */
export function rekeyDue(role: KeysetRole, ageMs: number, sentMessages: bigint): boolean {
  if (sentMessages >= REKEY_AFTER_MESSAGES) return true;
  return ageMs >= (role === "initiator" ? REKEY_AFTER_TIME_INITIATOR_MS : REKEY_AFTER_TIME_RESPONDER_MS);
}

/** §3.7: a keyset may seal another message only while young enough and below the message limit. */
export function sendAllowed(ageMs: number, sentMessages: bigint): boolean {
  return ageMs < REJECT_AFTER_TIME_MS && sentMessages < REJECT_AFTER_MESSAGES;
}

/** §3.7: a keyset accepts messages until REJECT_AFTER_TIME. */
export function receiveAllowed(ageMs: number): boolean {
  return ageMs < REJECT_AFTER_TIME_MS;
}

export class Keyset {
  readonly peerNode: number;
  readonly localIndex: number;
  readonly remoteIndex: number;
  readonly role: KeysetRole;
  readonly createdAtMs: number;
  readonly #send: PilsAead;
  readonly #receive: PilsAead;
  readonly #replay = new ReplayWindow();
  #sendCounter = 0n;

  constructor(init: KeysetInit) {
    this.peerNode = init.peerNode;
    this.localIndex = init.localIndex;
    this.remoteIndex = init.remoteIndex;
    this.role = init.role;
    this.createdAtMs = init.createdAtMs;
    this.#send = new PilsAead(init.sendKey);
    this.#receive = new PilsAead(init.receiveKey);
  }

  /** Messages sealed so far (= the next counter). */
  get sentMessages(): bigint {
    return this.#sendCounter;
  }

  /** Highest authenticated receive counter, or null before the first. */
  get receiveMax(): bigint | null {
    return this.#replay.max;
  }

  ageMs(nowMs: number): number {
    return nowMs - this.createdAtMs;
  }

  canSend(nowMs: number): boolean {
    return sendAllowed(this.ageMs(nowMs), this.#sendCounter);
  }

  canReceive(nowMs: number): boolean {
    return receiveAllowed(this.ageMs(nowMs));
  }

  needsRekey(nowMs: number): boolean {
    return rekeyDue(this.role, this.ageMs(nowMs), this.#sendCounter);
  }

  /** A complete PILS frame for `plaintext`, using the next counter. Call only when canSend() holds. */
  seal(plaintext: Uint8Array): Uint8Array {
    const counter = this.#sendCounter++;
    const frame = new Uint8Array(PILS_HEADER_BYTES + plaintext.length + GCM_TAG_BYTES);
    writePilsHeader(frame, 0, { receiverIndex: this.remoteIndex, counter });
    this.#send.seal(frame, plaintext);
    return frame;
  }

  /** Readies both keys for sealAsync() / openAsync() ahead of the first large frame either way. */
  prepareAsync(): void {
    this.#send.prepare();
    this.#receive.prepare();
  }

  /** seal() with the AEAD on WebCrypto (for plaintexts of ASYNC_AEAD_MIN_BYTES and more); the counter is taken now. */
  sealAsync(plaintext: Uint8Array): Promise<Uint8Array> {
    const counter = this.#sendCounter++;
    const header = new Uint8Array(PILS_HEADER_BYTES);
    writePilsHeader(header, 0, { receiverIndex: this.remoteIndex, counter });
    return this.#send.sealAsync(header, plaintext);
  }

  /**
   * Opens a PILS frame addressed to this keyset (§3.6): window checks are reads, the tag is verified, and only an
   * authentic frame is recorded in the window. A failure leaves every field as it was. `inPlace`: the caller owns the
   * frame's bytes, and the plaintext may be decrypted over its ciphertext (PilsAead.open).
   */
  open(frame: PilsFrame, nowMs: number, inPlace = false): OpenResult {
    return this.#precheck(frame, nowMs) ??
      this.#commit(frame, this.#receive.open(frame.header, frame.sealed, inPlace));
  }

  /**
   * open() with the AEAD on WebCrypto. The window is checked before and again when the tag has verified, so two
   * copies of one frame opened concurrently are accepted once.
   */
  async openAsync(frame: PilsFrame, nowMs: number): Promise<OpenResult> {
    return this.#precheck(frame, nowMs) ??
      this.#commit(frame, await this.#receive.openAsync(frame.header, frame.sealed));
  }

  /** The reads of §3.6 step 1 (and the keyset's age); null when the frame may be decrypted. */
  #precheck(frame: PilsFrame, nowMs: number): OpenResult | null {
    if (!this.canReceive(nowMs)) return { ok: false, reason: "keyset_expired" };
    const verdict = this.#replay.check(frame.counter);
    if (verdict === "too_large") return { ok: false, reason: "bad_counter" };
    if (verdict !== "ok") return { ok: false, reason: verdict };
    return null;
  }

  /** §3.6 steps 2–3: only an authentic frame is recorded in the window. */
  #commit(frame: PilsFrame, plaintext: Uint8Array | null): OpenResult {
    if (plaintext === null) return { ok: false, reason: "auth_fail" };
    const before = this.#replay.max;
    const committed = this.#replay.commit(frame.counter);
    if (committed !== "ok") return { ok: false, reason: committed === "too_large" ? "bad_counter" : committed };
    return { ok: true, plaintext, raisedMax: before === null || frame.counter > before };
  }
}
