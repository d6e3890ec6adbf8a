// The one error type of the wire codecs: every decoder in src/wire throws WireFormatError and nothing else, so a
// receive loop can catch exactly this, count a drop (the `field` usually names the drop reason) and carry on.

/** A byte string (or a value to encode) that violates a wire layout. */
export class WireFormatError extends Error {
  /** The field or rule that failed; for packet-level checks this is the drop reason (`bad_crc`, `beacon_bad_len`). */
  readonly field: string;
  /** Byte offset of the failing field within the decoded buffer (0 when the whole buffer is at fault). */
  readonly offset: number;

  constructor(message: string, field: string, offset: number) {
    super(message);
    this.name = "WireFormatError";
    this.field = field;
    this.offset = offset;
  }
}
