// The port-444 stream protocol (PROTOCOL-BRIEF §6.2, §10) as pure codec and session logic over byte chunks; the
// daemon runs it over an overlay stream and owns sockets and the PORT444_TIMEOUT_MS budget.
//
//   +--------+--------+--------+--------+--------------------------------------+
//   |           length (u32)            | UTF-8 JSON object (`length` bytes)    |   1 ≤ length ≤ 16,384
//   +--------+--------+--------+--------+--------------------------------------+
//
// Sender: writes every message frame, half-closes, then reads one `trust_ack` frame per message.
// Receiver: answers each message with a `trust_ack`; a bad length loses framing (error ack, then close); a well-framed
// body that is not a JSON object gets an error ack and the stream stays usable.
import {
  encodeJsonBody,
  encodeLengthPrefixed,
  FrameReader,
  MAX_TRUST_FRAME_BYTES,
  parseJsonBody,
} from "../wire/mod.ts";
import { MAX_ACK_CODE_CHARS, MAX_ACK_MESSAGE_CHARS, MAX_TRUST_MESSAGES_PER_CONNECTION } from "./constants.ts";
import type { TrustMessage } from "./message.ts";
import { TRUST_ACK_STATUSES, type TrustAck, type TrustAckStatus } from "./record.ts";

/** One frame holding a trust message; throws WireFormatError if it would exceed 16 KiB. */
export function encodeTrustFrame(message: TrustMessage): Uint8Array {
  return encodeLengthPrefixed(encodeJsonBody(message), MAX_TRUST_FRAME_BYTES);
}

/** One frame holding an acknowledgement; an overlong `message` is cut so the ack always fits. */
export function encodeTrustAckFrame(ack: TrustAck): Uint8Array {
  const body: TrustAck = {
    type: "trust_ack",
    status: ack.status,
    ...(ack.code !== undefined ? { code: ack.code.slice(0, MAX_ACK_CODE_CHARS) } : {}),
    ...(ack.message !== undefined ? { message: ack.message.slice(0, MAX_ACK_MESSAGE_CHARS) } : {}),
  };
  return encodeLengthPrefixed(encodeJsonBody(body), MAX_TRUST_FRAME_BYTES);
}

/** Strict validation of a received acknowledgement; null when malformed. */
export function parseTrustAck(value: unknown): TrustAck | null {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return null;
  const obj = value as Record<string, unknown>;
  for (const key of Object.keys(obj)) {
    if (key !== "type" && key !== "status" && key !== "code" && key !== "message") return null;
  }
  if (obj.type !== "trust_ack") return null;
  if (!(TRUST_ACK_STATUSES as readonly unknown[]).includes(obj.status)) return null;
  if (obj.code !== undefined && (typeof obj.code !== "string" || obj.code.length > MAX_ACK_CODE_CHARS)) return null;
  if (obj.message !== undefined && (typeof obj.message !== "string" || obj.message.length > MAX_ACK_MESSAGE_CHARS)) {
    return null;
  }
  return {
    type: "trust_ack",
    status: obj.status as TrustAckStatus,
    ...(obj.code !== undefined ? { code: obj.code as string } : {}),
    ...(obj.message !== undefined ? { message: obj.message as string } : {}),
  };
}

/**
 * What the receiver's driver does next, in order: hand a `message` to TrustManager.onMessage and write
 * `encodeTrustAckFrame(result.ack)`; write a codec-level `reply`; on `close`, close the stream after those writes.
 */
export type ReceiverEvent =
  | { readonly kind: "message"; readonly value: Record<string, unknown> }
  | { readonly kind: "reply"; readonly ack: TrustAck }
  | { readonly kind: "close" };

/** The receiving side of one port-444 connection. */
export class TrustStreamReceiver {
  readonly #reader = new FrameReader(MAX_TRUST_FRAME_BYTES);
  #frames = 0;
  #closed = false;

  get closed(): boolean {
    return this.#closed;
  }

