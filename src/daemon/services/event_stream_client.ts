// The client side of the event stream, port 1002 (PROTOCOL-BRIEF §9.3), used by `subscribe` and `publish`: sends
// SUBSCRIBE / PUBLISH, waits for the OK (EVENTs arriving meanwhile are kept in order), and turns the broker's ERROR
// frames into PilotErrors.
import { ConnectionFailedError, InvalidArgumentError, type PilotError } from "../../util/errors.ts";
import {
  decodeDeliveries,
  decodeErrorPayload,
  encodeEventFrame,
  type EventFrame,
  EventFrameError,
  EventFrameReader,
  EventOp,
} from "./event_stream_codec.ts";
import type { ServiceStream } from "./service_stream.ts";

/** Broker ERROR codes that blame the request (everything else is the connection's fate). */
const REQUEST_ERROR_CODES: readonly string[] = ["invalid_topic", "too_many_patterns", "too_large", "bad_frame"];

export class EventStreamClient {
  readonly #stream: ServiceStream;
  readonly #peer: string;
  readonly #reader = new EventFrameReader();
  readonly #events: EventFrame[] = [];

  constructor(stream: ServiceStream, peer: string) {
    this.#stream = stream;
    this.#peer = peer;
  }

  /** Adds a pattern; resolves once the broker confirmed it. */
  async subscribe(pattern: string): Promise<void> {
    await this.#stream.write(encodeEventFrame({ op: EventOp.SUBSCRIBE, topic: pattern, payload: new Uint8Array(0) }));
    await this.#awaitOk();
  }

  async unsubscribe(pattern: string): Promise<void> {
    await this.#stream.write(
      encodeEventFrame({ op: EventOp.UNSUBSCRIBE, topic: pattern, payload: new Uint8Array(0) }),
    );
    await this.#awaitOk();
  }

  /** Publishes one event; resolves with the number of subscribers it was queued for. */
  async publish(topic: string, payload: Uint8Array): Promise<number> {
    await this.#stream.write(encodeEventFrame({ op: EventOp.PUBLISH, topic, payload }));
    const ok = await this.#awaitOk();
    try {
      return decodeDeliveries(ok.payload);
    } catch (err) {
      throw this.#badFrame(err);
    }
  }

  /** The next EVENT, or null when the broker ended the stream. */
  async nextEvent(): Promise<EventFrame | null> {
    const queued = this.#events.shift();
    if (queued !== undefined) return queued;
    for (;;) {
      const frame = await this.#nextFrame();
      if (frame === null || frame.op === EventOp.EVENT) return frame;
      if (frame.op === EventOp.ERROR) throw this.#remoteError(frame);
      // a stray OK carries nothing for the caller
    }
  }

  async #awaitOk(): Promise<EventFrame> {
    for (;;) {
      const frame = await this.#nextFrame();
      if (frame === null) {
        throw new ConnectionFailedError(`${this.#peer} closed the event stream without answering`, {
          detail: "closed",
        });
      }
      if (frame.op === EventOp.OK) return frame;
      if (frame.op === EventOp.ERROR) throw this.#remoteError(frame);
      if (frame.op === EventOp.EVENT) this.#events.push(frame);
      else throw this.#badFrame(new Error(`unexpected op ${frame.op} from the broker`));
    }
  }

  async #nextFrame(): Promise<EventFrame | null> {
    for (;;) {
      let frame: EventFrame | null;
      try {
        frame = this.#reader.next();
      } catch (err) {
        throw this.#badFrame(err);
      }
      if (frame !== null) return frame;
      const chunk = await this.#stream.read();
      if (chunk === null) return null;
      this.#reader.push(chunk);
    }
  }

  #remoteError(frame: EventFrame): PilotError {
    let code: string;
    let message: string;
    try {
      ({ code, message } = decodeErrorPayload(frame.payload));
    } catch (err) {
      return this.#badFrame(err);
    }
    if (REQUEST_ERROR_CODES.includes(code)) return new InvalidArgumentError(message, { detail: code });
    return new ConnectionFailedError(`event stream closed by ${this.#peer}: ${message}`, { detail: code });
  }

  #badFrame(err: unknown): PilotError {
    const why = err instanceof EventFrameError || err instanceof Error ? err.message : String(err);
    return new ConnectionFailedError(`invalid event stream frame from ${this.#peer}: ${why}`, { detail: "bad_frame" });
  }
}
