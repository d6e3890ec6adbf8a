// The client halves of the built-in services over SDK streams (PROTOCOL-BRIEF §9): a message to a peer's inbox on
// port 1001 (one frame, one ACK), publish and subscribe on a broker on port 1002, and the echo round trip on port 7
// that ping() uses over IPC. The frame codecs and clients are the daemon's own, so both ends share one implementation.
import { DataExchangeSender } from "../daemon/services/data_exchange_client.ts";
import { type Ack, FrameType, MAX_MESSAGE_BYTES } from "../daemon/services/data_exchange_codec.ts";
import { EventStreamClient } from "../daemon/services/event_stream_client.ts";
import { EVENT_PAYLOAD_MAX_BYTES, type EventFrame } from "../daemon/services/event_stream_codec.ts";
import { isValidPattern, isValidTopic } from "../daemon/services/event_stream_topics.ts";
import { webServiceStream } from "../daemon/services/service_stream.ts";
import { bytesEqual, decodeUtf8Strict, utf8 } from "../util/bytes.ts";
import {
  ConnectionFailedError,
  InternalError,
  InvalidArgumentError,
  type PilotError,
  TimeoutError,
} from "../util/errors.ts";
import { formatAddr } from "../wire/mod.ts";
import type { PilotConn } from "./conn.ts";
import { sdkError } from "./errors.ts";
import type { MessageAck, MessageType, PubSubEvent } from "./types.ts";

export const ECHO_PORT = 7;
export const DATA_EXCHANGE_PORT = 1001;
export const EVENT_STREAM_PORT = 1002;
export const PING_TIMEOUT_MS = 5_000;

const FRAME_TYPES = { text: FrameType.TEXT, json: FrameType.JSON, binary: FrameType.BINARY } as const;

