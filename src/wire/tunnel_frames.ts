// Outer tunnel frames on the daemon's UDP socket (PROTOCOL-BRIEF §3.1 demultiplexing, §3.4 handshake frames, §3.5
// PILS header, PILP punch probe). Layouts only: encryption, MACs and cookies are computed by the tunnel. Decoded byte
// fields are subarray VIEWS of the input buffer.
//
//   PILH 224: "PILH" ‖ sender_index u32 ‖ ephemeral(32) ‖ static_enc(48) ‖ p1_enc(104) ‖ mac1(16) ‖ mac2(16)
//   PILR 100: "PILR" ‖ sender_index u32 ‖ receiver_index u32 ‖ ephemeral(32) ‖ p2_enc(24) ‖ mac1(16) ‖ mac2(16)
//   PILC  52: "PILC" ‖ receiver_index u32 ‖ nonce(12) ‖ cookie_enc(32)
//   PILS ≥32: "PILS" ‖ receiver_index u32 ‖ counter u64 ‖ ciphertext(n) ‖ tag(16)      (AAD = the first 16 bytes)
//   PILP  16: "PILP" ‖ sender_node u32 ‖ punch_id(8)
import { BEACON_TYPE_LIMIT, PUNCH_ID_BYTES } from "./beacon.ts";
import { WireFormatError } from "./errors.ts";

export const MAGIC_BYTES = 4;
export const MAGIC_PILH = 0x50494c48;
export const MAGIC_PILR = 0x50494c52;
export const MAGIC_PILC = 0x50494c43;
export const MAGIC_PILS = 0x50494c53;
export const MAGIC_PILP = 0x50494c50;

export const PILH_BYTES = 224;
export const PILR_BYTES = 100;
export const PILC_BYTES = 52;
export const PILP_BYTES = 16;
export const PILS_HEADER_BYTES = 16;
export const AEAD_TAG_BYTES = 16;
export const PILS_MIN_BYTES = PILS_HEADER_BYTES + AEAD_TAG_BYTES;
/** Added to every overlay packet by PILS (header + tag). */
export const PILS_OVERHEAD_BYTES = PILS_MIN_BYTES;
export const MAX_UDP_PAYLOAD_BYTES = 65_507;

export const KEY_BYTES = 32;
export const MAC_BYTES = 16;
export const COOKIE_NONCE_BYTES = 12;
export const PILH_STATIC_ENC_BYTES = KEY_BYTES + AEAD_TAG_BYTES;
export const PILH_P1_ENC_BYTES = 88 + AEAD_TAG_BYTES;
export const PILR_P2_ENC_BYTES = 8 + AEAD_TAG_BYTES;
export const PILC_COOKIE_ENC_BYTES = 16 + AEAD_TAG_BYTES;
/** mac1 covers msg[0 .. MAC1_OFFSET), mac2 covers msg[0 .. MAC2_OFFSET) (§3.9). */
export const PILH_MAC1_OFFSET = 192;
export const PILH_MAC2_OFFSET = 208;
export const PILR_MAC1_OFFSET = 68;
export const PILR_MAC2_OFFSET = 84;

export type DatagramDropReason = "runt" | "bad_magic" | "bad_len";
export type DatagramClass =
  | { readonly kind: "beacon" }
  | { readonly kind: "handshake_init" }
  | { readonly kind: "handshake_response" }
  | { readonly kind: "cookie_reply" }
  | { readonly kind: "transport" }
  | { readonly kind: "punch_probe" }
  | { readonly kind: "drop"; readonly reason: DatagramDropReason };

// Shared frozen results: classification runs per datagram and allocates nothing.
const BEACON: DatagramClass = Object.freeze({ kind: "beacon" });
const HANDSHAKE_INIT: DatagramClass = Object.freeze({ kind: "handshake_init" });
const HANDSHAKE_RESPONSE: DatagramClass = Object.freeze({ kind: "handshake_response" });
const COOKIE_REPLY: DatagramClass = Object.freeze({ kind: "cookie_reply" });
const TRANSPORT: DatagramClass = Object.freeze({ kind: "transport" });
const PUNCH_PROBE: DatagramClass = Object.freeze({ kind: "punch_probe" });
const DROP_RUNT: DatagramClass = Object.freeze({ kind: "drop", reason: "runt" });
const DROP_BAD_MAGIC: DatagramClass = Object.freeze({ kind: "drop", reason: "bad_magic" });
const DROP_BAD_LEN: DatagramClass = Object.freeze({ kind: "drop", reason: "bad_len" });

function readU32(b: Uint8Array, o: number): number {
  return ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
}

