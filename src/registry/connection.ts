// One registry client connection (PROTOCOL-BRIEF §4.1): reads length-prefixed frames (a bad length gets
// `frame_too_large` and closes, framing being lost), answers strictly in request order, interleaves `notify` pushes
// between whole frames, and closes after 5 min without a frame.
import { toPilotError } from "../util/errors.ts";
import { encodeRegistryFrame, FrameReader, MAX_REGISTRY_FRAME_BYTES } from "../wire/mod.ts";
import { ChallengeBook } from "./auth.ts";
import type { ConnInfo, RegistryContext } from "./context.ts";
import { type Dispatcher, handleFrame } from "./dispatch.ts";
import { errorReply, RegistryError } from "./protocol.ts";
import type { Json } from "./validation.ts";

export const IDLE_TIMEOUT_MS = 5 * 60_000;
const READ_CHUNK_BYTES = 64 * 1024;
/** Pushes queued behind a client that does not read are capped; beyond this the client is cut off. */
const MAX_QUEUED_PUSHES = 64;
/** After a framing error: how long and how much input is discarded before the final close. */
const LINGER_MS = 2_000;
const LINGER_MAX_BYTES = 4 * 1024 * 1024;

export interface ConnectionOptions {
  readonly ctx: RegistryContext;
  readonly dispatcher: Dispatcher;
  readonly idleTimeoutMs: number;
}

export class RegistryConnection implements ConnInfo {
  readonly id: number;
  readonly remoteIp: string;
  readonly challenges = new ChallengeBook();
  readonly #conn: Deno.Conn;
  readonly #opts: ConnectionOptions;
  #writeTail: Promise<void> = Promise.resolve();
  #queuedPushes = 0;
  #idleTimer: ReturnType<typeof setTimeout> | undefined;
  #closed = false;

  constructor(conn: Deno.Conn, id: number, remoteIp: string, opts: ConnectionOptions) {
    this.#conn = conn;
    this.id = id;
    this.remoteIp = remoteIp;
    this.#opts = opts;
  }

  get closed(): boolean {
    return this.#closed;
  }

  #armIdle(): void {
    if (this.#idleTimer !== undefined) clearTimeout(this.#idleTimer);
    this.#idleTimer = setTimeout(() => this.close(), this.#opts.idleTimeoutMs);
  }

  /** Writes whole frames one after another; a failed write closes the connection. */
  #write(frame: Uint8Array): Promise<void> {
    const next = this.#writeTail.then(async () => {
      if (this.#closed) return;
      let off = 0;
      while (off < frame.length) off += await this.#conn.write(frame.subarray(off));
    });
    this.#writeTail = next.catch(() => this.close());
    return this.#writeTail;
  }

  #encode(reply: Json): Uint8Array {
    try {
      return encodeRegistryFrame(reply, MAX_REGISTRY_FRAME_BYTES);
    } catch {
      const err = new RegistryError("internal", "reply too large to send");
      const id = typeof reply.id === "number" || typeof reply.id === "string" ? reply.id : undefined;
      return encodeRegistryFrame(errorReply(err, String(reply.type ?? "").replace(/_ok$/, ""), id));
    }
  }

  push(frame: Json): void {
    if (this.#closed) return;
    if (this.#queuedPushes >= MAX_QUEUED_PUSHES) {
      this.#opts.ctx.metrics.drop("push_queue_full");
      this.close();
      return;
    }
    this.#queuedPushes++;
    void this.#write(this.#encode(frame)).finally(() => this.#queuedPushes--);
  }

  /** Serves the connection until the peer closes, framing is lost, it idles out or close() is called. */
  async run(): Promise<void> {
    const reader = new FrameReader(MAX_REGISTRY_FRAME_BYTES);
    const buf = new Uint8Array(READ_CHUNK_BYTES);
    this.#armIdle();
    try {
      while (!this.#closed) {
        const n = await this.#conn.read(buf);
        if (n === null) break;
        reader.push(buf.subarray(0, n));
        for (;;) {
          const next = reader.next();
          if (next.kind === "need_more") break;
          if (next.kind === "too_large") {
            this.#opts.ctx.metrics.request("invalid", "frame_too_large");
            this.#opts.ctx.metrics.drop("frame_too_large");
            const err = new RegistryError(
              "frame_too_large",
              `frame length ${next.length} is outside 1..${MAX_REGISTRY_FRAME_BYTES}`,
            );
            await this.#write(encodeRegistryFrame(errorReply(err, "")));
            await this.#lingerAfterError(buf);
            return;
          }
          this.#armIdle();
          const reply = await handleFrame(this.#opts.ctx, this, next.body, this.#opts.dispatcher);
          await this.#write(this.#encode(reply));
          if (this.#closed) return;
        }
      }
    } catch (err) {
      if (!this.#closed) {
        this.#opts.ctx.log.debug("connection ended with an error", {
          conn: this.id,
          error: toPilotError(err).message,
        });
      }
    } finally {
      this.close();
    }
  }

  /**
   * Closing with unread input makes TCP send a reset that can destroy the error frame in flight; so half-close, then
   * discard input for a bounded time and amount before the full close.
   */
  async #lingerAfterError(buf: Uint8Array): Promise<void> {
    if (this.#closed) return;
    try {
      await this.#conn.closeWrite();
    } catch {
      return;
    }
    const timer = setTimeout(() => this.close(), LINGER_MS);
    try {
      let drained = 0;
      while (!this.#closed && drained < LINGER_MAX_BYTES) {
        const n = await this.#conn.read(buf);
        if (n === null) break;
        drained += n;
      }
    } catch {
      // the peer reset or we closed on the timer: either way we are done
    } finally {
      clearTimeout(timer);
    }
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#idleTimer !== undefined) clearTimeout(this.#idleTimer);
    this.#opts.ctx.sessions.unbindConnection(this);
    try {
      this.#conn.close();
    } catch {
      // already closed by the peer
    }
  }
}
