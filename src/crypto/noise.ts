// Noise_IK_25519_AESGCM_SHA256 (Noise rev. 34 §5.3, §7.5; PROTOCOL-BRIEF §3.3) as a pure state machine: it turns
// payloads into handshake messages and back, and Split() yields the two transport keys. It does no I/O and knows
// nothing of the PILH/PILR frames around the messages (the wire layer lays those out).
//
//   IK:  <- s
//        ...
//        -> e, es, s, ss     message 1: e.pub(32) ‖ enc(s.pub)(48) ‖ enc(payload)(n + 16)
//        <- e, ee, se        message 2: e.pub(32) ‖ enc(payload)(n + 16)
import { CipherState, NOISE_TAG_BYTES, NoiseStateError, SymmetricState } from "./noise_symmetric.ts";
import { concatBytes } from "../util/bytes.ts";
import { InvalidArgumentError } from "../util/errors.ts";
import { generateX25519, X25519_KEY_BYTES, x25519FromPrivate, type X25519KeyPair, x25519Shared } from "./x25519.ts";

export const NOISE_IK_PROTOCOL_NAME = "Noise_IK_25519_AESGCM_SHA256";
/** Message 1 without its payload: e, encrypted s. */
export const NOISE_IK_MESSAGE1_OVERHEAD_BYTES = X25519_KEY_BYTES + X25519_KEY_BYTES + NOISE_TAG_BYTES * 2;
/** Message 2 without its payload: e. */
export const NOISE_IK_MESSAGE2_OVERHEAD_BYTES = X25519_KEY_BYTES + NOISE_TAG_BYTES;

export type NoiseRole = "initiator" | "responder";

export interface NoiseIkOptions {
  readonly prologue: Uint8Array;
  /** Our X25519 static key pair. */
  readonly staticKeys: X25519KeyPair;
  /** Ephemeral private key; only tests inject one, otherwise a fresh one is generated. */
  readonly ephemeralPrivateKey?: Uint8Array;
}

export interface NoiseIkInitiatorOptions extends NoiseIkOptions {
  /** The responder's static public key, known beforehand (from the registry, binding checked). */
  readonly remoteStaticPublicKey: Uint8Array;
}

/** Split() output: the raw transport keys and the final transcript hash. */
export interface NoiseTransportKeys {
  /** Key for initiator → responder (k_i2r). */
  readonly initiatorToResponder: Uint8Array;
  /** Key for responder → initiator (k_r2i). */
  readonly responderToInitiator: Uint8Array;
  readonly handshakeHash: Uint8Array;
}

type Step = "write1" | "read1" | "write2" | "read2" | "done" | "failed";

export class NoiseIkHandshake {
  readonly role: NoiseRole;
  readonly #ss: SymmetricState;
  readonly #s: X25519KeyPair;
  readonly #e: X25519KeyPair;
  #rs: Uint8Array | null;
  #re: Uint8Array | null = null;
  #step: Step;

  private constructor(role: NoiseRole, options: NoiseIkOptions, remoteStatic: Uint8Array | null) {
    this.role = role;
    this.#s = options.staticKeys;
    this.#e = options.ephemeralPrivateKey ? x25519FromPrivate(options.ephemeralPrivateKey) : generateX25519();
    this.#rs = remoteStatic;
    this.#step = role === "initiator" ? "write1" : "read1";
    this.#ss = new SymmetricState(NOISE_IK_PROTOCOL_NAME);
    this.#ss.mixHash(options.prologue);
    // Pre-message "<- s": both sides hash the responder's static key.
    this.#ss.mixHash(role === "initiator" ? remoteStatic! : options.staticKeys.publicKey);
  }

  static initiator(options: NoiseIkInitiatorOptions): NoiseIkHandshake {
    if (options.remoteStaticPublicKey.length !== X25519_KEY_BYTES) {
      throw new NoiseStateError("noise remote static key must be 32 bytes");
    }
    return new NoiseIkHandshake("initiator", options, options.remoteStaticPublicKey.slice());
  }

  static responder(options: NoiseIkOptions): NoiseIkHandshake {
    return new NoiseIkHandshake("responder", options, null);
  }

  /** True once both messages are processed and split() may be called. */
  get isComplete(): boolean {
    return this.#step === "done";
  }

  /** True after a message failed to authenticate; the handshake is then dead. */
  get hasFailed(): boolean {
    return this.#step === "failed";
  }

  /** The peer's static public key: known from the start for an initiator, after message 1 for a responder. */
  get remoteStaticPublicKey(): Uint8Array | null {
    return this.#rs === null ? null : this.#rs.slice();
  }

  get handshakeHash(): Uint8Array {
    return this.#ss.handshakeHash;
  }

