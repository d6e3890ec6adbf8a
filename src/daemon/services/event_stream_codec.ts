// Event stream frames, port 1002 (PROTOCOL-BRIEF §9.3, §10): pure encoder and incremental decoder. Every length is
// checked before anything is buffered for it; a violation throws EventFrameError and the reader stays failed.
//
//   +-------+---------------+-------------+---------------------+-----------------+---------+
//   | op u8 | topic_len u16 | topic       | from (6), EVENT only | payload_len u32 | payload |
//   +-------+---------------+-------------+---------------------+-----------------+---------+
//   ops: 1 SUBSCRIBE, 2 UNSUBSCRIBE, 3 PUBLISH, 4 EVENT, 5 OK (PUBLISH: payload = deliveries u32), 6 ERROR (JSON)
import { decodeUtf8Strict, utf8 } from "../../util/bytes.ts";
import { type Addr, ADDR_BYTES, decodeAddr, encodeAddr } from "../../wire/mod.ts";
import { ByteQueue } from "./service_stream.ts";

export const EventOp = {
  SUBSCRIBE: 1,
  UNSUBSCRIBE: 2,
  PUBLISH: 3,
  EVENT: 4,
  OK: 5,
  ERROR: 6,
} as const;
export type EventOpCode = typeof EventOp[keyof typeof EventOp];

export const TOPIC_MAX_BYTES = 128;
export const EVENT_PAYLOAD_MAX_BYTES = 1024 * 1024;
const OP_BYTES = 1;
const TOPIC_LEN_BYTES = 2;
const PAYLOAD_LEN_BYTES = 4;
const DELIVERIES_BYTES = 4;

/** ERROR `code`s the broker sends. */
export type EventErrorCode = "bad_frame" | "invalid_topic" | "too_many_patterns" | "too_large" | "slow_consumer";

export interface EventFrame {
  readonly op: EventOpCode;
  /** Topic or pattern; may be empty only in OK and ERROR frames. */
  readonly topic: string;
  /** The publisher (EVENT only). */
  readonly from?: Addr;
  readonly payload: Uint8Array;
}

/** The codec's one error. `code` is what the broker answers with. */
export class EventFrameError extends Error {
  readonly code: EventErrorCode;

  constructor(message: string, code: EventErrorCode = "bad_frame") {
    super(message);
    this.name = "EventFrameError";
    this.code = code;
  }
}

function isOp(op: number): op is EventOpCode {
  return op >= EventOp.SUBSCRIBE && op <= EventOp.ERROR;
}

export function encodeEventFrame(frame: EventFrame): Uint8Array {
  const topic = utf8(frame.topic);
  if (topic.length > TOPIC_MAX_BYTES) throw new EventFrameError(`topic of ${topic.length} bytes`, "invalid_topic");
  if (frame.payload.length > EVENT_PAYLOAD_MAX_BYTES) {
    throw new EventFrameError(`payload of ${frame.payload.length} bytes`, "too_large");
  }
  const isEvent = frame.op === EventOp.EVENT;
  if (isEvent !== (frame.from !== undefined)) throw new EventFrameError("from is set on EVENT frames only");
  const fromBytes = isEvent ? ADDR_BYTES : 0;
  const out = new Uint8Array(
    OP_BYTES + TOPIC_LEN_BYTES + topic.length + fromBytes + PAYLOAD_LEN_BYTES + frame.payload.length,
  );
  const view = new DataView(out.buffer);
  let off = 0;
  view.setUint8(off, frame.op);
  off += OP_BYTES;
  view.setUint16(off, topic.length);
  off += TOPIC_LEN_BYTES;
  out.set(topic, off);
  off += topic.length;
  if (frame.from !== undefined) {
    out.set(encodeAddr(frame.from), off);
    off += ADDR_BYTES;
  }
  view.setUint32(off, frame.payload.length);
  off += PAYLOAD_LEN_BYTES;
  out.set(frame.payload, off);
  return out;
}

