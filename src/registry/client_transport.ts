// The registry client's wire half (PROTOCOL-BRIEF §4.1): writes whole frames in order, matches each reply to the
// oldest outstanding request, hands `notify` pushes to a callback, and fails every pending request once the
// connection is lost, a reply is overdue (order would be lost) or the server breaks framing.
import {
  ConnectionFailedError,
  InternalError,
  InvalidArgumentError,
  type PilotError,
  TimeoutError,
  toPilotError,
} from "../util/errors.ts";
import { encodeRegistryFrame, FrameReader, MAX_REGISTRY_FRAME_BYTES, parseJsonBody } from "../wire/mod.ts";
import { type ErrorReply, isRegistryErrorCode, RegistryRequestError } from "./protocol.ts";

type Json = Record<string, unknown>;

const READ_CHUNK_BYTES = 64 * 1024;

export interface FrameTransportOptions {
  /** The registry address, for messages. */
  readonly address: string;
  readonly requestTimeoutMs: number;
  readonly onNotify?: (inbox: number) => void;
  readonly onClose?: (reason: PilotError | null) => void;
}

interface Pending {
  readonly type: string;
  readonly resolve: (reply: Json) => void;
  readonly reject: (err: PilotError) => void;
  readonly timer: ReturnType<typeof setTimeout>;
}

/** An `error` frame as the PilotError the caller sees (§8.4). */
export function toRequestError(frame: Json): RegistryRequestError {
  const code = isRegistryErrorCode(frame.code) ? frame.code : "internal";
  const reply: Omit<ErrorReply, "type" | "id"> = {
    code,
    message: typeof frame.message === "string" ? frame.message : `registry error ${code}`,
    request_type: typeof frame.request_type === "string" ? frame.request_type : "",
  };
  if (typeof frame.field === "string") reply.field = frame.field;
  if (typeof frame.retry_after_ms === "number") reply.retry_after_ms = frame.retry_after_ms;
  if (typeof frame.server_time_ms === "number") reply.server_time_ms = frame.server_time_ms;
  return new RegistryRequestError(reply);
}

export class FrameTransport {
  readonly #conn: Deno.Conn;
  readonly #opts: FrameTransportOptions;
  readonly #pending: Pending[] = [];
  #writeTail: Promise<void> = Promise.resolve();
  #closeReason: PilotError | null = null;
  #closed = false;
  readonly #readLoop: Promise<void>;

  constructor(conn: Deno.Conn, opts: FrameTransportOptions) {
    this.#conn = conn;
    this.#opts = opts;
    this.#readLoop = this.#read();
  }

  get isClosed(): boolean {
    return this.#closed;
  }

  /** Resolves when the connection has ended and the read loop has stopped. */
  get done(): Promise<void> {
    return this.#readLoop;
  }

  #unreachable(message: string): ConnectionFailedError {
    return new ConnectionFailedError(message, { detail: "registry_unreachable" });
  }

  #fail(reason: PilotError | null): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#closeReason = reason;
    try {
      this.#conn.close();
    } catch {
      // already closed
    }
    const err = reason ?? this.#unreachable(`connection to registry ${this.#opts.address} closed`);
    for (const p of this.#pending.splice(0)) {
      clearTimeout(p.timer);
      p.reject(err);
    }
    this.#opts.onClose?.(reason);
  }

  async #read(): Promise<void> {
    const address = this.#opts.address;
    const reader = new FrameReader(MAX_REGISTRY_FRAME_BYTES);
    const buf = new Uint8Array(READ_CHUNK_BYTES);
    let reason: PilotError | null = null;
    try {
      for (;;) {
        const n = await this.#conn.read(buf);
        if (n === null) break;
        reader.push(buf.subarray(0, n));
        for (let next = reader.next(); next.kind !== "need_more"; next = reader.next()) {
          if (next.kind === "too_large") {
            throw new InternalError(`registry ${address} sent a frame of ${next.length} bytes`);
          }
          const parsed = parseJsonBody(next.body);
          if (!parsed.ok) throw new InternalError(`registry ${address} sent a malformed frame (${parsed.reason})`);
          reason = this.#deliver(parsed.value) ?? reason;
        }
      }
      reason ??= this.#unreachable(`registry ${address} closed the connection`);
    } catch (err) {
      reason = err instanceof InternalError
        ? err
        : this.#unreachable(`connection to registry ${address} failed: ${toPilotError(err).message}`);
    }
    this.#fail(this.#closed ? null : reason);
  }

  /** Routes one frame; returns an error the server sent outside any request (it closes next). */
  #deliver(frame: Json): PilotError | null {
    if (frame.type === "notify" && frame.id === undefined) {
      this.#opts.onNotify?.(typeof frame.inbox === "number" ? frame.inbox : 0);
      return null;
    }
    const p = this.#pending.shift();
    const error = frame.type === "error" ? toRequestError(frame) : null;
    if (p === undefined) return error;
    clearTimeout(p.timer);
    if (error !== null) p.reject(error);
    else if (frame.type !== `${p.type}_ok`) {
      p.reject(new InternalError(`registry answered ${p.type} with ${JSON.stringify(String(frame.type))}`));
    } else p.resolve(frame);
    return null;
  }

  /** Sends one request object; resolves with its `_ok` reply, rejects with the `error` reply as a PilotError. */
  request(obj: Json): Promise<Json> {
    const type = String(obj.type);
    const address = this.#opts.address;
    if (this.#closed) {
      return Promise.reject(this.#closeReason ?? this.#unreachable(`connection to registry ${address} is closed`));
    }
    let frame: Uint8Array;
    try {
      frame = encodeRegistryFrame(obj);
    } catch {
      return Promise.reject(
        new InvalidArgumentError(`${type} request is larger than ${MAX_REGISTRY_FRAME_BYTES} bytes`),
      );
    }
    const timeoutMs = this.#opts.requestTimeoutMs;
    const result = new Promise<Json>((resolve, reject) => {
      const timer = setTimeout(() => {
        // Replies are matched by order, so a lost reply desynchronises the connection: give it up.
        this.#fail(
          new TimeoutError(`no response from registry ${address} within ${timeoutMs} ms`, {
            detail: "registry_unreachable",
          }),
        );
      }, timeoutMs);
      this.#pending.push({ type, resolve, reject, timer });
    });
    this.#writeTail = this.#writeTail.then(async () => {
      let off = 0;
      while (off < frame.length) off += await this.#conn.write(frame.subarray(off));
    }).catch((err) => {
      this.#fail(this.#unreachable(`cannot send to registry ${address}: ${toPilotError(err).message}`));
    });
    return result;
  }

  async close(): Promise<void> {
    this.#fail(null);
    await this.#readLoop;
  }
}
