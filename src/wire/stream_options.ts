// Stream payload layouts: the SYN / SYN-ACK option list (PROTOCOL-BRIEF §7.1) and the SACK payload of
// stream-ack packets (protocol 0x04, §7.4).
//
// SYN options, a TLV list of at most 40 bytes; unknown kinds are skipped, MAX_SEG is required:
//   +--------+--------+----------------+
//   |  kind  |  len   | value (len B)  | ...      kind 0x01 MAX_SEG: len 2, u16 ≥ 1152
//   +--------+--------+----------------+
//
// SACK payload, exactly 2 + 8 × count bytes:
//   +--------+--------+-----------------------------------+-----------------------------------+
//   | count  | flags  |            left (u32)             |    right (u32, exclusive)         | × count (1..8)
//   +--------+--------+-----------------------------------+-----------------------------------+
//   flags bit 0: the first block is a D-SACK (RFC 2883); other bits are ignored on receipt and sent as 0.
import { WireFormatError } from "./errors.ts";

export const SYN_OPTIONS_MAX_BYTES = 40;
export const OPT_MAX_SEG = 0x01;
export const OPT_MAX_SEG_LEN = 2;
/** A peer must accept at least the default segment; smaller MAX_SEG values are malformed. */
export const MIN_MAX_SEG_BYTES = 1152;
export const MAX_MAX_SEG_BYTES = 0xffff;

export type SynOptions = { readonly maxSeg: number };

export function encodeSynOptions(o: SynOptions): Uint8Array {
  if (!Number.isInteger(o.maxSeg) || o.maxSeg < MIN_MAX_SEG_BYTES || o.maxSeg > MAX_MAX_SEG_BYTES) {
    throw new WireFormatError(`cannot encode syn options: max_seg ${o.maxSeg} out of range`, "max_seg", 2);
  }
  return Uint8Array.of(OPT_MAX_SEG, OPT_MAX_SEG_LEN, o.maxSeg >>> 8, o.maxSeg & 0xff);
}

function synError(reason: string, offset: number): WireFormatError {
  return new WireFormatError(`invalid syn options: ${reason}`, "syn_options", offset);
}

/** Decodes a SYN / SYN-ACK payload; throws WireFormatError (field `syn_options`) if malformed. */
export function decodeSynOptions(bytes: Uint8Array): SynOptions {
  if (bytes.length > SYN_OPTIONS_MAX_BYTES) throw synError(`${bytes.length} bytes exceeds ${SYN_OPTIONS_MAX_BYTES}`, 0);
  let maxSeg = -1;
  let i = 0;
  while (i < bytes.length) {
    if (i + 2 > bytes.length) throw synError("truncated option header", i);
    const kind = bytes[i];
    const len = bytes[i + 1];
    if (i + 2 + len > bytes.length) throw synError(`option ${kind} overruns the list`, i + 1);
    if (kind === OPT_MAX_SEG) {
      if (len !== OPT_MAX_SEG_LEN) throw synError(`max_seg length ${len}`, i + 1);
      if (maxSeg >= 0) throw synError("duplicate max_seg", i);
      maxSeg = (bytes[i + 2] << 8) | bytes[i + 3];
      if (maxSeg < MIN_MAX_SEG_BYTES) throw synError(`max_seg ${maxSeg} below ${MIN_MAX_SEG_BYTES}`, i + 2);
    }
    i += 2 + len;
  }
  if (maxSeg < 0) throw synError("missing max_seg", 0);
  return { maxSeg };
}

export const SACK_HEADER_BYTES = 2;
export const SACK_BLOCK_BYTES = 8;
export const SACK_MAX_BLOCKS = 8;
export const SACK_FLAG_DSACK = 0x01;

export type SackBlock = { readonly left: number; readonly right: number };
export type Sack = { readonly dsack: boolean; readonly blocks: readonly SackBlock[] };

export function encodeSack(s: Sack): Uint8Array {
  const count = s.blocks.length;
  if (count < 1 || count > SACK_MAX_BLOCKS) {
    throw new WireFormatError(`cannot encode sack: ${count} blocks (want 1..${SACK_MAX_BLOCKS})`, "count", 0);
  }
  const out = new Uint8Array(SACK_HEADER_BYTES + SACK_BLOCK_BYTES * count);
  const view = new DataView(out.buffer);
  out[0] = count;
  out[1] = s.dsack ? SACK_FLAG_DSACK : 0;
  for (let k = 0; k < count; k++) {
    const { left, right } = s.blocks[k];
    const at = SACK_HEADER_BYTES + SACK_BLOCK_BYTES * k;
    if (left >>> 0 !== left || right >>> 0 !== right) {
      throw new WireFormatError(`cannot encode sack: block ${k} is not a u32 pair`, "block", at);
    }
    view.setUint32(at, left);
    view.setUint32(at + 4, right);
  }
  return out;
}

/** Decodes a stream-ack payload; throws WireFormatError with field `bad_sack` (the drop reason). */
export function decodeSack(bytes: Uint8Array): Sack {
  if (bytes.length < SACK_HEADER_BYTES) throw new WireFormatError("invalid sack: runt", "bad_sack", 0);
  const count = bytes[0];
  if (count < 1 || count > SACK_MAX_BLOCKS) throw new WireFormatError(`invalid sack: count ${count}`, "bad_sack", 0);
  if (bytes.length !== SACK_HEADER_BYTES + SACK_BLOCK_BYTES * count) {
    throw new WireFormatError(`invalid sack: ${bytes.length} bytes for ${count} blocks`, "bad_sack", 0);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const blocks: SackBlock[] = [];
  for (let k = 0; k < count; k++) {
    const at = SACK_HEADER_BYTES + SACK_BLOCK_BYTES * k;
    blocks.push({ left: view.getUint32(at), right: view.getUint32(at + 4) });
  }
  return { dsack: (bytes[1] & SACK_FLAG_DSACK) !== 0, blocks };
}