export function encodeDeliveries(n: number): Uint8Array {
  const out = new Uint8Array(DELIVERIES_BYTES);
  new DataView(out.buffer).setUint32(0, Math.min(n, 0xffff_ffff));
  return out;
}

export function decodeDeliveries(payload: Uint8Array): number {
  if (payload.length !== DELIVERIES_BYTES) throw new EventFrameError(`deliveries of ${payload.length} bytes`);
  return new DataView(payload.buffer, payload.byteOffset, payload.byteLength).getUint32(0);
}

export function encodeErrorPayload(code: string, message: string): Uint8Array {
  return utf8(JSON.stringify({ code, message }));
}

export function decodeErrorPayload(payload: Uint8Array): { code: string; message: string } {
  const text = decodeUtf8Strict(payload);
  let v: unknown = null;
  try {
    v = text === null ? null : JSON.parse(text);
  } catch {
    // reported below
  }
  if (v === null || typeof v !== "object") throw new EventFrameError("ERROR payload is not a JSON object");
  const { code, message } = v as Record<string, unknown>;
  if (typeof code !== "string" || typeof message !== "string") throw new EventFrameError("ERROR payload fields");
  return { code, message };
}

/** Frames from a byte stream, split or coalesced. */
export class EventFrameReader {
  readonly #queue = new ByteQueue();
  #failed: EventFrameError | null = null;

  push(chunk: Uint8Array): void {
    this.#queue.push(chunk);
  }

  /** End of stream here would cut a frame short. */
  get midFrame(): boolean {
    return this.#queue.length > 0;
  }

  /** The next frame, or null when more bytes are needed. */
  next(): EventFrame | null {
    if (this.#failed !== null) throw this.#failed;
    try {
      return this.#next();
    } catch (err) {
      if (err instanceof EventFrameError) this.#failed = err;
      throw err;
    }
  }

  #next(): EventFrame | null {
    const q = this.#queue;
    if (q.length < OP_BYTES + TOPIC_LEN_BYTES) return null;
    const head = q.peek(OP_BYTES + TOPIC_LEN_BYTES);
    const op = head[0];
    const topicLen = (head[1] << 8) | head[2];
    if (!isOp(op)) throw new EventFrameError(`unknown op ${op}`);
    if (topicLen > TOPIC_MAX_BYTES) throw new EventFrameError(`topic of ${topicLen} bytes (max 128)`, "invalid_topic");
    const fromBytes = op === EventOp.EVENT ? ADDR_BYTES : 0;
    const lenAt = OP_BYTES + TOPIC_LEN_BYTES + topicLen + fromBytes;
    if (q.length < lenAt + PAYLOAD_LEN_BYTES) return null;
    const lenBytes = q.peek(lenAt + PAYLOAD_LEN_BYTES).subarray(lenAt);
    const payloadLen = new DataView(lenBytes.buffer, lenBytes.byteOffset, PAYLOAD_LEN_BYTES).getUint32(0);
    if (payloadLen > EVENT_PAYLOAD_MAX_BYTES) {
      throw new EventFrameError(`payload of ${payloadLen} bytes (max ${EVENT_PAYLOAD_MAX_BYTES})`, "too_large");
    }
    const total = lenAt + PAYLOAD_LEN_BYTES + payloadLen;
    if (q.length < total) return null;
    const bytes = q.take(total);
    const topic = decodeUtf8Strict(bytes.subarray(OP_BYTES + TOPIC_LEN_BYTES, OP_BYTES + TOPIC_LEN_BYTES + topicLen));
    if (topic === null) throw new EventFrameError("topic is not UTF-8", "invalid_topic");
    const payload = bytes.subarray(lenAt + PAYLOAD_LEN_BYTES);
    if (op !== EventOp.EVENT) return { op, topic, payload };
    return { op, topic, from: decodeAddr(bytes, lenAt - ADDR_BYTES), payload };
  }
}
