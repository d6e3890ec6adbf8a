// Building and processing the handshake frames PILH / PILR / PILC (PROTOCOL-BRIEF §3.3 Noise IK with P1 / P2, §3.4
// layouts, §3.9 mac1 / mac2 / cookies). Pure functions over bytes: no clock, no sockets, no peer table. The
// caller checks mac1 (and, under load, mac2) before calling readInitiation(), so no public-key operation runs on
// a frame that fails them.
import {
  computeMac1,
  computeMac2,
  cookieKey,
  generateX25519,
  type Identity,
  mac1Key,
  MAC_BYTES,
  NoiseIkHandshake,
  openCookie,
  sealCookie,
  verifyMac1,
  type X25519KeyPair,
} from "../crypto/mod.ts";
import { concatBytes, u32be, utf8 } from "../util/bytes.ts";
import {
  decodeP1,
  decodeP2,
  decodePilc,
  decodePilr,
  encodeP1,
  encodeP2,
  encodePilc,
  KEY_BYTES,
  PILH_BYTES,
  PILH_MAC1_OFFSET,
  PILH_MAC2_OFFSET,
  PILR_MAC1_OFFSET,
  PILR_P2_ENC_BYTES,
  WireFormatError,
} from "../wire/mod.ts";
import { TUNNEL_PROLOGUE_LABEL } from "./constants.ts";

const PILH_MAGIC = utf8("PILH");
const PILR_MAGIC = utf8("PILR");
const PROLOGUE_LABEL = utf8(TUNNEL_PROLOGUE_LABEL);
/** Node ids 0–0xFF are well-known and 0xFFFFFFFF is broadcast (§1.3): neither can run a tunnel. */
const RESERVED_NODE_MAX = 0xff;
const BROADCAST_NODE = 0xffffffff;

export function isPeerNodeId(node: number): boolean {
  return Number.isInteger(node) && node > RESERVED_NODE_MAX && node < BROADCAST_NODE;
}

/** `"pilot-tunnel-v1" ‖ responder node id u32` (§3.3). */
export function tunnelPrologue(responderNode: number): Uint8Array {
  return concatBytes(PROLOGUE_LABEL, u32be(responderNode));
}

/** What this node needs to take part in handshakes; derive once with localHandshakeIdentity(). */
export interface LocalHandshakeIdentity {
  readonly nodeId: number;
  readonly staticKeys: X25519KeyPair;
  readonly noiseIssuedAt: number;
  readonly noiseSig: Uint8Array;
  /** Verifies mac1 on frames sent to us. */
  readonly mac1Key: Uint8Array;
  /** Seals the cookies we send in PILC. */
  readonly cookieKey: Uint8Array;
}

export function localHandshakeIdentity(nodeId: number, identity: Identity): LocalHandshakeIdentity {
  return {
    nodeId,
    staticKeys: { privateKey: identity.noisePrivateKey, publicKey: identity.noisePublicKey },
    noiseIssuedAt: identity.noiseIssuedAt,
    noiseSig: identity.noiseSig,
    mac1Key: mac1Key(identity.noisePublicKey),
    cookieKey: cookieKey(identity.noisePublicKey),
  };
}

/** A transport key pair from this side's point of view. */
export interface TransportKeys {
  readonly send: Uint8Array;
  readonly receive: Uint8Array;
}

// ---------------------------------------------------------------------------------------------------------------
// Initiator

export interface InitiationRequest {
  readonly responderNode: number;
  /** The responder's X25519 static key (its binding already verified). */
  readonly responderStatic: Uint8Array;
  readonly senderIndex: number;
  readonly timestampMs: number;
  /** A cookie from a PILC less than 120 s old, or null (mac2 then stays zero). */
  readonly cookie: Uint8Array | null;
}

/** One outstanding initiation: enough to process its PILR or PILC. */
export class Initiation {
  readonly responderNode: number;
  readonly responderStatic: Uint8Array;
  readonly senderIndex: number;
  /** The mac1 we sent: the AAD of a PILC answering this PILH. */
  readonly mac1: Uint8Array;
  readonly #ephemeralPrivateKey: Uint8Array;
  readonly #p1: Uint8Array;
  #noise: NoiseIkHandshake;

