// Data exchange frames, port 1001 (PROTOCOL-BRIEF §9.2): pure encoders and the ACK codec. The incremental receiver
// lives in data_exchange_reader.ts.
//
//   frame:      +-----------+-------------+------------------------+
//               | type u32  | length u32  | payload (length bytes) |
//               +-----------+-------------+------------------------+
//   FILE:       name_len u16 (1–255) ‖ name (UTF-8) ‖ sha256 (32) ‖ content
//   BROADCAST:  network_id u16 ‖ UTF-8 text
//   ACK:        UTF-8 JSON {"seq","status","type","bytes","message_id"?,"stored"?,"sha256"?,"code"?,"message"?}
import { decodeUtf8Strict, utf8 } from "../../util/bytes.ts";

export const FRAME_HEADER_BYTES = 8;
export const FRAME_LENGTH_MAX = 0xffff_ffff;
/** TEXT, BINARY, JSON and BROADCAST payloads. */
export const MAX_MESSAGE_BYTES = 1024 * 1024;
export const FILE_NAME_MIN_BYTES = 1;
export const FILE_NAME_MAX_BYTES = 255;
export const SHA256_BYTES = 32;
/** name_len + sha256, before the name's own bytes. */
export const FILE_PREFIX_FIXED_BYTES = 2 + SHA256_BYTES;
export const BROADCAST_PREFIX_BYTES = 2;
/** An ACK is a few fields and a short message; anything longer is not an ACK. */
export const MAX_ACK_BYTES = 16 * 1024;

export const FrameType = {
  TEXT: 1,
  BINARY: 2,
  JSON: 3,
  FILE: 4,
  ACK: 5,
  BROADCAST: 6,
} as const;
export type FrameTypeCode = typeof FrameType[keyof typeof FrameType];
export type MessageFrameType =
  | typeof FrameType.TEXT
  | typeof FrameType.BINARY
  | typeof FrameType.JSON
  | typeof FrameType.BROADCAST;

/** The ACK `type` of each frame type; frames of no known data type are acknowledged as `unknown`. */
export type AckType = "text" | "binary" | "json" | "file" | "broadcast" | "unknown";
export type AckStatus = "ok" | "error";
/** ACK `code`s: §9.2's four plus the refusals the brief leaves unnamed. */
export type AckErrorCode =
  | "too_large"
  | "quota_exceeded"
  | "unsupported_type"
  | "checksum_mismatch"
  | "invalid_payload"
  | "not_member"
  | "bad_frame"
  | "internal";

export const ACK_ERROR_CODES: readonly AckErrorCode[] = [
  "too_large",
  "quota_exceeded",
  "unsupported_type",
  "checksum_mismatch",
  "invalid_payload",
  "not_member",
  "bad_frame",
  "internal",
];

export interface Ack {
  readonly seq: number;
  readonly status: AckStatus;
  readonly type: AckType;
  readonly bytes: number;
  readonly message_id?: string;
  readonly stored?: string;
  readonly sha256?: string;
  readonly code?: AckErrorCode;
  readonly message?: string;
}

/** The codec's one error: a frame that breaks §9.2. `code` is the ACK code it earns. */
export class DataFrameError extends Error {
  readonly code: AckErrorCode;
  /** The offending frame's type and length (for its ACK). */
  readonly frameType: number;
  readonly length: number;

  constructor(message: string, code: AckErrorCode, frameType = 0, length = 0) {
    super(message);
    this.name = "DataFrameError";
    this.code = code;
    this.frameType = frameType;
    this.length = length;
  }
}

export function ackTypeOf(frameType: number): AckType {
  switch (frameType) {
    case FrameType.TEXT:
      return "text";
    case FrameType.BINARY:
      return "binary";
    case FrameType.JSON:
      return "json";
    case FrameType.FILE:
      return "file";
    case FrameType.BROADCAST:
      return "broadcast";
    default:
      return "unknown";
  }
}

export function encodeFrameHeader(type: number, length: number): Uint8Array {
  if (!Number.isInteger(length) || length < 0 || length > FRAME_LENGTH_MAX) {
    throw new DataFrameError(`cannot encode a frame of ${length} bytes`, "too_large", type, length);
  }
  const out = new Uint8Array(FRAME_HEADER_BYTES);
  const view = new DataView(out.buffer);
  view.setUint32(0, type);
  view.setUint32(4, length);
  return out;
}

export function encodeFrame(type: number, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(FRAME_HEADER_BYTES + payload.length);
  out.set(encodeFrameHeader(type, payload.length), 0);
  out.set(payload, FRAME_HEADER_BYTES);
  return out;
}