/** The payload of a message, checked against its type before anything is dialed. */
export function messagePayload(data: string | Uint8Array, type: MessageType | undefined): [MessageType, Uint8Array] {
  const kind = type ?? (typeof data === "string" ? "text" : "binary");
  if (!Object.hasOwn(FRAME_TYPES, kind)) {
    throw new InvalidArgumentError(`invalid message type "${kind}" (use text, json or binary)`);
  }
  const payload = typeof data === "string" ? utf8(data) : data;
  if (payload.length > MAX_MESSAGE_BYTES) {
    throw new InvalidArgumentError(`message too large (${payload.length} bytes, max ${MAX_MESSAGE_BYTES})`, {
      detail: "too_large",
    });
  }
  if (kind !== "binary") {
    const text = decodeUtf8Strict(payload);
    if (text === null) throw new InvalidArgumentError(`a ${kind} message needs UTF-8 data (use type binary)`);
    if (kind === "json") {
      try {
        JSON.parse(text);
      } catch (err) {
        throw new InvalidArgumentError(`invalid JSON: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  }
  return [kind, payload];
}

/** A receiver's error ACK as the PilotError it stands for. */
function ackError(ack: Ack, address: string): PilotError {
  const why = ack.message ?? ack.code ?? "refused";
  if (ack.code === "checksum_mismatch") {
    return new ConnectionFailedError(`${ack.type} corrupted on the way to ${address}: ${why}`, { detail: ack.code });
  }
  if (ack.code === "internal" || ack.code === undefined) {
    return new InternalError(`${address} could not store the ${ack.type}: ${why}`, { detail: ack.code });
  }
  return new InvalidArgumentError(`${address} refused the ${ack.type}: ${why}`, { detail: ack.code });
}

/** One message over a port-1001 stream; closes the stream. */
export async function exchangeMessage(
  conn: PilotConn,
  type: MessageType,
  payload: Uint8Array,
): Promise<MessageAck> {
  try {
    const sender = new DataExchangeSender(webServiceStream(conn.readable, conn.writable), conn.remote);
    const ack = await sender.sendMessage(FRAME_TYPES[type], payload);
    // The answer is in: a receiver that already closed must not turn it into a failure.
    await sender.finish().catch(() => {});
    if (ack.status !== "ok") throw ackError(ack, conn.remote);
    return { type, bytes: payload.length, messageId: ack.message_id ?? null };
  } catch (err) {
    throw sdkError(err, conn.remote);
  } finally {
    await conn.close().catch(() => {});
  }
}

export function checkTopic(topic: string, payload: Uint8Array): void {
  if (!isValidTopic(topic)) {
    const wildcard = topic.includes("*") ? " (wildcards are for subscribe)" : "";
    throw new InvalidArgumentError(`invalid topic "${topic}"${wildcard}`);
  }
  if (payload.length > EVENT_PAYLOAD_MAX_BYTES) {
    throw new InvalidArgumentError(`event too large (${payload.length} bytes, max ${EVENT_PAYLOAD_MAX_BYTES})`, {
      detail: "too_large",
    });
  }
}

export function checkPatterns(patterns: readonly string[]): void {
  if (patterns.length === 0) throw new InvalidArgumentError("subscribe needs at least one topic pattern");
  for (const p of patterns) {
    if (!isValidPattern(p)) throw new InvalidArgumentError(`invalid topic pattern "${p}"`);
  }
}

/** One PUBLISH over a port-1002 stream; resolves with the deliveries; closes the stream. */
export async function exchangePublish(conn: PilotConn, topic: string, payload: Uint8Array): Promise<number> {
  try {
    const service = webServiceStream(conn.readable, conn.writable);
    const deliveries = await new EventStreamClient(service, conn.remote).publish(topic, payload);
    await service.closeWrite().catch(() => {});
    return deliveries;
  } catch (err) {
    throw sdkError(err, conn.remote);
  } finally {
    await conn.close().catch(() => {});
  }
}

/** The events of a broker for some patterns. Iterate it; close() ends the subscription and the iteration. */
export class Subscription implements AsyncIterable<PubSubEvent>, AsyncDisposable {
  readonly patterns: readonly string[];
  readonly #conn: PilotConn;
  readonly #client: EventStreamClient;
  #closed = false;

  private constructor(conn: PilotConn, client: EventStreamClient, patterns: readonly string[]) {
    this.#conn = conn;
    this.#client = client;
    this.patterns = patterns;
  }

  /** @internal SUBSCRIBEs each pattern on a port-1002 stream; closes the stream when that fails. */
  static async open(conn: PilotConn, patterns: readonly string[]): Promise<Subscription> {
    const client = new EventStreamClient(webServiceStream(conn.readable, conn.writable), conn.remote);
    try {
      for (const p of patterns) await client.subscribe(p);
    } catch (err) {
      await conn.close().catch(() => {});
      throw sdkError(err, conn.remote);
    }
    return new Subscription(conn, client, patterns);
  }

  /** The next event, or null once closed. A broker that ends the stream by itself is `connection_failed`. */
  async next(): Promise<PubSubEvent | null> {
    if (this.#closed) return null;
    let frame: EventFrame | null;
    try {
      frame = await this.#client.nextEvent();
    } catch (err) {
      if (this.#closed) return null;
      throw sdkError(err, this.#conn.remote);
    }
    if (frame === null) {
      if (this.#closed) return null;
      throw new ConnectionFailedError(`${this.#conn.remote} ended the event stream`, { detail: "closed" });
    }
    return {
      topic: frame.topic,
      from: frame.from === undefined ? "" : formatAddr(frame.from),
      data: frame.payload,
      text: new TextDecoder().decode(frame.payload),
    };
  }

  async *[Symbol.asyncIterator](): AsyncIterator<PubSubEvent> {
    for (;;) {
      const event = await this.next();
      if (event === null) return;
      yield event;
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#conn.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

/** Times one small probe through the peer's echo service; closes the stream. */
export async function echoRoundTrip(conn: PilotConn, timeoutMs: number): Promise<number> {
  const probe = utf8(`ping-${crypto.randomUUID()}`);
  const reader = conn.readable.getReader();
  const writer = conn.writable.getWriter();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new TimeoutError(`no ping reply from ${conn.remote} within ${timeoutMs} ms`)),
      timeoutMs,
    );
  });
  try {
    const start = performance.now();
    const echoed = async (): Promise<Uint8Array> => {
      await writer.write(probe);
      const got = new Uint8Array(probe.length);
      for (let n = 0; n < probe.length;) {
        const r = await reader.read();
        if (r.done) throw new ConnectionFailedError(`${conn.remote} closed the echo stream`, { detail: "closed" });
        const part = r.value.subarray(0, probe.length - n);
        got.set(part, n);
        n += part.length;
      }
      return got;
    };
    const work = echoed();
    work.catch(() => {}); // after a timeout its failure is of no interest
    const got = await Promise.race([work, expired]);
    const rtt = performance.now() - start;
    if (!bytesEqual(got, probe)) throw new InternalError("echo did not match the probe");
    return rtt;
  } catch (err) {
    throw sdkError(err, conn.remote);
  } finally {
    clearTimeout(timer);
    reader.releaseLock();
    writer.releaseLock();
    await conn.close().catch(() => {});
  }
}
