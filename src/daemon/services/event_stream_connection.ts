// One connection to the event broker (PROTOCOL-BRIEF §9.3): its patterns and its outbound queue, drained by its own
// writer loop so that a slow reader never stalls the broker or other subscribers. The queue is bounded (1024 frames,
// 8 MiB); overflowing it means `slow_consumer`: the queue is dropped, an ERROR frame is sent and the connection is
// closed, reset if it cannot even take the ERROR within the grace period.
import { encodeErrorPayload, encodeEventFrame, type EventErrorCode, EventOp } from "./event_stream_codec.ts";
import type { TopicPattern } from "./event_stream_topics.ts";
import { finishStream, type ServicePeer, type ServiceStream } from "./service_stream.ts";

export const SUBSCRIBER_QUEUE_MAX_FRAMES = 1024;
export const SUBSCRIBER_QUEUE_MAX_BYTES = 8 * 1024 * 1024;
export const PATTERNS_PER_CONNECTION_MAX = 64;
/** How long a connection being closed may take to deliver its last frames and FIN. */
export const EVENT_CLOSE_GRACE_MS = 5_000;

export interface ConnectionLimits {
  readonly maxFrames: number;
  readonly maxBytes: number;
  readonly closeGraceMs: number;
}

export const DEFAULT_CONNECTION_LIMITS: ConnectionLimits = {
  maxFrames: SUBSCRIBER_QUEUE_MAX_FRAMES,
  maxBytes: SUBSCRIBER_QUEUE_MAX_BYTES,
  closeGraceMs: EVENT_CLOSE_GRACE_MS,
};

type State = "open" | "closing" | "closed";

export class EventConnection {
  readonly peer: ServicePeer;
  readonly patterns = new Map<string, TopicPattern>();
  /** Resolves when the writer loop ended and the stream is finished. */
  readonly done: Promise<void>;
  readonly #stream: ServiceStream;
  readonly #limits: ConnectionLimits;
  #queue: Uint8Array[] = [];
  #queuedBytes = 0;
  #state: State = "open";
  #wake: (() => void) | null = null;
  #graceTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(stream: ServiceStream, peer: ServicePeer, limits: ConnectionLimits) {
    this.#stream = stream;
    this.peer = peer;
    this.#limits = limits;
    this.done = this.#writeLoop();
  }

  /** Still taking frames (not closing after an error, end of stream or a reset). */
  get open(): boolean {
    return this.#state === "open";
  }

  get queuedFrames(): number {
    return this.#queue.length;
  }

  /** Whether any pattern matches `topic` (one EVENT per publish, however many match). */
  matches(topic: string): boolean {
    for (const p of this.patterns.values()) if (p.matches(topic)) return true;
    return false;
  }

  /** Queues a frame without waiting; false when the queue is full (the caller closes it as a slow consumer). */
  send(frame: Uint8Array): boolean {
    if (this.#state !== "open") return false;
    if (this.#queue.length + 1 > this.#limits.maxFrames || this.#queuedBytes + frame.length > this.#limits.maxBytes) {
      return false;
    }
    this.#push(frame);
    return true;
  }

  sendOk(topic: string, payload: Uint8Array = new Uint8Array(0)): boolean {
    return this.send(encodeEventFrame({ op: EventOp.OK, topic, payload }));
  }

  /** ERROR and close. `dropQueued` (slow consumer) discards what was waiting; other errors keep the order. */
  fail(code: EventErrorCode, message: string, dropQueued = false): void {
    if (this.#state !== "open") return;
    if (dropQueued) {
      this.#queue = [];
      this.#queuedBytes = 0;
    }
    this.#push(encodeEventFrame({ op: EventOp.ERROR, topic: "", payload: encodeErrorPayload(code, message) }));
    this.#beginClose();
  }

  /** The client half-closed: deliver what is queued, then finish. */
  end(): void {
    if (this.#state !== "open") return;
    this.#beginClose();
    this.#wakeWriter();
  }

  /** Reset now (the stream failed, or the broker is closing). */
  abort(): void {
    if (this.#state === "closed") return;
    this.#state = "closed";
    this.#queue = [];
    this.#queuedBytes = 0;
    this.#stream.abort();
    this.#wakeWriter();
  }

  #push(frame: Uint8Array): void {
    this.#queue.push(frame);
    this.#queuedBytes += frame.length;
    this.#wakeWriter();
  }

  #beginClose(): void {
    this.#state = "closing";
    // A reader that takes nothing would hold the writer in its current write forever.
    this.#graceTimer = setTimeout(() => this.abort(), this.#limits.closeGraceMs);
  }

  #wakeWriter(): void {
    const wake = this.#wake;
    this.#wake = null;
    wake?.();
  }

  async #writeLoop(): Promise<void> {
    try {
      for (;;) {
        const frame = this.#queue.shift();
        if (frame === undefined) {
          if (this.#state !== "open") break;
          await new Promise<void>((resolve) => this.#wake = resolve);
          continue;
        }
        this.#queuedBytes -= frame.length;
        await this.#stream.write(frame);
      }
      if (this.#state === "closing") await finishStream(this.#stream, this.#limits.closeGraceMs);
    } catch {
      this.#stream.abort();
    } finally {
      this.#state = "closed";
      this.#queue = [];
      this.#queuedBytes = 0;
      clearTimeout(this.#graceTimer);
    }
  }
}
