// The overlay packet (PROTOCOL-BRIEF §2): 34-byte header, CRC-32, payload, and the step-1 receive checks of §2.3.
// Encoded and decoded for every packet, so fields are read and written byte by byte (no DataView per call).
//
// byte  +0       +1       +2       +3       +4       +5       +6       +7       +8       +9
//     +--------+--------+-----------------+-----------------+-----------------------------------+
//   0 |ver|flag| proto  | payload length  |   src network   |             src node              |
//     +--------+--------+-----------------+-----------------+-----------------------------------+
//  10 |   dst network   |             dst node              |    src port     |    dst port     |
//     +-----------------+-----------------------------------+-----------------+-----------------+
//  20 |                seq                |                ack                |     window      |
//     +-----------------------------------+-----------------------------------+-----------------+
//  30 |             checksum              | payload (payload length bytes) ...
//
// checksum = CRC-32 over the header with bytes 30..33 zero, then the payload; stored big-endian.
import { type Addr, writeAddr } from "./address.ts";
import { crc32, crc32Zeros } from "./crc32.ts";
import { WireFormatError } from "./errors.ts";

export const WIRE_VERSION = 1;
export const HEADER_BYTES = 34;
export const CHECKSUM_OFFSET = 30;

export const PROTO_STREAM = 0x01;
export const PROTO_DATAGRAM = 0x02;
export const PROTO_CONTROL = 0x03;
export const PROTO_STREAM_ACK = 0x04;

export const FLAG_SYN = 0x1;
export const FLAG_ACK = 0x2;
export const FLAG_FIN = 0x4;
export const FLAG_RST = 0x8;

/** Payload limit of a path that was never MTU-probed (and of every relayed path), §3.5. */
export const DEFAULT_PAYLOAD_LIMIT_BYTES = 1152;
/** 65,507 (max UDP payload) − 32 (PILS) − 34 (header). */
export const MAX_PAYLOAD_ABSOLUTE_BYTES = 65_441;
/** The unit of the Window field (one default-size segment). */
export const SEGMENT_UNIT_BYTES = 1152;

export type Packet = {
  readonly version: number;
  readonly flags: number;
  readonly proto: number;
  readonly src: Addr;
  readonly dst: Addr;
  readonly srcPort: number;
  readonly dstPort: number;
  readonly seq: number;
  readonly ack: number;
  readonly window: number;
  readonly payload: Uint8Array;
};

// Bit f of the mask is set when flags value f is allowed for the protocol (§2.1).
const bit = (f: number) => 1 << f;
const ALLOWED_FLAGS_MASK: readonly number[] = [
  0,
  bit(FLAG_SYN) | bit(FLAG_SYN | FLAG_ACK) | bit(FLAG_ACK) | bit(FLAG_FIN | FLAG_ACK) | bit(FLAG_RST) |
  bit(FLAG_RST | FLAG_ACK),
  bit(0),
  bit(0) | bit(FLAG_ACK),
  bit(FLAG_ACK),
];

export function isKnownProto(proto: number): boolean {
  return proto >= PROTO_STREAM && proto <= PROTO_STREAM_ACK;
}

/** Whether §2.1 allows this flags value for this protocol. */
export function isAllowedFlags(proto: number, flags: number): boolean {
  return isKnownProto(proto) && (ALLOWED_FLAGS_MASK[proto] & (1 << (flags & 0xf))) !== 0 && (flags & ~0xf) === 0;
}

function fieldError(field: string, value: number, offset: number): WireFormatError {
  return new WireFormatError(`cannot encode packet: ${field} ${value} out of range`, field, offset);
}

/**
 * Writes the packet at `out[offset..]` (34 + payload bytes) with its CRC and returns the bytes written. Any in-range
 * field values are encoded; the §2.1 protocol/flag rules are the receiver's check (see isAllowedFlags).
 */