/** BROADCAST payload: network id, then the text. */
export function encodeBroadcastPayload(network: number, text: string): Uint8Array {
  const body = utf8(text);
  const out = new Uint8Array(BROADCAST_PREFIX_BYTES + body.length);
  new DataView(out.buffer).setUint16(0, network);
  out.set(body, BROADCAST_PREFIX_BYTES);
  return out;
}

export function decodeBroadcastPayload(payload: Uint8Array): { network: number; text: Uint8Array } {
  if (payload.length < BROADCAST_PREFIX_BYTES) {
    throw new DataFrameError("broadcast payload shorter than its network id", "invalid_payload", FrameType.BROADCAST);
  }
  const network = new DataView(payload.buffer, payload.byteOffset, payload.byteLength).getUint16(0);
  return { network, text: payload.subarray(BROADCAST_PREFIX_BYTES) };
}

/**
 * Everything of a FILE frame before its content: the frame header, name_len, name and hash. The content of
 * `contentBytes` bytes follows as plain stream writes.
 */
export function encodeFileFrameStart(name: string, sha256: Uint8Array, contentBytes: number): Uint8Array {
  const nameBytes = utf8(name);
  if (nameBytes.length < FILE_NAME_MIN_BYTES || nameBytes.length > FILE_NAME_MAX_BYTES) {
    throw new DataFrameError(`invalid file name "${name}": must be 1-255 bytes`, "bad_frame", FrameType.FILE);
  }
  if (sha256.length !== SHA256_BYTES) throw new DataFrameError("sha256 must be 32 bytes", "bad_frame", FrameType.FILE);
  const prefix = FILE_PREFIX_FIXED_BYTES + nameBytes.length;
  const out = new Uint8Array(FRAME_HEADER_BYTES + prefix);
  out.set(encodeFrameHeader(FrameType.FILE, prefix + contentBytes), 0);
  new DataView(out.buffer).setUint16(FRAME_HEADER_BYTES, nameBytes.length);
  out.set(nameBytes, FRAME_HEADER_BYTES + 2);
  out.set(sha256, FRAME_HEADER_BYTES + 2 + nameBytes.length);
  return out;
}

/** The largest file content one FILE frame can carry with this name. */
export function maxFileContentBytes(name: string): number {
  return FRAME_LENGTH_MAX - FILE_PREFIX_FIXED_BYTES - utf8(name).length;
}

/** An ACK frame; keys in the §9.2 order, optional ones only when set. */
export function encodeAck(ack: Ack): Uint8Array {
  const body: Record<string, unknown> = { seq: ack.seq, status: ack.status, type: ack.type, bytes: ack.bytes };
  if (ack.message_id !== undefined) body.message_id = ack.message_id;
  if (ack.stored !== undefined) body.stored = ack.stored;
  if (ack.sha256 !== undefined) body.sha256 = ack.sha256;
  if (ack.code !== undefined) body.code = ack.code;
  if (ack.message !== undefined) body.message = ack.message;
  return encodeFrame(FrameType.ACK, utf8(JSON.stringify(body)));
}

const ACK_TYPES: readonly string[] = ["text", "binary", "json", "file", "broadcast", "unknown"];

/** Parses and checks an ACK payload. */
export function decodeAck(payload: Uint8Array): Ack {
  const bad = (why: string) => new DataFrameError(`invalid ack: ${why}`, "bad_frame", FrameType.ACK, payload.length);
  if (payload.length > MAX_ACK_BYTES) throw bad(`${payload.length} bytes`);
  const text = decodeUtf8Strict(payload);
  if (text === null) throw bad("not UTF-8");
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw bad("not JSON");
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) throw bad("not an object");
  const v = parsed as Record<string, unknown>;
  if (!Number.isSafeInteger(v.seq) || (v.seq as number) < 1) throw bad("bad seq");
  if (v.status !== "ok" && v.status !== "error") throw bad("bad status");
  if (typeof v.type !== "string" || !ACK_TYPES.includes(v.type)) throw bad("bad type");
  if (!Number.isSafeInteger(v.bytes) || (v.bytes as number) < 0) throw bad("bad bytes");
  const ack: { -readonly [K in keyof Ack]: Ack[K] } = {
    seq: v.seq as number,
    status: v.status,
    type: v.type as AckType,
    bytes: v.bytes as number,
  };
  for (const key of ["message_id", "stored", "sha256", "message"] as const) {
    const value = v[key];
    if (value === undefined) continue;
    if (typeof value !== "string") throw bad(`field "${key}" is not a string`);
    ack[key] = value;
  }
  if (v.code !== undefined) {
    if (typeof v.code !== "string") throw bad(`field "code" is not a string`);
    // An unknown code from a newer peer is still an error; it is reported as `internal`.
    ack.code = (ACK_ERROR_CODES as readonly string[]).includes(v.code) ? v.code as AckErrorCode : "internal";
  }
  return ack;
}