function writeU32(b: Uint8Array, o: number, v: number, field: string): void {
  if (v >>> 0 !== v) throw new WireFormatError(`cannot encode tunnel frame: bad ${field}`, field, o);
  b[o] = v >>> 24;
  b[o + 1] = (v >>> 16) & 0xff;
  b[o + 2] = (v >>> 8) & 0xff;
  b[o + 3] = v & 0xff;
}

/**
 * The §3.1 demultiplexing decision for one datagram. A beacon message still needs its source checked by the caller
 * (`beacon_spoof`); a known magic with the wrong size drops as `bad_len`.
 */
export function classifyDatagram(b: Uint8Array): DatagramClass {
  const n = b.length;
  if (n === 0) return DROP_RUNT;
  if (b[0] < BEACON_TYPE_LIMIT) return BEACON;
  if (n < MAGIC_BYTES) return DROP_RUNT;
  switch (readU32(b, 0)) {
    case MAGIC_PILS:
      return n >= PILS_MIN_BYTES ? TRANSPORT : DROP_BAD_LEN;
    case MAGIC_PILH:
      return n === PILH_BYTES ? HANDSHAKE_INIT : DROP_BAD_LEN;
    case MAGIC_PILR:
      return n === PILR_BYTES ? HANDSHAKE_RESPONSE : DROP_BAD_LEN;
    case MAGIC_PILC:
      return n === PILC_BYTES ? COOKIE_REPLY : DROP_BAD_LEN;
    case MAGIC_PILP:
      return n === PILP_BYTES ? PUNCH_PROBE : DROP_BAD_LEN;
    default:
      return DROP_BAD_MAGIC;
  }
}

function checkFrame(b: Uint8Array, magic: number, size: number, name: string): void {
  if (b.length !== size) throw new WireFormatError(`invalid ${name}: ${b.length} bytes (want ${size})`, "bad_len", 0);
  if (b.length < MAGIC_BYTES || readU32(b, 0) !== magic) {
    throw new WireFormatError(`invalid ${name}: wrong magic`, "bad_magic", 0);
  }
}

function put(out: Uint8Array, at: number, bytes: Uint8Array, length: number, field: string): void {
  if (bytes.length !== length) {
    throw new WireFormatError(`cannot encode tunnel frame: ${field} must be ${length} bytes`, field, at);
  }
  out.set(bytes, at);
}

export type Pilh = {
  readonly senderIndex: number;
  readonly ephemeral: Uint8Array;
  readonly staticEnc: Uint8Array;
  readonly p1Enc: Uint8Array;
  readonly mac1: Uint8Array;
  readonly mac2: Uint8Array;
};

/** PILH bytes; pass zero macs and fill them in place later (their offsets are exported) if computing them after. */
export function encodePilh(f: Pilh): Uint8Array {
  const out = new Uint8Array(PILH_BYTES);
  writeU32(out, 0, MAGIC_PILH, "magic");
  writeU32(out, 4, f.senderIndex, "sender_index");
  put(out, 8, f.ephemeral, KEY_BYTES, "ephemeral");
  put(out, 40, f.staticEnc, PILH_STATIC_ENC_BYTES, "static_enc");
  put(out, 88, f.p1Enc, PILH_P1_ENC_BYTES, "p1_enc");
  put(out, PILH_MAC1_OFFSET, f.mac1, MAC_BYTES, "mac1");
  put(out, PILH_MAC2_OFFSET, f.mac2, MAC_BYTES, "mac2");
  return out;
}

export function decodePilh(b: Uint8Array): Pilh {
  checkFrame(b, MAGIC_PILH, PILH_BYTES, "PILH");
  return {
    senderIndex: readU32(b, 4),
    ephemeral: b.subarray(8, 40),
    staticEnc: b.subarray(40, 88),
    p1Enc: b.subarray(88, PILH_MAC1_OFFSET),
    mac1: b.subarray(PILH_MAC1_OFFSET, PILH_MAC2_OFFSET),
    mac2: b.subarray(PILH_MAC2_OFFSET, PILH_BYTES),
  };
}

export type Pilr = {
  readonly senderIndex: number;
  readonly receiverIndex: number;
  readonly ephemeral: Uint8Array;
  readonly p2Enc: Uint8Array;
  readonly mac1: Uint8Array;
  readonly mac2: Uint8Array;
};

export function encodePilr(f: Pilr): Uint8Array {
  const out = new Uint8Array(PILR_BYTES);
  writeU32(out, 0, MAGIC_PILR, "magic");
  writeU32(out, 4, f.senderIndex, "sender_index");
  writeU32(out, 8, f.receiverIndex, "receiver_index");
  put(out, 12, f.ephemeral, KEY_BYTES, "ephemeral");
  put(out, 44, f.p2Enc, PILR_P2_ENC_BYTES, "p2_enc");
  put(out, PILR_MAC1_OFFSET, f.mac1, MAC_BYTES, "mac1");
  put(out, PILR_MAC2_OFFSET, f.mac2, MAC_BYTES, "mac2");
  return out;
}

