// The daemon hosts the built-in services on their ports (PROTOCOL-BRIEF §9.2, §9.3): a message sent to port 1001
// is acknowledged only once it is in the receiver's inbox/, with the sender taken from the tunnel.
import assert from "node:assert/strict";
import { DataExchangeSender } from "../../src/daemon/services/data_exchange_client.ts";
import { FrameType } from "../../src/daemon/services/data_exchange_codec.ts";
import { webServiceStream } from "../../src/daemon/services/service_stream.ts";
import { cluster, makeTrust } from "./_pair.ts";

Deno.test("a text message on port 1001 lands in the receiver's inbox, from the tunnel's peer", async () => {
  await using c = await cluster(["alice", "bob"]);
  const [a, b] = c.members;
  await makeTrust(a, b);
  const stream = await a.client.dialStream({ addr: b.node.address, port: 1001 });
  const sender = new DataExchangeSender(webServiceStream(stream.readable, stream.writable), b.node.address);
  const ack = await sender.sendMessage(FrameType.TEXT, new TextEncoder().encode("hello bob"));
  assert.equal(ack.status, "ok");
  await stream.close("both").catch(() => {});
  const files = [];
  for await (const e of Deno.readDir(`${c.root}/bob/inbox`)) files.push(e.name);
  assert.equal(files.length, 1);
  const stored = JSON.parse(await Deno.readTextFile(`${c.root}/bob/inbox/${files[0]}`));
  assert.equal(stored.from, a.node.address);
  assert.equal(stored.data, "hello bob");
});

Deno.test("port 1002 answers as the event broker; port 1003 refuses", async () => {
  await using c = await cluster(["alice", "bob"]);
  const [a, b] = c.members;
  await makeTrust(a, b);
  const events = await a.client.dialStream({ addr: b.node.address, port: 1002 });
  await events.close("both");
  await assert.rejects(() => a.client.request("dial", { addr: b.node.address, port: 1003 }), { detail: "refused" });
});

Deno.test("config_set applies a webhook live; trust events are delivered to it", async () => {
  const events: string[] = [];
  const got = Promise.withResolvers<void>();
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const body = await req.json();
    events.push(`${req.headers.get("x-pilot-event")}:${body.data.peer_node_id ?? ""}`);
    if (req.headers.get("x-pilot-event") === "handshake.pending") got.resolve();
    return new Response("ok");
  });
  try {
    await using c = await cluster(["alice", "bob"]);
    const [a, b] = c.members;
    const url = `http://127.0.0.1:${server.addr.port}/hook`;
    assert.deepEqual(await b.client.request("config_set", { key: "webhook", value: url }), {
      applied: true,
      restart_required: false,
    });
    assert.deepEqual(await b.client.request("config_set", { key: "listen", value: "127.0.0.1:0" }), {
      applied: false,
      restart_required: true,
    });
    await assert.rejects(() => b.client.request("config_set", { key: "nope", value: "x" }), {
      code: "invalid_argument",
    });
    assert.equal((await b.client.request("config_get", { key: "webhook" })).value, url);
    await a.client.request("trust_request", { node: b.node.address, justification: "hook me" });
    await got.promise;
    assert.ok(events.includes(`handshake.pending:${a.node.nodeId}`));
  } finally {
    await server.shutdown();
  }
});
