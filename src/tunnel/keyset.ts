// One keyset: the pair of transport keys from one Noise handshake, its indexes, send counter and receive replay
// window (PROTOCOL-BRIEF §3.5 PILS seal/open, §3.6 replay window, §3.7 rekey and reject limits).
import { type Aead, createAead, ReplayWindow } from "../crypto/mod.ts";
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
  readonly #send: Aead;
  readonly #receive: Aead;
  readonly #replay = new ReplayWindow();
  #sendCounter = 0n;

  constructor(init: KeysetInit) {
    this.peerNode = init.peerNode;
    this.localIndex = init.localIndex;
    this.remoteIndex = init.remoteIndex;
    this.role = init.role;
    this.createdAtMs = init.createdAtMs;
    this.#send = createAead(init.sendKey);
    this.#receive = createAead(init.receiveKey);
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
    const header = new Uint8Array(PILS_HEADER_BYTES);
    writePilsHeader(header, 0, { receiverIndex: this.remoteIndex, counter });
    const sealed = this.#send.seal(counter, plaintext, header);
    const frame = new Uint8Array(PILS_HEADER_BYTES + sealed.length);
    frame.set(header, 0);
    frame.set(sealed, PILS_HEADER_BYTES);
    return frame;
  }

  /**
   * Opens a PILS frame addressed to this keyset (§3.6): window checks are reads, the tag is verified, and only an
   * authentic frame is recorded in the window. A failure leaves every field as it was.
   */
  open(frame: PilsFrame, nowMs: number): OpenResult {
    if (!this.canReceive(nowMs)) return { ok: false, reason: "keyset_expired" };
    const verdict = this.#replay.check(frame.counter);
    if (verdict === "too_large") return { ok: false, reason: "bad_counter" };
    if (verdict !== "ok") return { ok: false, reason: verdict };
    const plaintext = this.#receive.open(frame.counter, frame.sealed, frame.header);
    if (plaintext === null) return { ok: false, reason: "auth_fail" };
    const before = this.#replay.max;
    const committed = this.#replay.commit(frame.counter);
    if (committed !== "ok") return { ok: false, reason: committed === "too_large" ? "bad_counter" : committed };
    return { ok: true, plaintext, raisedMax: before === null || frame.counter > before };
  }
}
