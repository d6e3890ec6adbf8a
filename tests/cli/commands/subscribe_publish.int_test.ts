// `pilotctl subscribe` and `pilotctl publish` (CLI.md §3.6) against a fake daemon whose dial reaches a real event
// broker; a second in-memory client plays the other side.
import assert from "node:assert/strict";
import { subscribeCommandWith } from "../../../src/cli/commands/subscribe.ts";
import { MemoryIo } from "../../../src/cli/io.ts";
import { run } from "../../../src/cli/run.ts";
import { EventBroker } from "../../../src/daemon/services/event_stream_broker.ts";
import { EventStreamClient } from "../../../src/daemon/services/event_stream_client.ts";
import { utf8 } from "../../../src/util/bytes.ts";
import { streamPair } from "../../daemon/services/_pipe.ts";
import { BOB_ADDR, dataOf, errorEnvelope, fakeDaemon, SELF_ADDR } from "./_daemon.ts";
import { serviceDaemon } from "./_services.ts";

async function setup() {
  const broker = new EventBroker();
  const svc = serviceDaemon({ services: { 1002: broker } });
  const daemon = await fakeDaemon(svc.scripts, svc.extra);
  const [stream, server] = streamPair();
  const other = new EventStreamClient(stream, "broker");
  const otherServed = broker.serve(server, { node: 0x102, address: "0:0000.0000.0102" });
  return {
    broker,
    daemon,
    other,
    /** Waits (bounded) until the broker holds `n` patterns in all. */
    async patterns(n: number) {
      for (let i = 0; i < 500 && broker.stats().patterns < n; i++) await new Promise((r) => setTimeout(r, 5));
      assert.equal(broker.stats().patterns, n);
    },
    async [Symbol.asyncDispose]() {
      await stream.closeWrite();
      await daemon[Symbol.asyncDispose]();
      await broker.close();
      await svc.settled();
      await otherServed;
    },
  };
}

Deno.test("subscribe --count 2 prints `[<topic>] <data>` per event", async () => {
  await using t = await setup();
  const running = t.daemon.run(["subscribe", BOB_ADDR, "sensors.*", "--count", "2"]);
  await t.patterns(1);
  assert.equal(await t.other.publish("sensors.t1", utf8("21.5")), 1);
  assert.equal(await t.other.publish("other.topic", utf8("no")), 0);
  assert.equal(await t.other.publish("sensors.t2", utf8("19.0")), 1);
  const out = await running;
  assert.equal(out.code, 0, out.stderr);
  assert.equal(out.stdout, "[sensors.t1] 21.5\n[sensors.t2] 19.0\n");
  assert.deepEqual(t.daemon.argsOf("dial").map((a) => [a.addr, a.port]), [[BOB_ADDR, 1002]]);
});

Deno.test("subscribe --json --count 1 returns events, total and timeout", async () => {
  await using t = await setup();
  const running = t.daemon.run(["--json", "subscribe", BOB_ADDR, "**", "--count", "1"]);
  await t.patterns(1);
  await t.other.publish("a.b", new Uint8Array([0xff, 0x00]));
  const data = dataOf(await running);
  const events = data.events as Record<string, unknown>[];
  assert.equal(data.total, 1);
  assert.equal(data.timeout, false);
  assert.deepEqual({ ...events[0], received_at: "" }, {
    topic: "a.b",
    data: "/wA=",
    encoding: "base64",
    bytes: 2,
    from: "0:0000.0000.0102",
    received_at: "",
  });
  assert.match(events[0].received_at as string, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
});

Deno.test("subscribe unbounded writes NDJSON and ends with exit 0 on a stop signal", async () => {
  await using t = await setup();
  const stop = new AbortController();
  const io = new MemoryIo();
  const running = run(["--json", "subscribe", BOB_ADDR, "*"], io, new Map(Object.entries(t.daemon.env)), [
    subscribeCommandWith({ signal: stop.signal }),
  ]);
  await t.patterns(1);
  await t.other.publish("x", utf8("one"));
  await t.other.publish("y.z", utf8("two"));
  for (let i = 0; i < 500 && io.stdout.text().split("\n").length < 3; i++) {
    await new Promise((r) => setTimeout(r, 5));
  }
  stop.abort();
  assert.equal(await running, 0, io.stderr.text());
  const lines = io.stdout.text().trimEnd().split("\n").map((l) => JSON.parse(l));
  assert.deepEqual(lines.map((l) => [l.topic, l.data, l.status]), [["x", "one", undefined], ["y.z", "two", undefined]]);
});

Deno.test("subscribe ends at --timeout: exit 0 unbounded, timeout error with --count and nothing received", async () => {
  await using t = await setup();
  const unbounded = await t.daemon.run(["--json", "subscribe", BOB_ADDR, "*", "--timeout", "150ms"]);
  assert.equal(unbounded.code, 0, unbounded.stderr);
  assert.equal(unbounded.stdout, "");
  const counted = await t.daemon.run(["--json", "subscribe", BOB_ADDR, "*", "--count", "1", "--timeout", "150ms"]);
  assert.equal(counted.code, 1);
  assert.equal(errorEnvelope(counted).code, "timeout");
});

Deno.test("subscribe refuses a bad pattern before contacting the daemon", async () => {
  await using d = await fakeDaemon({});
  for (const pattern of ["a..b", "a.**.b", "A", ""]) {
    const out = await d.run(["--json", "subscribe", BOB_ADDR, pattern]);
    assert.equal(out.code, 1, pattern);
    assert.equal(errorEnvelope(out).message, `invalid topic pattern "${pattern}"`);
  }
  assert.deepEqual(d.calls, []);
});

Deno.test("publish reports target, topic, bytes and subscribers; the event carries this node's address", async () => {
  await using t = await setup();
  await t.other.subscribe("jobs.*");
  const out = await t.daemon.run(["--json", "publish", BOB_ADDR, "jobs.done", "--data", "42"]);
  assert.deepEqual(dataOf(out), { target: BOB_ADDR, topic: "jobs.done", bytes: 2, subscribers: 1 });
  const ev = await t.other.nextEvent();
  assert.deepEqual([ev?.topic, ev?.payload], ["jobs.done", utf8("42")]);
  assert.equal(ev?.from?.node, parseInt(SELF_ADDR.slice(-4), 16));
  const none = await t.daemon.run(["--json", "publish", BOB_ADDR, "nobody.listens", "--data", "x"]);
  assert.equal(dataOf(none).subscribers, 0);
});

Deno.test("publish refuses wildcards and bad topics; no --data is exit 2", async () => {
  await using d = await fakeDaemon({});
  const wild = await d.run(["--json", "publish", BOB_ADDR, "a.*", "--data", "x"]);
  assert.equal(wild.code, 1);
  assert.equal(errorEnvelope(wild).message, 'invalid topic "a.*" (wildcards are for subscribe)');
  const bad = await d.run(["--json", "publish", BOB_ADDR, "Bad.Topic", "--data", "x"]);
  assert.equal(errorEnvelope(bad).code, "invalid_argument");
  assert.equal((await d.run(["publish", BOB_ADDR, "a"])).code, 2);
  assert.deepEqual(d.calls, []);
});
