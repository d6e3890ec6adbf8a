// Serial-number arithmetic on the 32-bit sequence space (PROTOCOL-BRIEF §7.1, RFC 1982 style):
// `a after b ⇔ (a − b) mod 2^32 ∈ [1, 2^31)`. Inside a connection, positions are kept "unwrapped" as plain offsets
// from the initial sequence number (exact integers far below 2^53); these helpers convert at the wire boundary.

const SEQ_MODULUS = 0x1_0000_0000;
const HALF_SPACE = 0x8000_0000;

export function seqAdd(a: number, n: number): number {
  return (a + n) >>> 0;
}

/** (a − b) mod 2^32, in [0, 2^32). */
export function seqDistance(a: number, b: number): number {
  return (a - b) >>> 0;
}

/** a is after b: (a − b) mod 2^32 ∈ [1, 2^31). */
export function seqGt(a: number, b: number): boolean {
  const d = (a - b) >>> 0;
  return d >= 1 && d < HALF_SPACE;
}

export function seqLt(a: number, b: number): boolean {
  return seqGt(b, a);
}

export function seqGe(a: number, b: number): boolean {
  return a >>> 0 === b >>> 0 || seqGt(a, b);
}

export function seqLe(a: number, b: number): boolean {
  return a >>> 0 === b >>> 0 || seqLt(a, b);
}

/** Signed distance a − b in [−2^31, 2^31). */
export function seqSignedDiff(a: number, b: number): number {
  return (a - b) | 0;
}

/**
 * Maps a wire sequence number to an unwrapped offset, choosing the value nearest to `refOffset`, whose wire form is
 * `refWire`. Valid while the true value lies within 2^31 of the reference, which the windows guarantee.
 */
export function unwrapSeq(wire: number, refOffset: number, refWire: number): number {
  return refOffset + seqSignedDiff(wire, refWire);
}

/** Wire form of an unwrapped offset relative to `base` (the ISN). */
export function wrapSeq(base: number, offset: number): number {
  return (base + (offset % SEQ_MODULUS)) >>> 0;
}
