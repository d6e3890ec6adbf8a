// What travels inside the tunnel encryption: the handshake payloads P1 / P2 (PROTOCOL-BRIEF §3.3) and the PILS
// plaintexts (§3.5): empty keepalive, an overlay packet, or a tunnel-control message. Layouts only.
//
//   P1 (88): version u8 = 1 ‖ flags u8 ‖ reserved u16 ‖ initiator node u32 ‖ timestamp_ms u64 ‖ noise_issued_at u64
//            ‖ noise_sig(64)
//   P2 (8):  version u8 = 1 ‖ flags u8 ‖ reserved u16 ‖ responder node u32
//
//   PILS plaintext:  (empty)                      keepalive / key confirmation
//                    0x10..0x1F ...               overlay packet (§2), decoded with decodePacket
//                    01 ‖ token(8)                PATH_CHALLENGE
//                    02 ‖ token(8)                PATH_RESPONSE
//                    03 ‖ probe_id u32 ‖ padding  MTU_PROBE (its length is the probed size)
//                    04 ‖ probe_id u32 ‖ size u16 MTU_ACK
//                    05 ‖ reason u8               BYE
import { WireFormatError } from "./errors.ts";
import { MAX_UDP_PAYLOAD_BYTES, PILS_OVERHEAD_BYTES } from "./tunnel_frames.ts";

export const HANDSHAKE_PAYLOAD_VERSION = 1;
export const P1_BYTES = 88;
export const P2_BYTES = 8;
export const NOISE_SIG_BYTES = 64;

export type P1 = {
  readonly initiatorNode: number;
  readonly timestampMs: number;
  readonly noiseIssuedAt: number;
  /** A view into the decoded buffer. */
  readonly noiseSig: Uint8Array;
};
export type P2 = { readonly responderNode: number };

function checkU32(v: number, field: string, at: number): number {
  if (v >>> 0 !== v) throw new WireFormatError(`cannot encode tunnel payload: bad ${field}`, field, at);
  return v;
}

function checkU64(v: number, field: string, at: number): bigint {
  if (!Number.isSafeInteger(v) || v < 0) {
    throw new WireFormatError(`cannot encode tunnel payload: bad ${field}`, field, at);
  }
  return BigInt(v);
}

function readU64Number(view: DataView, at: number, field: string): number {
  const hi = view.getUint32(at);
  if (hi > 0x1fffff) throw new WireFormatError(`invalid tunnel payload: ${field} beyond 2^53`, field, at);
  return hi * 0x1_0000_0000 + view.getUint32(at + 4);
}

