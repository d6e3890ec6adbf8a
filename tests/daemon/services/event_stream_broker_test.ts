// The event broker (PROTOCOL-BRIEF §9.3): delivery by pattern, one EVENT per publish, never to the publisher,
// OK with deliveries, the 64-pattern and size limits as ERROR + close, and a slow subscriber closed (and counted)
// while the publisher and the other subscribers carry on.
import assert from "node:assert/strict";
import { EventBroker } from "../../../src/daemon/services/event_stream_broker.ts";
import { EventStreamClient } from "../../../src/daemon/services/event_stream_client.ts";
import { encodeEventFrame, EventOp } from "../../../src/daemon/services/event_stream_codec.ts";
import type { ServicePeer } from "../../../src/daemon/services/service_stream.ts";
import { ConnectionFailedError, InvalidArgumentError } from "../../../src/util/errors.ts";
import { utf8 } from "../../../src/util/bytes.ts";
import { type MemoryStream, type PipeOptions, readAll, streamPair } from "./_pipe.ts";

const PEERS: ServicePeer[] = [
  { node: 0x100, address: "0:0000.0000.0100" },
  { node: 0x101, address: "0:0000.0000.0101" },
  { node: 0x102, address: "0:0000.0000.0102" },
];

interface Conn {
  readonly client: EventStreamClient;
  readonly stream: MemoryStream;
  readonly served: Promise<void>;
}

function connect(broker: EventBroker, peer: ServicePeer, pipe: PipeOptions = {}): Conn {
  const [stream, server] = streamPair(pipe);
  return { client: new EventStreamClient(stream, "broker"), stream, served: broker.serve(server, peer) };
}

async function closeAll(broker: EventBroker, ...conns: Conn[]): Promise<void> {
  for (const c of conns) await c.stream.closeWrite().catch(() => {});
  await broker.close();
  await Promise.all(conns.map((c) => c.served));
}

Deno.test("a publish reaches each matching subscriber once, with the publisher's address, never the publisher", async () => {
  const hooks: string[] = [];
  const broker = new EventBroker({ webhooks: { emit: (e) => hooks.push(e) } });
  const sub = connect(broker, PEERS[0]);
  const pub = connect(broker, PEERS[1]);
  const other = connect(broker, PEERS[2]);
  await sub.client.subscribe("sensors.*");
  await sub.client.subscribe("sensors.**");
  await sub.client.subscribe("*");
  await pub.client.subscribe("*");
  await other.client.subscribe("logs.**");
  assert.equal(await pub.client.publish("sensors.t1", utf8("21.5")), 1);
  assert.equal(await pub.client.publish("sensors.t2", utf8("19.0")), 1);
  const first = await sub.client.nextEvent();
  assert.deepEqual(first, {
    op: EventOp.EVENT,
    topic: "sensors.t1",
    from: { network: 0, node: 0x101 },
    payload: utf8("21.5"),
  });
  assert.equal((await sub.client.nextEvent())?.topic, "sensors.t2");
  // `other` got nothing; its publish reaches the two `*` subscribers, and `pub` never heard its own publishes.
  assert.equal(await other.client.publish("logs.app", utf8("x")), 2);
  assert.equal((await sub.client.nextEvent())?.topic, "logs.app");
  assert.deepEqual(await pub.client.nextEvent(), {
    op: EventOp.EVENT,
    topic: "logs.app",
    from: { network: 0, node: 0x102 },
    payload: utf8("x"),
  });
  assert.deepEqual(broker.stats(), {
    connections: 3,
    patterns: 5,
    published: 3,
    delivered: 4,
    slowConsumers: 0,
  });
  assert.ok(hooks.includes("pubsub.subscribed") && hooks.includes("pubsub.published"));
  await closeAll(broker, sub, pub, other);
});

Deno.test("unsubscribe stops delivery", async () => {
  const broker = new EventBroker();
  const sub = connect(broker, PEERS[0]);
  const pub = connect(broker, PEERS[1]);
  await sub.client.subscribe("a.b");
  assert.equal(await pub.client.publish("a.b", utf8("1")), 1);
  await sub.client.unsubscribe("a.b");
  assert.equal(await pub.client.publish("a.b", utf8("2")), 0);
  assert.equal((await sub.client.nextEvent())?.payload[0], 0x31);
  await closeAll(broker, sub, pub);
});

Deno.test("the 65th pattern is ERROR too_many_patterns and closes; repeating a pattern does not count", async () => {
  const broker = new EventBroker();
  const c = connect(broker, PEERS[0]);
  for (let i = 0; i < 64; i++) await c.client.subscribe(`t.p${i}`);
  await c.client.subscribe("t.p0");
  await assert.rejects(
    () => c.client.subscribe("t.extra"),
    (e: unknown) => e instanceof InvalidArgumentError && e.detail === "too_many_patterns",
  );
  assert.equal(await c.client.nextEvent(), null);
  await c.served;
  await broker.close();
});

