// The data exchange service, messages (PROTOCOL-BRIEF §9.2): inbox files with exactly the §9.2 fields, one ACK per
// frame in order, validation, the 1 MiB limit, BROADCAST membership, and the sender taken from the tunnel.
import assert from "node:assert/strict";
import { AckReader, DataExchangeSender } from "../../../src/daemon/services/data_exchange_client.ts";
import {
  type Ack,
  encodeBroadcastPayload,
  encodeFrame,
  encodeFrameHeader,
  FrameType,
  MAX_MESSAGE_BYTES,
} from "../../../src/daemon/services/data_exchange_codec.ts";
import { concatBytes, utf8 } from "../../../src/util/bytes.ts";
import { withSeed } from "../../_support/prng.ts";
import { ALICE, exchangeEnv, SELF_NODE } from "./_exchange.ts";
import { readAll } from "./_pipe.ts";

/** Every ACK in `bytes` (the server's whole output). */
function acksIn(bytes: Uint8Array): Ack[] {
  const reader = new AckReader();
  reader.push(bytes);
  const out: Ack[] = [];
  for (let a = reader.next(); a !== null; a = reader.next()) out.push(a);
  return out;
}

Deno.test("a TEXT message is stored in inbox/<id>.json with exactly the §9.2 fields before its ACK", async () => {
  await using env = await exchangeEnv();
  const { client, served } = env.connect();
  const sender = new DataExchangeSender(client, ALICE.address);
  const ack = await sender.sendMessage(FrameType.TEXT, utf8("hello bob"));
  assert.equal(ack.status, "ok");
  assert.equal(ack.seq, 1);
  assert.equal(ack.type, "text");
  assert.equal(ack.bytes, 9);
  assert.match(ack.message_id ?? "", /^1748779204217-[a-z0-9]{6}$/);
  // Already on disk when the ACK arrived.
  const path = `${env.root}/inbox/${ack.message_id}.json`;
  const stored = JSON.parse(await Deno.readTextFile(path));
  assert.deepEqual(Object.keys(stored), [
    "id",
    "type",
    "from",
    "hostname",
    "received_at",
    "bytes",
    "encoding",
    "data",
    "broadcast",
  ]);
  assert.deepEqual(stored, {
    id: ack.message_id,
    type: "text",
    from: "0:0000.0000.0100",
    hostname: "alice",
    received_at: "2025-06-01T12:00:04.217Z",
    bytes: 9,
    encoding: "utf8",
    data: "hello bob",
    broadcast: null,
  });
  if (Deno.build.os !== "windows") {
    assert.equal((await Deno.stat(path)).mode! & 0o777, 0o600);
    assert.equal((await Deno.stat(`${env.root}/inbox`)).mode! & 0o777, 0o700);
  }
  await sender.finish();
  assert.equal((await readAll(client)).length, 0);
  await served;
  assert.deepEqual(env.hooks, [["message.received", { type: "text", from: ALICE.address, size: 9 }]]);
  // No temporary file is left beside it.
  assert.deepEqual([...Deno.readDirSync(`${env.root}/inbox`)].map((e) => e.name), [`${ack.message_id}.json`]);
});

Deno.test("the sender is the tunnel's peer, whatever the payload claims", async () => {
  await using env = await exchangeEnv();
  const { client } = env.connect({ node: 300, address: "0:0000.0000.012C" });
  const sender = new DataExchangeSender(client, "x");
  const ack = await sender.sendMessage(FrameType.JSON, utf8('{"from":"0:0000.0000.0001","hostname":"registry"}'));
  await sender.finish();
  const [msg] = await env.inbox.list();
  assert.equal(msg.id, ack.message_id);
  assert.equal(msg.from, "0:0000.0000.012C");
  assert.equal(msg.hostname, "");
  assert.equal(msg.type, "json");
  assert.equal(msg.data, '{"from":"0:0000.0000.0001","hostname":"registry"}');
});

Deno.test("coalesced frames get one ACK each, in order, with 1-based seq", async () => {
  await using env = await exchangeEnv();
  const { client, served } = env.connect(ALICE, { chunkBytes: 3 });
  await client.write(concatBytes(
    encodeFrame(FrameType.TEXT, utf8("one")),
    encodeFrame(FrameType.BINARY, new Uint8Array([0xff, 0x00, 0x80])),
    encodeFrame(FrameType.JSON, utf8("[1,2]")),
    encodeFrame(77, new Uint8Array(10)),
    encodeFrame(FrameType.ACK, utf8("{}")),
    encodeFrame(FrameType.TEXT, utf8("")),
  ));
  await client.closeWrite();
  const acks = acksIn(await readAll(client));
  await served;
  assert.deepEqual(acks.map((a) => [a.seq, a.status, a.type, a.bytes, a.code]), [
    [1, "ok", "text", 3, undefined],
    [2, "ok", "binary", 3, undefined],
    [3, "ok", "json", 5, undefined],
    [4, "error", "unknown", 10, "unsupported_type"],
    [5, "error", "unknown", 2, "unsupported_type"],
    [6, "ok", "text", 0, undefined],
  ]);
  const msgs = await env.inbox.list();
  assert.equal(msgs.length, 4);
  const binary = msgs.find((m) => m.type === "binary");
  assert.deepEqual([binary?.encoding, binary?.data, binary?.bytes], ["base64", "/wCA", 3]);
});

