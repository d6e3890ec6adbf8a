// The event broker, port 1002 (PROTOCOL-BRIEF §9.3, §10): one per daemon. Remote peers and local applications (which
// dial their own daemon) subscribe with patterns and publish to topics; each matching connection but the
// publisher's gets one EVENT per publish, carrying the publisher's tunnel address. Publishing only queues, so it
// never waits for a subscriber. A frame that breaks the rules is an ERROR and the end of that connection. A client
// that half-closes is done: what is queued for it is delivered, then the connection finishes.
import type { Logger } from "../../log/logger.ts";
import { NETWORK_BACKBONE } from "../../wire/mod.ts";
import {
  encodeDeliveries,
  encodeEventFrame,
  type EventFrame,
  EventFrameError,
  EventFrameReader,
  EventOp,
} from "./event_stream_codec.ts";
import {
  type ConnectionLimits,
  DEFAULT_CONNECTION_LIMITS,
  EventConnection,
  PATTERNS_PER_CONNECTION_MAX,
} from "./event_stream_connection.ts";
import { isValidTopic, TopicPattern } from "./event_stream_topics.ts";
import {
  abortOnSignal,
  type ServicePeer,
  type ServiceStream,
  type StreamService,
  type WebhookEmitter,
} from "./service_stream.ts";

export const EVENT_STREAM_PORT = 1002;

export interface EventBrokerOptions {
  readonly webhooks?: WebhookEmitter;
  readonly log?: Logger;
  readonly limits?: Partial<ConnectionLimits>;
}

export interface EventBrokerStats {
  readonly connections: number;
  readonly patterns: number;
  readonly published: number;
  readonly delivered: number;
  readonly slowConsumers: number;
}

export class EventBroker implements StreamService, AsyncDisposable {
  readonly #options: EventBrokerOptions;
  readonly #limits: ConnectionLimits;
  /** Connections that receive events: their reader is running. */
  readonly #conns = new Set<EventConnection>();
  /** Every connection until its writer is done (closing ones included), for close(). */
  readonly #live = new Set<EventConnection>();
  readonly #running = new Set<Promise<void>>();
  #closed = false;
  #published = 0;
  #delivered = 0;
  #slow = 0;

  constructor(options: EventBrokerOptions = {}) {
    this.#options = options;
    this.#limits = { ...DEFAULT_CONNECTION_LIMITS, ...options.limits };
  }

  stats(): EventBrokerStats {
    let patterns = 0;
    for (const c of this.#conns) patterns += c.patterns.size;
    return {
      connections: this.#conns.size,
      patterns,
      published: this.#published,
      delivered: this.#delivered,
      slowConsumers: this.#slow,
    };
  }

  serve(stream: ServiceStream, peer: ServicePeer, signal?: AbortSignal): Promise<void> {
    if (this.#closed) {
      stream.abort();
      return Promise.resolve();
    }
    const run = this.#serve(stream, peer, signal);
    this.#running.add(run);
    return run.finally(() => this.#running.delete(run));
  }

  /** Resets every connection and waits for their loops. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const c of this.#live) c.abort();
    await Promise.all(this.#running);
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #serve(stream: ServiceStream, peer: ServicePeer, signal: AbortSignal | undefined): Promise<void> {
    const conn = new EventConnection(stream, peer, this.#limits);
    this.#conns.add(conn);
    this.#live.add(conn);
    // A connection closed from elsewhere (slow consumer) must not leave its reader waiting for the client.
    const finished = conn.done.then(() => null);
    const unlisten = abortOnSignal(stream, signal);
    const reader = new EventFrameReader();
    try {
      while (conn.open) {
        let frame: EventFrame | null;
        try {
          frame = reader.next();
        } catch (err) {
          if (!(err instanceof EventFrameError)) throw err;
          conn.fail(err.code, err.message);
          break;
        }
        if (frame !== null) {
          this.#handle(conn, frame);
          continue;
        }
        const reading = stream.read();
        const chunk = await Promise.race([reading, finished]);
        if (chunk === null) {
          reading.catch(() => {});
          conn.end();
          break;
        }
        reader.push(chunk);
      }
    } catch (err) {
      this.#options.log?.debug("event stream connection failed", {
        peer: peer.address,
        error: err instanceof Error ? err.message : String(err),
      });
      conn.abort();
    } finally {
      // No more events once its reader is gone; queued frames still drain.
      this.#conns.delete(conn);
      unlisten();
    }
    await conn.done;
    this.#live.delete(conn);
  }

  #handle(conn: EventConnection, frame: EventFrame): void {
    switch (frame.op) {
      case EventOp.SUBSCRIBE: {
        const pattern = TopicPattern.parse(frame.topic);
        if (pattern === null) return conn.fail("invalid_topic", `invalid topic pattern "${frame.topic}"`);
        if (!conn.patterns.has(pattern.text) && conn.patterns.size >= PATTERNS_PER_CONNECTION_MAX) {
          return conn.fail("too_many_patterns", `too many patterns (max ${PATTERNS_PER_CONNECTION_MAX})`);
        }
        conn.patterns.set(pattern.text, pattern);
        this.#reply(conn, frame.topic);
        this.#options.webhooks?.emit("pubsub.subscribed", { topic: frame.topic, remote: conn.peer.address });
        return;
      }
      case EventOp.UNSUBSCRIBE: {
        if (TopicPattern.parse(frame.topic) === null) {
          return conn.fail("invalid_topic", `invalid topic pattern "${frame.topic}"`);
        }
        conn.patterns.delete(frame.topic);
        this.#reply(conn, frame.topic);
        this.#options.webhooks?.emit("pubsub.unsubscribed", { topic: frame.topic, remote: conn.peer.address });
        return;
      }
      case EventOp.PUBLISH: {
        if (!isValidTopic(frame.topic)) return conn.fail("invalid_topic", `invalid topic "${frame.topic}"`);
        const deliveries = this.#fanOut(conn, frame.topic, frame.payload);
        this.#reply(conn, frame.topic, encodeDeliveries(deliveries));
        this.#options.webhooks?.emit("pubsub.published", {
          topic: frame.topic,
          remote: conn.peer.address,
          size: frame.payload.length,
        });
        return;
      }
      default:
        return conn.fail("bad_frame", `unexpected op ${frame.op} from a client`);
    }
  }

  /** An OK; a publisher whose own queue is full is a slow consumer too. */
  #reply(conn: EventConnection, topic: string, payload?: Uint8Array): void {
    if (!conn.sendOk(topic, payload)) this.#slowConsumer(conn);
  }

  #slowConsumer(conn: EventConnection): void {
    this.#slow++;
    this.#options.log?.info("closing slow event subscriber", { peer: conn.peer.address });
    conn.fail("slow_consumer", "subscriber queue full (1024 events or 8 MiB)", true);
  }

  /** Queues one EVENT for every other connection with a matching pattern; returns how many took it. */
  #fanOut(publisher: EventConnection, topic: string, payload: Uint8Array): number {
    this.#published++;
    let frame: Uint8Array | null = null;
    let deliveries = 0;
    for (const conn of this.#conns) {
      if (conn === publisher || !conn.open || !conn.matches(topic)) continue;
      // Encoded once and shared: queued frames are never modified.
      frame ??= encodeEventFrame({
        op: EventOp.EVENT,
        topic,
        from: { network: NETWORK_BACKBONE, node: publisher.peer.node },
        payload,
      });
      if (conn.send(frame)) deliveries++;
      else this.#slowConsumer(conn);
    }
    this.#delivered += deliveries;
    return deliveries;
  }
}
