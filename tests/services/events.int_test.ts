// The event broker, port 1002, between real in-process daemons (PROTOCOL-BRIEF §9.3; CLI.md §3.6): patterns `*`,
// `a.*` and `a.**` held by two remote subscribers and a local application, `publish` and `subscribe` through the CLI,
// the deliveries each publisher is told, no event for its own publish, and the publisher taken from the tunnel.
import assert from "node:assert/strict";
import { EventStreamClient } from "../../src/daemon/services/event_stream_client.ts";
import { encodeEventFrame, EventOp } from "../../src/daemon/services/event_stream_codec.ts";
import { type ServiceStream, webServiceStream } from "../../src/daemon/services/service_stream.ts";
import type { IpcStream } from "../../src/ipc/mod.ts";
import { utf8 } from "../../src/util/bytes.ts";
import { formatAddr } from "../../src/wire/mod.ts";
import { eventually } from "../daemon/_cluster.ts";
import { makeTrust, type Member } from "../daemon/_pair.ts";
import { cliJson, named, nextEvent, ok } from "./_nodes.ts";

/** A port-1002 client on `to`'s broker through `from`'s IPC (`from` = `to`: a local application). */
async function eventClient(from: Member, to: Member): Promise<EventSession> {
  const stream = await from.client.dialStream({ addr: to.node.address, port: 1002, timeout_ms: 10_000 });
  const service = webServiceStream(stream.readable, stream.writable);
  return { client: new EventStreamClient(service, to.node.address), service, stream };
}

interface EventSession {
  readonly client: EventStreamClient;
  readonly service: ServiceStream;
  readonly stream: IpcStream;
}

/** Half-closes and collects every event the broker still had for this client: [topic, data, from]. */
async function drain(sub: EventSession): Promise<string[][]> {
  await sub.service.closeWrite();
  const got: string[][] = [];
  for (let i = 0; i < 100; i++) {
    const ev = await nextEvent(sub.client);
    if (ev === null) break;
    got.push([ev.topic, new TextDecoder().decode(ev.payload), ev.from === undefined ? "" : formatAddr(ev.from)]);
  }
  await sub.stream.close("both").catch(() => {});
  return got;
}

Deno.test("pub/sub with *, a.* and a.**: three subscribers, counts, no self-delivery, the tunnel's publisher", async () => {
  await using c = await named(["alice", "bob", "carol"]);
  const [a, b, carol] = c.members;
  await makeTrust(a, b);
  await makeTrust(carol, b);
  const broker = b.node.parts.services.broker;
  // Two remote subscribers and a local application on bob's own daemon.
  const s1 = await eventClient(a, b);
  const s2 = await eventClient(carol, b);
  const s3 = await eventClient(b, b);
  try {
    await s1.client.subscribe("*");
    await s2.client.subscribe("a.*");
    await s3.client.subscribe("a.**");
    // The CLI as a fourth subscriber, bounded by --count.
    const cliSub = cliJson<{ events: { topic: string; data: string; from: string }[]; total: number }>(
      c,
      carol,
      ["subscribe", "bob", "a.**", "--count", "2", "--timeout", "20s"],
    );
    await eventually(() => broker.stats().patterns === 4);

    const publish = async (topic: string, data: string) =>
      ok(await cliJson<{ subscribers: number }>(c, b, ["publish", b.node.address, topic, "--data", data]))
        .subscribers;
    assert.equal(await publish("a.b", "1"), 4);
    assert.equal(await publish("a.b.c", "2"), 3);
    assert.equal(await publish("a", "3"), 1);
    assert.equal(await publish("b.c", "4"), 1);
    // The `*` subscriber publishes on its own connection: everyone else gets it, it does not.
    assert.equal(await s1.client.publish("a.x", utf8("5")), 2);

    const sub = ok(await cliSub);
    assert.deepEqual(sub.events.map((e) => [e.topic, e.data, e.from]), [
      ["a.b", "1", b.node.address],
      ["a.b.c", "2", b.node.address],
    ]);
    const bob = b.node.address;
    const alice = a.node.address;
    assert.deepEqual(await drain(s1), [["a.b", "1", bob], ["a.b.c", "2", bob], ["a", "3", bob], ["b.c", "4", bob]]);
    assert.deepEqual(await drain(s2), [["a.b", "1", bob], ["a.x", "5", alice]]);
    assert.deepEqual(await drain(s3), [["a.b", "1", bob], ["a.b.c", "2", bob], ["a.x", "5", alice]]);
  } finally {
    for (const s of [s1, s2, s3]) await s.stream.close("both").catch(() => {});
  }
});

Deno.test("a client cannot forge an EVENT's publisher: the broker refuses the op and subscribers see nothing", async () => {
  await using c = await named(["alice", "bob"]);
  const [a, b] = c.members;
  await makeTrust(a, b);
  const sub = await eventClient(b, b);
  const forger = await a.client.dialStream({ addr: b.node.address, port: 1002, timeout_ms: 10_000 });
  try {
    await sub.client.subscribe("*");
    const w = forger.writable.getWriter();
    await w.write(encodeEventFrame({
      op: EventOp.EVENT,
      topic: "news",
      from: { network: 0, node: 0x999 },
      payload: utf8("forged"),
    }));
    await w.close();
    // The broker answers with ERROR and ends the connection.
    const reply = new Uint8Array(await new Response(forger.readable).arrayBuffer());
    assert.equal(reply[0], EventOp.ERROR);
    assert.match(new TextDecoder().decode(reply), /unexpected op 4/);
    assert.deepEqual(await drain(sub), []);
  } finally {
    await forger.close("both").catch(() => {});
    await sub.stream.close("both").catch(() => {});
  }
});