  /** Feeds bytes from the stream; returns the events they complete. */
  push(chunk: Uint8Array): ReceiverEvent[] {
    if (this.#closed) return [];
    this.#reader.push(chunk);
    const events: ReceiverEvent[] = [];
    // Bounded: every iteration consumes a frame or ends the loop, and frames are capped per connection.
    while (!this.#closed) {
      const r = this.#reader.next();
      if (r.kind === "need_more") break;
      if (r.kind === "too_large") {
        const message = `trust frame length ${r.length} outside 1..${MAX_TRUST_FRAME_BYTES}`;
        events.push({ kind: "reply", ack: { type: "trust_ack", status: "error", code: "frame_too_large", message } });
        events.push(this.#close());
        break;
      }
      if (++this.#frames > MAX_TRUST_MESSAGES_PER_CONNECTION) {
        const message = `more than ${MAX_TRUST_MESSAGES_PER_CONNECTION} trust messages on one connection`;
        events.push({ kind: "reply", ack: { type: "trust_ack", status: "error", code: "too_many_messages", message } });
        events.push(this.#close());
        break;
      }
      const parsed = parseJsonBody(r.body);
      if (!parsed.ok) {
        const message = `invalid trust message: ${parsed.reason.replace("_", " ")}`;
        events.push({ kind: "reply", ack: { type: "trust_ack", status: "error", code: "bad_message", message } });
        continue;
      }
      events.push({ kind: "message", value: parsed.value });
    }
    return events;
  }

  /** The sender half-closed. A partial frame left over was truncated and gets no ack. */
  end(): ReceiverEvent[] {
    if (this.#closed) return [];
    return [this.#close()];
  }

  #close(): ReceiverEvent {
    this.#closed = true;
    return { kind: "close" };
  }
}

export interface TrustSendProgress {
  /** Acks received so far, in message order. */
  readonly acks: readonly TrustAck[];
  /** True once every message is acknowledged or the exchange failed. */
  readonly done: boolean;
  /** Why the exchange failed (bad frame, early close, extra data). */
  readonly failure?: string;
}

/** The sending side: write `bytes`, half-close, then feed the replies to push() until `done`. */
export class TrustStreamSender {
  /** Every message frame, to be written before the half-close. */
  readonly bytes: Uint8Array;
  readonly #expected: number;
  readonly #reader = new FrameReader(MAX_TRUST_FRAME_BYTES);
  readonly #acks: TrustAck[] = [];
  #failure: string | undefined;

  constructor(messages: readonly TrustMessage[]) {
    if (messages.length < 1 || messages.length > MAX_TRUST_MESSAGES_PER_CONNECTION) {
      throw new RangeError(`cannot send ${messages.length} trust messages on one connection`);
    }
    const frames = messages.map(encodeTrustFrame);
    const total = frames.reduce((n, f) => n + f.length, 0);
    this.bytes = new Uint8Array(total);
    let offset = 0;
    for (const f of frames) {
      this.bytes.set(f, offset);
      offset += f.length;
    }
    this.#expected = messages.length;
  }

  push(chunk: Uint8Array): TrustSendProgress {
    if (this.#isDone()) return this.#progress();
    this.#reader.push(chunk);
    while (this.#failure === undefined) {
      const r = this.#reader.next();
      if (r.kind === "need_more") break;
      if (r.kind === "too_large") {
        this.#failure = `bad trust_ack frame: length ${r.length} outside 1..${MAX_TRUST_FRAME_BYTES}`;
        break;
      }
      if (this.#acks.length === this.#expected) {
        this.#failure = "unexpected frame after the last trust_ack";
        break;
      }
      const parsed = parseJsonBody(r.body);
      const ack = parsed.ok ? parseTrustAck(parsed.value) : null;
      if (ack === null) {
        this.#failure = "malformed trust_ack";
        break;
      }
      this.#acks.push(ack);
    }
    return this.#progress();
  }

  /** The receiver closed its side. */
  end(): TrustSendProgress {
    if (!this.#isDone()) {
      this.#failure = `connection closed after ${this.#acks.length} of ${this.#expected} trust_acks`;
    }
    return this.#progress();
  }

  #isDone(): boolean {
    return this.#failure !== undefined || this.#acks.length === this.#expected;
  }

  #progress(): TrustSendProgress {
    const base = { acks: [...this.#acks], done: this.#isDone() };
    return this.#failure === undefined ? base : { ...base, failure: this.#failure };
  }
}