  /**
   * The next message to send, carrying `payload`. Initiator: message 1; responder: message 2. An initiator throws
   * InvalidArgumentError when the responder's static key is a low-order point.
   */
  writeMessage(payload: Uint8Array): Uint8Array {
    if (this.#step === "write1") return this.#writeMessage1(payload);
    if (this.#step === "write2") return this.#writeMessage2(payload);
    throw new NoiseStateError(`noise ${this.role} cannot write in state ${this.#step}`);
  }

  /**
   * Processes the peer's message and returns its payload, or null when it is malformed or does not authenticate
   * (then the handshake is dead and must be discarded).
   */
  readMessage(message: Uint8Array): Uint8Array | null {
    let payload: Uint8Array | null;
    if (this.#step === "read1") payload = this.#readMessage1(message);
    else if (this.#step === "read2") payload = this.#readMessage2(message);
    else throw new NoiseStateError(`noise ${this.role} cannot read in state ${this.#step}`);
    if (payload === null) this.#step = "failed";
    return payload;
  }

  /** The transport keys (Noise Split()). */
  split(): NoiseTransportKeys {
    if (this.#step !== "done") throw new NoiseStateError(`noise ${this.role} cannot split in state ${this.#step}`);
    const [c1, c2] = this.#ss.split();
    return { initiatorToResponder: c1.key!, responderToInitiator: c2.key!, handshakeHash: this.#ss.handshakeHash };
  }

  /** The transport cipher states (send, receive) from this side's point of view, nonces starting at 0. */
  splitCipherStates(): { send: CipherState; receive: CipherState } {
    const keys = this.split();
    const i2r = new CipherState(keys.initiatorToResponder);
    const r2i = new CipherState(keys.responderToInitiator);
    return this.role === "initiator" ? { send: i2r, receive: r2i } : { send: r2i, receive: i2r };
  }

  #fail<E>(err: E): E {
    this.#step = "failed";
    return err;
  }

  // -> e, es, s, ss
  #writeMessage1(payload: Uint8Array): Uint8Array {
    const ss = this.#ss;
    const rs = this.#rs!;
    ss.mixHash(this.#e.publicKey);
    if (!mixDh(ss, this.#e.privateKey, rs)) throw this.#fail(lowOrderResponderKey());
    const encryptedStatic = ss.encryptAndHash(this.#s.publicKey);
    if (!mixDh(ss, this.#s.privateKey, rs)) throw this.#fail(lowOrderResponderKey());
    const encryptedPayload = ss.encryptAndHash(payload);
    this.#step = "read2";
    return concatBytes(this.#e.publicKey, encryptedStatic, encryptedPayload);
  }

  #readMessage1(message: Uint8Array): Uint8Array | null {
    if (message.length < NOISE_IK_MESSAGE1_OVERHEAD_BYTES) return null;
    const ss = this.#ss;
    const re = message.slice(0, X25519_KEY_BYTES);
    const encryptedStatic = message.subarray(X25519_KEY_BYTES, 2 * X25519_KEY_BYTES + NOISE_TAG_BYTES);
    const encryptedPayload = message.subarray(2 * X25519_KEY_BYTES + NOISE_TAG_BYTES);
    ss.mixHash(re);
    if (!mixDh(ss, this.#s.privateKey, re)) return null;
    const rs = ss.decryptAndHash(encryptedStatic);
    if (rs === null) return null;
    if (!mixDh(ss, this.#s.privateKey, rs)) return null;
    const payload = ss.decryptAndHash(encryptedPayload);
    if (payload === null) return null;
    this.#re = re;
    this.#rs = rs;
    this.#step = "write2";
    return payload;
  }

  // <- e, ee, se
  #writeMessage2(payload: Uint8Array): Uint8Array {
    const ss = this.#ss;
    ss.mixHash(this.#e.publicKey);
    ss.mixKey(x25519Shared(this.#e.privateKey, this.#re!));
    ss.mixKey(x25519Shared(this.#e.privateKey, this.#rs!));
    const encryptedPayload = ss.encryptAndHash(payload);
    this.#step = "done";
    return concatBytes(this.#e.publicKey, encryptedPayload);
  }

  #readMessage2(message: Uint8Array): Uint8Array | null {
    if (message.length < NOISE_IK_MESSAGE2_OVERHEAD_BYTES) return null;
    const ss = this.#ss;
    const re = message.slice(0, X25519_KEY_BYTES);
    ss.mixHash(re);
    if (!mixDh(ss, this.#e.privateKey, re)) return null;
    if (!mixDh(ss, this.#s.privateKey, re)) return null;
    const payload = ss.decryptAndHash(message.subarray(X25519_KEY_BYTES));
    if (payload === null) return null;
    this.#re = re;
    this.#step = "done";
    return payload;
  }
}

function lowOrderResponderKey(): InvalidArgumentError {
  return new InvalidArgumentError("invalid noise static key of the responder: low-order point");
}

/** MixKey(DH(priv, pub)); false when the peer's key is low-order (all-zero secret), which x25519Shared refuses. */
function mixDh(ss: SymmetricState, privateKey: Uint8Array, publicKey: Uint8Array): boolean {
  let shared: Uint8Array;
  try {
    shared = x25519Shared(privateKey, publicKey);
  } catch {
    return false;
  }
  ss.mixKey(shared);
  return true;
}