export function decodePilr(b: Uint8Array): Pilr {
  checkFrame(b, MAGIC_PILR, PILR_BYTES, "PILR");
  return {
    senderIndex: readU32(b, 4),
    receiverIndex: readU32(b, 8),
    ephemeral: b.subarray(12, 44),
    p2Enc: b.subarray(44, PILR_MAC1_OFFSET),
    mac1: b.subarray(PILR_MAC1_OFFSET, PILR_MAC2_OFFSET),
    mac2: b.subarray(PILR_MAC2_OFFSET, PILR_BYTES),
  };
}

export type Pilc = { readonly receiverIndex: number; readonly nonce: Uint8Array; readonly cookieEnc: Uint8Array };

export function encodePilc(f: Pilc): Uint8Array {
  const out = new Uint8Array(PILC_BYTES);
  writeU32(out, 0, MAGIC_PILC, "magic");
  writeU32(out, 4, f.receiverIndex, "receiver_index");
  put(out, 8, f.nonce, COOKIE_NONCE_BYTES, "nonce");
  put(out, 20, f.cookieEnc, PILC_COOKIE_ENC_BYTES, "cookie_enc");
  return out;
}

export function decodePilc(b: Uint8Array): Pilc {
  checkFrame(b, MAGIC_PILC, PILC_BYTES, "PILC");
  return { receiverIndex: readU32(b, 4), nonce: b.subarray(8, 20), cookieEnc: b.subarray(20, PILC_BYTES) };
}

export type Pilp = { readonly senderNode: number; readonly punchId: Uint8Array };

export function encodePilp(f: Pilp): Uint8Array {
  const out = new Uint8Array(PILP_BYTES);
  writeU32(out, 0, MAGIC_PILP, "magic");
  writeU32(out, 4, f.senderNode, "sender_node");
  put(out, 8, f.punchId, PUNCH_ID_BYTES, "punch_id");
  return out;
}

export function decodePilp(b: Uint8Array): Pilp {
  checkFrame(b, MAGIC_PILP, PILP_BYTES, "PILP");
  return { senderNode: readU32(b, 4), punchId: b.subarray(8, PILP_BYTES) };
}

export type PilsHeader = { readonly receiverIndex: number; readonly counter: bigint };
export type PilsFrame = PilsHeader & {
  /** The 16 header bytes: the AEAD additional data. */
  readonly header: Uint8Array;
  /** Ciphertext followed by the 16-byte tag. */
  readonly sealed: Uint8Array;
};

const U64_MAX = 0xffff_ffff_ffff_ffffn;

/** Writes the 16-byte PILS header at out[offset..]; the sealed payload follows at offset + 16. */
export function writePilsHeader(out: Uint8Array, offset: number, h: PilsHeader): void {
  if (offset < 0 || offset + PILS_HEADER_BYTES > out.length) {
    throw new WireFormatError("cannot encode PILS header: no room", "buffer", offset);
  }
  if (typeof h.counter !== "bigint" || h.counter < 0n || h.counter > U64_MAX) {
    throw new WireFormatError("cannot encode PILS header: bad counter", "counter", offset + 8);
  }
  writeU32(out, offset, MAGIC_PILS, "magic");
  writeU32(out, offset + 4, h.receiverIndex, "receiver_index");
  writeU32(out, offset + 8, Number(h.counter >> 32n), "counter");
  writeU32(out, offset + 12, Number(h.counter & 0xffff_ffffn), "counter");
}

export function encodePilsHeader(h: PilsHeader): Uint8Array {
  const out = new Uint8Array(PILS_HEADER_BYTES);
  writePilsHeader(out, 0, h);
  return out;
}

export function decodePils(b: Uint8Array): PilsFrame {
  if (b.length < PILS_MIN_BYTES) {
    throw new WireFormatError(`invalid PILS: ${b.length} bytes (want at least ${PILS_MIN_BYTES})`, "bad_len", 0);
  }
  if (readU32(b, 0) !== MAGIC_PILS) throw new WireFormatError("invalid PILS: wrong magic", "bad_magic", 0);
  return {
    receiverIndex: readU32(b, 4),
    counter: (BigInt(readU32(b, 8)) << 32n) | BigInt(readU32(b, 12)),
    header: b.subarray(0, PILS_HEADER_BYTES),
    sealed: b.subarray(PILS_HEADER_BYTES),
  };
}