  private constructor(
    req: InitiationRequest,
    p1: Uint8Array,
    ephemeral: Uint8Array,
    noise: NoiseIkHandshake,
    mac1: Uint8Array,
  ) {
    this.responderNode = req.responderNode;
    this.responderStatic = req.responderStatic.slice();
    this.senderIndex = req.senderIndex;
    this.mac1 = mac1;
    this.#ephemeralPrivateKey = ephemeral;
    this.#p1 = p1;
    this.#noise = noise;
  }

  /** A fresh PILH (new ephemeral key, the given index and timestamp) and the state to complete it. */
  static create(
    local: LocalHandshakeIdentity,
    req: InitiationRequest,
  ): { readonly frame: Uint8Array; readonly initiation: Initiation } {
    const ephemeral = generateX25519().privateKey;
    const p1 = encodeP1({
      initiatorNode: local.nodeId,
      timestampMs: req.timestampMs,
      noiseIssuedAt: local.noiseIssuedAt,
      noiseSig: local.noiseSig,
    });
    const noise = initiatorNoise(local, req.responderNode, req.responderStatic, ephemeral);
    const frame = new Uint8Array(PILH_BYTES);
    frame.set(PILH_MAGIC, 0);
    frame.set(u32be(req.senderIndex), 4);
    frame.set(noise.writeMessage(p1), 8);
    const mac1 = computeMac1(mac1Key(req.responderStatic), frame.subarray(0, PILH_MAC1_OFFSET));
    frame.set(mac1, PILH_MAC1_OFFSET);
    if (req.cookie !== null) frame.set(computeMac2(req.cookie, frame.subarray(0, PILH_MAC2_OFFSET)), PILH_MAC2_OFFSET);
    return { frame, initiation: new Initiation(req, p1, ephemeral, noise, mac1) };
  }

  /**
   * The Noise state ready to read message 2. A forged PILR kills a Noise state, so after a failure (or a use) the
   * state is rebuilt from the same ephemeral key and P1 (deterministic), and a genuine PILR arriving later still completes.
   */
  stateForResponse(local: LocalHandshakeIdentity): NoiseIkHandshake {
    if (this.#noise.hasFailed || this.#noise.isComplete) {
      this.#noise = initiatorNoise(local, this.responderNode, this.responderStatic, this.#ephemeralPrivateKey);
      this.#noise.writeMessage(this.#p1);
    }
    return this.#noise;
  }
}

function initiatorNoise(
  local: LocalHandshakeIdentity,
  responderNode: number,
  responderStatic: Uint8Array,
  ephemeralPrivateKey: Uint8Array,
): NoiseIkHandshake {
  return NoiseIkHandshake.initiator({
    prologue: tunnelPrologue(responderNode),
    staticKeys: local.staticKeys,
    remoteStaticPublicKey: responderStatic,
    ephemeralPrivateKey,
  });
}

export type ResponseResult =
  | { readonly ok: true; readonly responderIndex: number; readonly keys: TransportKeys }
  | { readonly ok: false; readonly reason: "bad_mac1" | "hs_decrypt" | "hs_bad_payload" };