Deno.test("an invalid pattern or a wildcard publish is ERROR invalid_topic and closes the connection", async () => {
  const broker = new EventBroker();
  for (
    const act of [(c: EventStreamClient) => c.subscribe("a..b"), (c: EventStreamClient) => c.publish("a.*", utf8("x"))]
  ) {
    const c = connect(broker, PEERS[0]);
    await assert.rejects(
      () => act(c.client),
      (e: unknown) => e instanceof InvalidArgumentError && e.detail === "invalid_topic",
    );
    await c.served;
  }
  await broker.close();
});

Deno.test("a client sending broker-only ops or an oversized payload gets ERROR and is closed", async () => {
  const broker = new EventBroker();
  const a = connect(broker, PEERS[0]);
  await a.stream.write(encodeEventFrame({ op: EventOp.OK, topic: "x", payload: new Uint8Array(0) }));
  await assert.rejects(
    () => a.client.nextEvent(),
    (e: unknown) => e instanceof InvalidArgumentError && e.detail === "bad_frame",
  );
  const b = connect(broker, PEERS[1]);
  await b.stream.write(new Uint8Array([EventOp.PUBLISH, 0, 1, 0x61, 0x00, 0x10, 0x00, 0x01]));
  await assert.rejects(
    () => b.client.nextEvent(),
    (e: unknown) => e instanceof InvalidArgumentError && e.detail === "too_large",
  );
  await Promise.all([a.served, b.served]);
  await broker.close();
});

Deno.test("a slow subscriber is closed with slow_consumer and counted while others keep receiving", async () => {
  const broker = new EventBroker({ limits: { maxFrames: 16, closeGraceMs: 2_000 } });
  // The slow side's transport buffer holds little, and it does not read at first.
  const slow = connect(broker, PEERS[0], { capacityBytes: 256 });
  const fast = connect(broker, PEERS[1]);
  const pub = connect(broker, PEERS[2]);
  await slow.client.subscribe("tick");
  await fast.client.subscribe("tick");
  const payload = new Uint8Array(100);
  const deliveries: number[] = [];
  for (let i = 0; i < 40; i++) deliveries.push(await pub.client.publish("tick", payload));
  // The publisher was never held up; the fast subscriber got every event.
  assert.equal(deliveries.length, 40);
  for (let i = 0; i < 40; i++) assert.equal((await fast.client.nextEvent())?.topic, "tick");
  assert.equal(broker.stats().slowConsumers, 1);
  // Once the slow one reads, it sees what was already in flight, then the ERROR.
  const err = await (async () => {
    for (let i = 0; i < 100; i++) {
      try {
        if (await slow.client.nextEvent() === null) return null;
      } catch (e) {
        return e;
      }
    }
    return null;
  })();
  assert.ok(err instanceof ConnectionFailedError && err.detail === "slow_consumer", String(err));
  // Later publishes count only the fast subscriber.
  assert.equal(await pub.client.publish("tick", payload), 1);
  await slow.served;
  await closeAll(broker, fast, pub);
});

Deno.test("a slow subscriber that never reads is reset after the grace period", async () => {
  const broker = new EventBroker({ limits: { maxFrames: 4, closeGraceMs: 50 } });
  const slow = connect(broker, PEERS[0], { capacityBytes: 64 });
  const pub = connect(broker, PEERS[1]);
  await slow.client.subscribe("x");
  for (let i = 0; i < 12; i++) await pub.client.publish("x", new Uint8Array(64));
  await slow.served;
  assert.ok(slow.stream.isReset);
  assert.equal(broker.stats().slowConsumers, 1);
  await closeAll(broker, pub);
});

Deno.test("a client that half-closes gets its queued frames, then the connection finishes", async () => {
  const broker = new EventBroker();
  const sub = connect(broker, PEERS[0]);
  const pub = connect(broker, PEERS[1]);
  await sub.client.subscribe("a");
  await pub.client.publish("a", utf8("queued"));
  await sub.stream.closeWrite();
  await sub.served;
  assert.equal(await pub.client.publish("a", utf8("late")), 0);
  assert.ok((await readAll(sub.stream)).length > 0);
  await closeAll(broker, pub);
});

Deno.test("close() resets every connection and refuses new ones", async () => {
  const broker = new EventBroker();
  const a = connect(broker, PEERS[0]);
  await a.client.subscribe("*");
  await broker.close();
  await a.served;
  assert.ok(a.stream.isReset);
  const late = connect(broker, PEERS[1]);
  await late.served;
  assert.ok(late.stream.isReset);
});
