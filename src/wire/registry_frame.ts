// Length-prefixed framing of the registry TCP protocol (PROTOCOL-BRIEF §4.1), also used by trust messages on
// port 444 (§6.2, 16 KiB cap) and, through IpcFrameReader, by IPC (§8.2); plus the bounded JSON body parser.
//
//   +--------+--------+--------+--------+------------------------------+
//   |           length (u32)            | body: `length` bytes          |
//   +--------+--------+--------+--------+------------------------------+
//   1 ≤ length ≤ cap; a violation loses framing (reply `frame_too_large`, close the connection).
import { decodeUtf8Strict } from "../util/bytes.ts";
import { WireFormatError } from "./errors.ts";

export const FRAME_LENGTH_BYTES = 4;
export const MAX_REGISTRY_FRAME_BYTES = 1_048_576;
export const MAX_TRUST_FRAME_BYTES = 16_384;
export const MAX_JSON_DEPTH = 16;

// The reader starts small and returns to small after a big frame, so idle connections hold little memory.
const INITIAL_BUFFER_BYTES = 4096;
const SHRINK_ABOVE_BYTES = 65_536;

export type FrameReadResult =
  | { readonly kind: "frame"; readonly body: Uint8Array }
  | { readonly kind: "need_more" }
  | { readonly kind: "too_large"; readonly length: number };

const NEED_MORE: FrameReadResult = Object.freeze({ kind: "need_more" });

/**
 * Incremental decoder of `length u32 ‖ body` frames. Use: `push(chunk)`, then call `next()` until it returns
 * `need_more`. The length is checked as soon as its 4 bytes arrive, before any body is buffered, so a drained reader
 * holds at most 4 + cap bytes plus the last chunk. After `too_large` framing is lost: the reader keeps answering
 * `too_large` and discards input. Every `body` is a fresh copy owned by the caller; `push()` copies what it keeps.
 */
export class FrameReader {
  readonly maxFrameBytes: number;
  #buf = new Uint8Array(0);
  #start = 0;
  #end = 0;
  #failedLength = -1;

  /** A drained buffer larger than this is given back (a reader holds at most this much while idle). */
  readonly #retainBytes: number;

  constructor(maxFrameBytes: number = MAX_REGISTRY_FRAME_BYTES, retainBytes: number = SHRINK_ABOVE_BYTES) {
    this.#retainBytes = retainBytes;
    if (!Number.isInteger(maxFrameBytes) || maxFrameBytes < 1 || maxFrameBytes > 0xffffffff) {
      throw new RangeError(`invalid frame cap ${maxFrameBytes}`);
    }
    this.maxFrameBytes = maxFrameBytes;
  }

  /** Bytes received but not yet returned as a frame (a partial frame at end of stream means truncation). */
  get bufferedBytes(): number {
    return this.#end - this.#start;
  }

  /** True once a bad length was seen; framing is lost. */
  get failed(): boolean {
    return this.#failedLength >= 0;
  }