Deno.test("invalid UTF-8 text and invalid JSON are refused with invalid_payload and the connection goes on", async () => {
  await using env = await exchangeEnv();
  const { client } = env.connect();
  const sender = new DataExchangeSender(client, "x");
  const badText = await sender.sendMessage(FrameType.TEXT, new Uint8Array([0xc3, 0x28]));
  assert.deepEqual([badText.status, badText.code], ["error", "invalid_payload"]);
  const badJson = await sender.sendMessage(FrameType.JSON, utf8("{nope"));
  assert.deepEqual([badJson.status, badJson.code], ["error", "invalid_payload"]);
  assert.match(badJson.message ?? "", /^invalid JSON/);
  const ok = await sender.sendMessage(FrameType.TEXT, utf8("still here"));
  assert.equal(ok.status, "ok");
  assert.equal(ok.seq, 3);
  await sender.finish();
  assert.equal((await env.inbox.list()).length, 1);
});

Deno.test("a message over 1 MiB is refused at its header with too_large, stores nothing, and ends the connection", async () => {
  await using env = await exchangeEnv();
  const { client, served } = env.connect();
  await client.write(encodeFrame(FrameType.TEXT, utf8("fine")));
  await client.write(encodeFrameHeader(FrameType.BINARY, MAX_MESSAGE_BYTES + 1));
  await client.write(new Uint8Array(4096));
  const acks = acksIn(await readAll(client));
  await served;
  assert.deepEqual(acks.map((a) => [a.seq, a.status, a.code, a.bytes]), [
    [1, "ok", undefined, 4],
    [2, "error", "too_large", MAX_MESSAGE_BYTES + 1],
  ]);
  assert.equal((await env.inbox.list()).length, 1);
});

Deno.test("a message of exactly 1 MiB is accepted", async () => {
  await using env = await exchangeEnv();
  const { client } = env.connect();
  const sender = new DataExchangeSender(client, "x");
  const ack = await sender.sendMessage(FrameType.BINARY, new Uint8Array(MAX_MESSAGE_BYTES).fill(0x61));
  assert.equal(ack.status, "ok");
  assert.equal(ack.bytes, MAX_MESSAGE_BYTES);
  await sender.finish();
});

Deno.test("BROADCAST is stored with its network when receiver and sender are members", async () => {
  await using env = await exchangeEnv({ members: { 7: [SELF_NODE, ALICE.node] } });
  const { client } = env.connect();
  const sender = new DataExchangeSender(client, "x");
  const ack = await sender.sendBroadcast(7, "all hands");
  assert.deepEqual([ack.status, ack.type, ack.bytes], ["ok", "broadcast", 9]);
  await sender.finish();
  const [msg] = await env.inbox.list();
  assert.deepEqual([msg.type, msg.data, msg.broadcast, msg.bytes], ["text", "all hands", 7, 9]);
});

Deno.test("BROADCAST is refused (not_member) unless both ends are members, and never on the backbone", async () => {
  await using env = await exchangeEnv({ members: { 7: [SELF_NODE], 8: [ALICE.node] } });
  const { client } = env.connect();
  const sender = new DataExchangeSender(client, "x");
  for (const network of [7, 8, 9, 0]) {
    const ack = await sender.sendBroadcast(network, "hi");
    assert.deepEqual([ack.status, ack.code], ["error", "not_member"], `network ${network}`);
  }
  const short = await sender.sendMessage(FrameType.BROADCAST, new Uint8Array([7]));
  assert.deepEqual([short.status, short.code], ["error", "invalid_payload"]);
  const badText = await sender.sendMessage(
    FrameType.BROADCAST,
    concatBytes(encodeBroadcastPayload(7, ""), new Uint8Array([0xff])),
  );
  assert.equal(badText.code, "invalid_payload");
  await sender.finish();
  assert.deepEqual(await env.inbox.list(), []);
});

Deno.test("an inbox that cannot be written is an internal error ACK, and the connection ends", async () => {
  await using env = await exchangeEnv();
  await Deno.writeTextFile(`${env.root}/inbox`, "a file where the directory should be");
  const { client, served } = env.connect();
  await client.write(encodeFrame(FrameType.TEXT, utf8("lost?")));
  const acks = acksIn(await readAll(client));
  await served;
  assert.deepEqual(acks.map((a) => [a.status, a.code]), [["error", "internal"]]);
});

Deno.test("end of stream in the middle of a frame stores nothing and acknowledges nothing", async () => {
  await using env = await exchangeEnv();
  const { client, served } = env.connect();
  await client.write(encodeFrame(FrameType.TEXT, utf8("whole")).subarray(0, 10));
  await client.closeWrite();
  assert.equal((await readAll(client)).length, 0);
  await served;
  assert.deepEqual(await env.inbox.list(), []);
});

Deno.test("fuzz: random byte streams get only well-formed ACKs and never break the service", async () => {
  await using env = await exchangeEnv();
  await withSeed(async (rng) => {
    for (let i = 0; i < 300; i++) {
      const parts: Uint8Array[] = [];
      for (let k = rng.int(0, 3); k > 0; k--) {
        const body = rng.bytes(rng.int(0, 40));
        parts.push(concatBytes(encodeFrameHeader(rng.int(0, 8), rng.bool() ? body.length : rng.int(0, 200)), body));
      }
      if (rng.bool()) parts.push(rng.bytes(rng.int(0, 30)));
      const { client, served } = env.connect(ALICE, { chunkBytes: rng.int(1, 20) });
      await client.write(concatBytes(...parts)).catch(() => {});
      await client.closeWrite().catch(() => {});
      const out = await readAll(client);
      await served;
      // Everything the service wrote parses as ACKs with seq 1, 2, …
      const acks = acksIn(out);
      assert.deepEqual(acks.map((a) => a.seq), acks.map((_, j) => j + 1));
    }
  });
  assert.deepEqual((await env.receivedNames()).filter((n) => n.startsWith(".partial-")), []);
});