export function encodePacketInto(p: Packet, out: Uint8Array, offset: number): number {
  const n = p.payload.length;
  if ((p.version & 0xf) !== p.version) throw fieldError("version", p.version, 0);
  if ((p.flags & 0xf) !== p.flags) throw fieldError("flags", p.flags, 0);
  if ((p.proto & 0xff) !== p.proto) throw fieldError("proto", p.proto, 1);
  if (n > MAX_PAYLOAD_ABSOLUTE_BYTES) throw fieldError("payload_length", n, 2);
  if ((p.srcPort & 0xffff) !== p.srcPort) throw fieldError("src_port", p.srcPort, 16);
  if ((p.dstPort & 0xffff) !== p.dstPort) throw fieldError("dst_port", p.dstPort, 18);
  if (p.seq >>> 0 !== p.seq) throw fieldError("seq", p.seq, 20);
  if (p.ack >>> 0 !== p.ack) throw fieldError("ack", p.ack, 24);
  if ((p.window & 0xffff) !== p.window) throw fieldError("window", p.window, 28);
  if (!Number.isInteger(offset) || offset < 0 || offset + HEADER_BYTES + n > out.length) {
    throw new WireFormatError(`cannot encode packet: no room for ${HEADER_BYTES + n} bytes`, "buffer", offset);
  }
  const o = offset;
  out[o] = (p.version << 4) | p.flags;
  out[o + 1] = p.proto;
  out[o + 2] = n >>> 8;
  out[o + 3] = n & 0xff;
  writeAddr(out, o + 4, p.src);
  writeAddr(out, o + 10, p.dst);
  out[o + 16] = p.srcPort >>> 8;
  out[o + 17] = p.srcPort & 0xff;
  out[o + 18] = p.dstPort >>> 8;
  out[o + 19] = p.dstPort & 0xff;
  writeU32(out, o + 20, p.seq);
  writeU32(out, o + 24, p.ack);
  out[o + 28] = p.window >>> 8;
  out[o + 29] = p.window & 0xff;
  out.set(p.payload, o + HEADER_BYTES);
  writeU32(out, o + CHECKSUM_OFFSET, packetCrc(out, o, o + HEADER_BYTES + n));
  return HEADER_BYTES + n;
}

export function encodePacket(p: Packet): Uint8Array {
  const out = new Uint8Array(HEADER_BYTES + p.payload.length);
  encodePacketInto(p, out, 0);
  return out;
}

/**
 * Decodes one packet and applies the §2.3 step-1 checks in order: length (`runt`, `bad_length`), version
 * (`bad_version`), CRC (`bad_crc`), protocol (`bad_proto`), flags (`bad_flags`); a failure throws WireFormatError
 * whose `field` is that drop reason. The returned `payload` is a subarray VIEW of `bytes` (no copy): copy it
 * before reusing the input buffer.
 */
export function decodePacket(bytes: Uint8Array): Packet {
  const len = bytes.length;
  if (len < HEADER_BYTES) {
    throw new WireFormatError(`invalid packet: ${len} bytes is shorter than the header`, "runt", 0);
  }
  const n = (bytes[2] << 8) | bytes[3];
  if (n !== len - HEADER_BYTES) {
    throw new WireFormatError(
      `invalid packet: payload length ${n} but ${len - HEADER_BYTES} bytes follow`,
      "bad_length",
      2,
    );
  }
  const b0 = bytes[0];
  if (b0 >>> 4 !== WIRE_VERSION) throw new WireFormatError(`invalid packet: version ${b0 >>> 4}`, "bad_version", 0);
  const stored = readU32(bytes, CHECKSUM_OFFSET);
  if (stored !== packetCrc(bytes, 0, len)) throw new WireFormatError("invalid packet: crc mismatch", "bad_crc", 30);
  const proto = bytes[1];
  if (!isKnownProto(proto)) throw new WireFormatError(`invalid packet: protocol ${proto}`, "bad_proto", 1);
  const flags = b0 & 0xf;
  if (!isAllowedFlags(proto, flags)) {
    throw new WireFormatError(`invalid packet: flags ${flags} with protocol ${proto}`, "bad_flags", 0);
  }
  return {
    version: WIRE_VERSION,
    flags,
    proto,
    src: { network: (bytes[4] << 8) | bytes[5], node: readU32(bytes, 6) },
    dst: { network: (bytes[10] << 8) | bytes[11], node: readU32(bytes, 12) },
    srcPort: (bytes[16] << 8) | bytes[17],
    dstPort: (bytes[18] << 8) | bytes[19],
    seq: readU32(bytes, 20),
    ack: readU32(bytes, 24),
    window: (bytes[28] << 8) | bytes[29],
    payload: bytes.subarray(HEADER_BYTES),
  };
}

/** CRC of the packet at bytes[start, end) with its checksum field taken as zero. */
function packetCrc(bytes: Uint8Array, start: number, end: number): number {
  let c = crc32(bytes, start, start + CHECKSUM_OFFSET);
  c = crc32Zeros(4, c);
  return crc32(bytes, start + HEADER_BYTES, end, c);
}

function readU32(b: Uint8Array, o: number): number {
  return ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
}

function writeU32(b: Uint8Array, o: number, v: number): void {
  b[o] = v >>> 24;
  b[o + 1] = (v >>> 16) & 0xff;
  b[o + 2] = (v >>> 8) & 0xff;
  b[o + 3] = v & 0xff;
}