  push(chunk: Uint8Array): void {
    if (this.#failedLength >= 0 || chunk.length === 0) return;
    const buffered = this.#end - this.#start;
    if (this.#end + chunk.length > this.#buf.length) {
      const needed = buffered + chunk.length;
      if (needed <= this.#buf.length) {
        this.#buf.copyWithin(0, this.#start, this.#end);
      } else {
        // Doubling amortises copies; the cap keeps a drained reader within one maximal frame.
        const doubled = Math.min(2 * this.#buf.length, FRAME_LENGTH_BYTES + this.maxFrameBytes);
        const grown = new Uint8Array(Math.max(needed, INITIAL_BUFFER_BYTES, doubled));
        grown.set(this.#buf.subarray(this.#start, this.#end));
        this.#buf = grown;
      }
      this.#start = 0;
      this.#end = buffered;
    }
    this.#buf.set(chunk, this.#end);
    this.#end += chunk.length;
  }

  next(): FrameReadResult {
    if (this.#failedLength >= 0) return { kind: "too_large", length: this.#failedLength };
    const available = this.#end - this.#start;
    if (available < FRAME_LENGTH_BYTES) return NEED_MORE;
    const b = this.#buf;
    const s = this.#start;
    const length = ((b[s] << 24) | (b[s + 1] << 16) | (b[s + 2] << 8) | b[s + 3]) >>> 0;
    if (length === 0 || length > this.maxFrameBytes) {
      this.#failedLength = length;
      this.#buf = new Uint8Array(0);
      this.#start = this.#end = 0;
      return { kind: "too_large", length };
    }
    if (available < FRAME_LENGTH_BYTES + length) return NEED_MORE;
    const body = b.slice(s + FRAME_LENGTH_BYTES, s + FRAME_LENGTH_BYTES + length);
    this.#start += FRAME_LENGTH_BYTES + length;
    if (this.#start === this.#end) {
      this.#start = this.#end = 0;
      if (this.#buf.length > this.#retainBytes) this.#buf = new Uint8Array(0);
    }
    return { kind: "frame", body };
  }
}

/** Prefixes `body` with its u32 length; throws WireFormatError unless 1 ≤ length ≤ maxFrameBytes. */
export function encodeLengthPrefixed(body: Uint8Array, maxFrameBytes: number = MAX_REGISTRY_FRAME_BYTES): Uint8Array {
  if (body.length === 0 || body.length > maxFrameBytes) {
    throw new WireFormatError(`cannot encode frame: length ${body.length} outside 1..${maxFrameBytes}`, "length", 0);
  }
  const out = new Uint8Array(FRAME_LENGTH_BYTES + body.length);
  new DataView(out.buffer).setUint32(0, body.length);
  out.set(body, FRAME_LENGTH_BYTES);
  return out;
}

const ENCODER = new TextEncoder();

/** One registry (or trust, with its cap) frame holding `JSON.stringify(obj)` as UTF-8. */
export function encodeRegistryFrame(obj: object, maxFrameBytes: number = MAX_REGISTRY_FRAME_BYTES): Uint8Array {
  return encodeLengthPrefixed(encodeJsonBody(obj), maxFrameBytes);
}

/** UTF-8 JSON of an object; throws WireFormatError if `obj` does not serialise to a JSON object. */
export function encodeJsonBody(obj: object): Uint8Array {
  const text: string | undefined = JSON.stringify(obj);
  if (text === undefined || text[0] !== "{") {
    throw new WireFormatError("cannot encode json body: not an object", "json", 0);
  }
  return ENCODER.encode(text);
}

export type JsonBodyFailure = "not_utf8" | "not_json" | "not_object" | "too_deep" | "unsafe_integer";
export type JsonBodyResult =
  | { readonly ok: true; readonly value: Record<string, unknown> }
  | { readonly ok: false; readonly reason: JsonBodyFailure };

/**
 * Parses a frame body as one UTF-8 JSON object (no BOM) nested at most `maxDepth` levels (the top-level object is
 * level 1) whose integers all lie within ±(2^53 − 1). Never throws.
 */
export function parseJsonBody(body: Uint8Array, maxDepth: number = MAX_JSON_DEPTH): JsonBodyResult {
  const text = decodeUtf8Strict(body);
  if (text === null) return { ok: false, reason: "not_utf8" };
  // Depth is measured on the text first so a deeply nested body is refused before JSON.parse builds it.
  if (textDepth(text) > maxDepth) return { ok: false, reason: "too_deep" };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, reason: "not_json" };
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return { ok: false, reason: "not_object" };
  if (!integersSafe(value)) return { ok: false, reason: "unsafe_integer" };
  return { ok: true, value: value as Record<string, unknown> };
}

/** Maximum bracket nesting outside strings; exact for valid JSON, an estimate otherwise (then JSON.parse fails). */
function textDepth(text: string): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x7b || c === 0x5b) {
      if (++depth > max) max = depth;
    } else if (c === 0x7d || c === 0x5d) {
      depth--;
    }
  }
  return max;
}

// Recursion is bounded: callers only pass values whose depth was checked.
function integersSafe(value: unknown): boolean {
  if (typeof value === "number") return !Number.isInteger(value) || Number.isSafeInteger(value);
  if (typeof value !== "object" || value === null) return true;
  if (Array.isArray(value)) {
    for (const item of value) if (!integersSafe(item)) return false;
    return true;
  }
  for (const key in value) {
    if (!integersSafe((value as Record<string, unknown>)[key])) return false;
  }
  return true;
}