/** Processes a PILR (100 bytes, already classified) for `initiation`: mac1, Noise message 2, P2 node id. */
export function consumeResponse(
  local: LocalHandshakeIdentity,
  initiation: Initiation,
  bytes: Uint8Array,
): ResponseResult {
  if (!verifyMac1(local.mac1Key, bytes, PILR_MAC1_OFFSET)) return { ok: false, reason: "bad_mac1" };
  const frame = decodePilr(bytes);
  const noise = initiation.stateForResponse(local);
  const payload = noise.readMessage(bytes.subarray(12, 12 + KEY_BYTES + PILR_P2_ENC_BYTES));
  if (payload === null) return { ok: false, reason: "hs_decrypt" };
  try {
    if (decodeP2(payload).responderNode !== initiation.responderNode) return { ok: false, reason: "hs_bad_payload" };
  } catch (err) {
    if (err instanceof WireFormatError) return { ok: false, reason: "hs_bad_payload" };
    throw err;
  }
  const keys = noise.split();
  return {
    ok: true,
    responderIndex: frame.senderIndex,
    keys: { send: keys.initiatorToResponder, receive: keys.responderToInitiator },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Responder

/** A PILH that decrypted and carries a well-formed P1; its binding and timestamp are not checked yet. */
export interface InitiatorHello {
  readonly noise: NoiseIkHandshake;
  readonly senderIndex: number;
  readonly mac1: Uint8Array;
  readonly initiatorNode: number;
  readonly initiatorStatic: Uint8Array;
  readonly timestampMs: number;
  readonly noiseIssuedAt: number;
  readonly noiseSig: Uint8Array;
}

export type InitiationReadResult =
  | { readonly ok: true; readonly hello: InitiatorHello }
  | { readonly ok: false; readonly reason: "hs_decrypt" | "hs_bad_payload" };

/** Noise ReadMessage on a PILH whose mac1 (and mac2 when required) the caller has verified, then P1 checks. */
export function readInitiation(local: LocalHandshakeIdentity, bytes: Uint8Array): InitiationReadResult {
  const noise = NoiseIkHandshake.responder({ prologue: tunnelPrologue(local.nodeId), staticKeys: local.staticKeys });
  const payload = noise.readMessage(bytes.subarray(8, PILH_MAC1_OFFSET));
  const initiatorStatic = noise.remoteStaticPublicKey;
  if (payload === null || initiatorStatic === null) return { ok: false, reason: "hs_decrypt" };
  let p1;
  try {
    p1 = decodeP1(payload);
  } catch (err) {
    if (err instanceof WireFormatError) return { ok: false, reason: "hs_bad_payload" };
    throw err;
  }
  if (!isPeerNodeId(p1.initiatorNode) || p1.initiatorNode === local.nodeId) {
    return { ok: false, reason: "hs_bad_payload" };
  }
  return {
    ok: true,
    hello: {
      noise,
      senderIndex: readIndex(bytes, 4),
      mac1: bytes.slice(PILH_MAC1_OFFSET, PILH_MAC2_OFFSET),
      initiatorNode: p1.initiatorNode,
      initiatorStatic,
      timestampMs: p1.timestampMs,
      noiseIssuedAt: p1.noiseIssuedAt,
      noiseSig: p1.noiseSig.slice(),
    },
  };
}

/** The PILR answering `hello` with our index, and the keys of the new (next) keyset. */
export function createResponse(
  local: LocalHandshakeIdentity,
  hello: InitiatorHello,
  localIndex: number,
): { readonly frame: Uint8Array; readonly keys: TransportKeys } {
  const message = hello.noise.writeMessage(encodeP2({ responderNode: local.nodeId }));
  const frame = new Uint8Array(PILR_MAC1_OFFSET + 2 * MAC_BYTES);
  frame.set(PILR_MAGIC, 0);
  frame.set(u32be(localIndex), 4);
  frame.set(u32be(hello.senderIndex), 8);
  frame.set(message, 12);
  frame.set(computeMac1(mac1Key(hello.initiatorStatic), frame.subarray(0, PILR_MAC1_OFFSET)), PILR_MAC1_OFFSET);
  const keys = hello.noise.split();
  return { frame, keys: { send: keys.responderToInitiator, receive: keys.initiatorToResponder } };
}

// ---------------------------------------------------------------------------------------------------------------
// Cookies (§3.9)

/** A PILC answering the message with `receiverIndex` and `triggerMac1`, carrying `cookie`. */
export function createCookieReply(
  local: LocalHandshakeIdentity,
  receiverIndex: number,
  triggerMac1: Uint8Array,
  cookie: Uint8Array,
  nonce: Uint8Array,
): Uint8Array {
  return encodePilc({ receiverIndex, nonce, cookieEnc: sealCookie(local.cookieKey, nonce, cookie, triggerMac1) });
}

/** The cookie inside a PILC answering `initiation`, or null when it does not open. */
export function consumeCookieReply(initiation: Initiation, bytes: Uint8Array): Uint8Array | null {
  const frame = decodePilc(bytes);
  return openCookie(cookieKey(initiation.responderStatic), frame.nonce, frame.cookieEnc, initiation.mac1);
}

/** The receiver index of a PILR (offset 8) or PILC (offset 4), or the sender index of a PILH (offset 4). */
export function readIndex(bytes: Uint8Array, offset: number): number {
  return ((bytes[offset] << 24) | (bytes[offset + 1] << 16) | (bytes[offset + 2] << 8) | bytes[offset + 3]) >>> 0;
}