function checkHandshakePayload(b: Uint8Array, size: number, name: string): DataView {
  if (b.length !== size) throw new WireFormatError(`invalid ${name}: ${b.length} bytes (want ${size})`, "bad_len", 0);
  if (b[0] !== HANDSHAKE_PAYLOAD_VERSION) {
    throw new WireFormatError(`invalid ${name}: version ${b[0]}`, "version", 0);
  }
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

export function encodeP1(p: P1): Uint8Array {
  const out = new Uint8Array(P1_BYTES);
  const v = new DataView(out.buffer);
  out[0] = HANDSHAKE_PAYLOAD_VERSION;
  v.setUint32(4, checkU32(p.initiatorNode, "initiator_node", 4));
  v.setBigUint64(8, checkU64(p.timestampMs, "timestamp_ms", 8));
  v.setBigUint64(16, checkU64(p.noiseIssuedAt, "noise_issued_at", 16));
  if (p.noiseSig.length !== NOISE_SIG_BYTES) {
    throw new WireFormatError("cannot encode P1: bad noise_sig", "noise_sig", 24);
  }
  out.set(p.noiseSig, 24);
  return out;
}

/** Decodes P1, requiring version 1 (flags and reserved are ignored for forward compatibility). */
export function decodeP1(b: Uint8Array): P1 {
  const v = checkHandshakePayload(b, P1_BYTES, "P1");
  return {
    initiatorNode: v.getUint32(4),
    timestampMs: readU64Number(v, 8, "timestamp_ms"),
    noiseIssuedAt: readU64Number(v, 16, "noise_issued_at"),
    noiseSig: b.subarray(24, P1_BYTES),
  };
}

export function encodeP2(p: P2): Uint8Array {
  const out = new Uint8Array(P2_BYTES);
  out[0] = HANDSHAKE_PAYLOAD_VERSION;
  new DataView(out.buffer).setUint32(4, checkU32(p.responderNode, "responder_node", 4));
  return out;
}

export function decodeP2(b: Uint8Array): P2 {
  return { responderNode: checkHandshakePayload(b, P2_BYTES, "P2").getUint32(4) };
}

export const CTRL_PATH_CHALLENGE = 0x01;
export const CTRL_PATH_RESPONSE = 0x02;
export const CTRL_MTU_PROBE = 0x03;
export const CTRL_MTU_ACK = 0x04;
export const CTRL_BYE = 0x05;
export const PATH_TOKEN_BYTES = 8;
export const PATH_MESSAGE_BYTES = 1 + PATH_TOKEN_BYTES;
export const MTU_PROBE_MIN_BYTES = 5;
/** The largest plaintext one PILS frame in one UDP datagram can carry. */
export const MAX_PLAINTEXT_BYTES = MAX_UDP_PAYLOAD_BYTES - PILS_OVERHEAD_BYTES;
export const MTU_ACK_BYTES = 7;
export const BYE_BYTES = 2;
export const BYE_REASON_SHUTDOWN = 1;
/** First bytes 0x10..0x1F: an overlay packet (version 1 in the high nibble). */
const PACKET_FIRST_BYTE_MIN = 0x10;
const PACKET_FIRST_BYTE_MAX = 0x1f;

export type TunnelPlaintext =
  | { readonly kind: "keepalive" }
  | { readonly kind: "packet" }
  | { readonly kind: "path_challenge"; readonly token: Uint8Array }
  | { readonly kind: "path_response"; readonly token: Uint8Array }
  | { readonly kind: "mtu_probe"; readonly probeId: number; readonly size: number }
  | { readonly kind: "mtu_ack"; readonly probeId: number; readonly size: number }
  | { readonly kind: "bye"; readonly reason: number };

const KEEPALIVE: TunnelPlaintext = Object.freeze({ kind: "keepalive" });
const PACKET: TunnelPlaintext = Object.freeze({ kind: "packet" });

function badPlaintext(reason: string): WireFormatError {
  return new WireFormatError(`invalid tunnel plaintext: ${reason}`, "bad_plaintext", 0);
}

/**
 * Classifies a decrypted PILS plaintext. For `packet` the caller passes the same bytes to decodePacket. Tokens are
 * views of the input. Anything else (unknown type, wrong size) → WireFormatError with field `bad_plaintext`.
 */
export function decodeTunnelPlaintext(b: Uint8Array): TunnelPlaintext {
  const n = b.length;
  if (n === 0) return KEEPALIVE;
  const t = b[0];
  if (t >= PACKET_FIRST_BYTE_MIN && t <= PACKET_FIRST_BYTE_MAX) return PACKET;
  switch (t) {
    case CTRL_PATH_CHALLENGE:
    case CTRL_PATH_RESPONSE:
      if (n !== PATH_MESSAGE_BYTES) throw badPlaintext(`path message of ${n} bytes`);
      return { kind: t === CTRL_PATH_CHALLENGE ? "path_challenge" : "path_response", token: b.subarray(1) };
    case CTRL_MTU_PROBE:
      if (n < MTU_PROBE_MIN_BYTES) throw badPlaintext(`mtu probe of ${n} bytes`);
      return { kind: "mtu_probe", probeId: readU32(b, 1), size: n };
    case CTRL_MTU_ACK:
      if (n !== MTU_ACK_BYTES) throw badPlaintext(`mtu ack of ${n} bytes`);
      return { kind: "mtu_ack", probeId: readU32(b, 1), size: (b[5] << 8) | b[6] };
    case CTRL_BYE:
      if (n !== BYE_BYTES) throw badPlaintext(`bye of ${n} bytes`);
      return { kind: "bye", reason: b[1] };
    default:
      throw badPlaintext(`type ${t}`);
  }
}

function readU32(b: Uint8Array, o: number): number {
  return ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
}

function pathMessage(type: number, token: Uint8Array): Uint8Array {
  if (token.length !== PATH_TOKEN_BYTES) throw new WireFormatError("cannot encode path message: bad token", "token", 1);
  const out = new Uint8Array(PATH_MESSAGE_BYTES);
  out[0] = type;
  out.set(token, 1);
  return out;
}

export function encodePathChallenge(token: Uint8Array): Uint8Array {
  return pathMessage(CTRL_PATH_CHALLENGE, token);
}

export function encodePathResponse(token: Uint8Array): Uint8Array {
  return pathMessage(CTRL_PATH_RESPONSE, token);
}

/** An MTU_PROBE plaintext of exactly `size` bytes (zero padding). */
export function encodeMtuProbe(probeId: number, size: number): Uint8Array {
  if (!Number.isInteger(size) || size < MTU_PROBE_MIN_BYTES || size > MAX_PLAINTEXT_BYTES) {
    throw new WireFormatError(`cannot encode mtu probe: size ${size}`, "size", 0);
  }
  const out = new Uint8Array(size);
  out[0] = CTRL_MTU_PROBE;
  new DataView(out.buffer).setUint32(1, checkU32(probeId, "probe_id", 1));
  return out;
}

export function encodeMtuAck(probeId: number, size: number): Uint8Array {
  if ((size & 0xffff) !== size) throw new WireFormatError(`cannot encode mtu ack: size ${size}`, "size", 5);
  const out = new Uint8Array(MTU_ACK_BYTES);
  const v = new DataView(out.buffer);
  out[0] = CTRL_MTU_ACK;
  v.setUint32(1, checkU32(probeId, "probe_id", 1));
  v.setUint16(5, size);
  return out;
}

export function encodeBye(reason: number = BYE_REASON_SHUTDOWN): Uint8Array {
  if ((reason & 0xff) !== reason) throw new WireFormatError(`cannot encode bye: reason ${reason}`, "reason", 1);
  return Uint8Array.of(CTRL_BYE, reason);
}

/** The empty keepalive / key-confirmation plaintext. */
export function encodeKeepalive(): Uint8Array {
  return new Uint8Array(0);
}
