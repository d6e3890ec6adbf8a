// Parsing of the stream payloads a connection reads (PROTOCOL-BRIEF §7.1, §7.4) into the transport's terms: SYN
// options, or null when malformed (the segment is dropped); SACK blocks as unwrapped offsets, the D-SACK block left
// out (it reports a duplicate, not new data), or null for a bad_sack payload.
import { decodeSack, decodeSynOptions, type Packet, type SynOptions, WireFormatError } from "../wire/mod.ts";
import type { SeqRange } from "./scoreboard.ts";

export function parseSynOptions(p: Packet): SynOptions | null {
  try {
    return decodeSynOptions(p.payload);
  } catch (err) {
    if (err instanceof WireFormatError) return null;
    throw err;
  }
}

export function decodeSackOffsets(payload: Uint8Array, toOffset: (wire: number) => number): SeqRange[] | null {
  let sack;
  try {
    sack = decodeSack(payload);
  } catch (err) {
    if (err instanceof WireFormatError) return null;
    throw err;
  }
  const out: SeqRange[] = [];
  for (let k = sack.dsack ? 1 : 0; k < sack.blocks.length; k++) {
    const b = sack.blocks[k];
    const start = toOffset(b.left);
    out.push({ start, end: start + ((b.right - b.left) >>> 0) });
  }
  return out;
}
