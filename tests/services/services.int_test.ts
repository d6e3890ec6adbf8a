// Messages and webhooks between real in-process daemons (PROTOCOL-BRIEF §9.2, §9.5, §6.4; CLI.md §3.6, §3.7,
// §3.10), driven through the CLI run in-process and through raw frames over IPC streams: messages of each type in
// the inbox with the sender taken from the tunnel, one ACK per frame in order, the 1 MiB limit, no service for an
// untrusted node, and webhooks to a local HTTP server, set live with `set-webhook`.
import assert from "node:assert/strict";
import { hmacSha256 } from "../../src/crypto/hash.ts";
import { AckReader } from "../../src/daemon/services/data_exchange_client.ts";
import { type Ack, encodeFrame, FrameType } from "../../src/daemon/services/data_exchange_codec.ts";
import { webServiceStream } from "../../src/daemon/services/service_stream.ts";
import { concatBytes, toHex, utf8 } from "../../src/util/bytes.ts";
import { makeTrust } from "../daemon/_pair.ts";
import { cliJson, dirNames, exchange, hookServer, inbox, named, ok } from "./_nodes.ts";

const RFC3339_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const INBOX_FIELDS = ["id", "type", "from", "hostname", "received_at", "bytes", "encoding", "data", "broadcast"];

Deno.test("send-message text, json and binary land in the inbox with the §9.2 fields, from the tunnel's peer", async () => {
  await using c = await named(["alice", "bob"]);
  const [a, b] = c.members;
  await makeTrust(a, b);
  const dir = `${c.root}/alice`;
  await Deno.mkdir(dir, { recursive: true });
  const binary = new Uint8Array([0xff, 0x00, 0xfe, 0x80, 0x41]);
  await Deno.writeFile(`${dir}/blob.bin`, binary);

  const text = ok(await cliJson(c, a, ["send-message", "bob", "--data", "hello bob"]));
  assert.deepEqual({ ...text, message_id: "" }, {
    target: b.node.address,
    type: "text",
    bytes: 9,
    message_id: "",
    ack: true,
  });
  // A payload that names another sender changes nothing: `from` is the authenticated tunnel peer.
  const forged = JSON.stringify({ from: "0:0000.0000.0999", hostname: "mallory", text: "hi" });
  const json = ok(await cliJson(c, a, ["send-message", b.node.address, "--type", "json", "--data", forged]));
  const bin = ok(
    await cliJson(c, a, ["send-message", String(b.node.nodeId), "--type", "binary", "--data-file", `${dir}/blob.bin`]),
  );

  const messages = await inbox(c, b);
  assert.deepEqual(messages.map((m) => m.id), [text.message_id, json.message_id, bin.message_id]);
  for (const m of messages) {
    assert.equal(m.from, a.node.address);
    assert.equal(m.hostname, "alice");
    assert.match(m.received_at, RFC3339_MS);
    assert.match(m.id, /^\d+-[a-z0-9]+$/);
    assert.equal(m.broadcast, null);
  }
  assert.deepEqual(messages.map((m) => [m.type, m.encoding, m.bytes, m.data]), [
    ["text", "utf8", 9, "hello bob"],
    ["json", "utf8", utf8(forged).length, forged],
    ["binary", "base64", 5, btoa(String.fromCharCode(...binary))],
  ]);
  // On disk: one file per message, the §9.2 keys in order, 0600 in a 0700 directory.
  const inboxDir = `${c.root}/bob/inbox`;
  assert.deepEqual(await dirNames(inboxDir), messages.map((m) => `${m.id}.json`).sort());
  const stored = JSON.parse(await Deno.readTextFile(`${inboxDir}/${json.message_id}.json`));
  assert.deepEqual(Object.keys(stored), INBOX_FIELDS);
  assert.equal((await Deno.stat(inboxDir)).mode! & 0o777, 0o700);
  assert.equal((await Deno.stat(`${inboxDir}/${json.message_id}.json`)).mode! & 0o777, 0o600);
  // Nothing was stored on the sender's side.
  assert.deepEqual(await inbox(c, a), []);
});

Deno.test("raw frames on port 1001: one ACK each in order, bad payloads refused and not stored", async () => {
  await using c = await named(["alice", "bob"]);
  const [a, b] = c.members;
  await makeTrust(a, b);
  const { sender, stream } = await exchange(a, b);
  try {
    assert.equal((await sender.sendMessage(FrameType.TEXT, utf8("one"))).status, "ok");
    const badUtf8 = await sender.sendMessage(FrameType.TEXT, new Uint8Array([0xc3, 0x28]));
    assert.deepEqual([badUtf8.seq, badUtf8.status, badUtf8.code], [2, "error", "invalid_payload"]);
    const badJson = await sender.sendMessage(FrameType.JSON, utf8("{nope"));
    assert.deepEqual([badJson.seq, badJson.code], [3, "invalid_payload"]);
    const unknown = await sender.sendMessage(99, utf8("??"));
    assert.deepEqual([unknown.seq, unknown.code], [4, "unsupported_type"]);
    // The framing survived all of it.
    const last = await sender.sendMessage(FrameType.BINARY, utf8("two"));
    assert.deepEqual([last.seq, last.status, last.type], [5, "ok", "binary"]);
    await sender.finish();
  } finally {
    await stream.close("both").catch(() => {});
  }
  assert.deepEqual((await inbox(c, b)).map((m) => m.data), ["one", "two"]);
});

Deno.test("pipelined frames on port 1001 are acknowledged in order and listed in arrival order", async () => {
  await using c = await named(["alice", "bob"]);
  const [a, b] = c.members;
  await makeTrust(a, b);
  const stream = await a.client.dialStream({ addr: b.node.address, port: 1001, timeout_ms: 10_000 });
  const service = webServiceStream(stream.readable, stream.writable);
  const burst = Array.from({ length: 200 }, (_, i) => `m${i}`);
  try {
    // Every frame in one write, before any ACK: many are stored within the same millisecond.
    await service.write(concatBytes(...burst.map((m) => encodeFrame(FrameType.TEXT, utf8(m)))));
    await service.closeWrite();
    const acks = new AckReader();
    const got: Ack[] = [];
    for (let i = 0; i < 10_000 && got.length < burst.length; i++) {
      const chunk = await service.read();
      if (chunk === null) break;
      acks.push(chunk);
      for (let ack = acks.next(); ack !== null; ack = acks.next()) got.push(ack);
    }
    assert.deepEqual(got.map((k) => [k.seq, k.status]), burst.map((_, i) => [i + 1, "ok"]));
    const listed = await inbox(c, b);
    assert.deepEqual(listed.map((m) => m.data), burst);
    assert.deepEqual(listed.map((m) => m.id), got.map((k) => k.message_id));
  } finally {
    await stream.close("both").catch(() => {});
  }
});

Deno.test("a 1 MiB message is stored; one byte more is refused too_large, the connection ends, nothing stored", async () => {
  await using c = await named(["alice", "bob"]);
  const [a, b] = c.members;
  await makeTrust(a, b);
  const limit = 1024 * 1024;
  const file = `${c.root}/limit.bin`;
  await Deno.writeFile(file, new Uint8Array(limit).fill(0x61));
  const sent = ok(await cliJson<{ bytes: number }>(c, a, ["send-message", "bob", "--data-file", file]));
  assert.equal(sent.bytes, limit);
  const stream = await a.client.dialStream({ addr: b.node.address, port: 1001, timeout_ms: 10_000 });
  const service = webServiceStream(stream.readable, stream.writable);
  try {
    // Only the header: the receiver refuses on the announced length, before any payload.
    const header = encodeFrame(FrameType.BINARY, new Uint8Array(0));
    new DataView(header.buffer).setUint32(4, limit + 1);
    await service.write(header);
    const acks = new AckReader();
    let ack: Ack | null = null;
    let eof = false;
    for (let i = 0; i < 100 && !eof; i++) {
      const chunk = await service.read();
      if (chunk === null) eof = true;
      else acks.push(chunk);
      ack ??= acks.next();
    }
    assert.deepEqual([ack?.seq, ack?.status, ack?.code, ack?.bytes], [1, "error", "too_large", limit + 1]);
    assert.ok(eof, "the receiver ends the connection");
  } finally {
    await stream.close("both").catch(() => {});
  }
  const messages = await inbox(c, b);
  assert.deepEqual(messages.map((m) => m.bytes), [limit]);
});

Deno.test("an untrusted node reaches neither port 1001 nor 1002; send-message says unauthorized", async () => {
  await using c = await named(["alice", "bob", "mallory"]);
  const [a, b, m] = c.members;
  await makeTrust(a, b);
  for (const port of [1001, 1002]) {
    await assert.rejects(() => m.client.request("dial", { addr: b.node.address, port, timeout_ms: 5_000 }), {
      code: "unauthorized",
    });
  }
  const refused = await cliJson(c, m, ["send-message", b.node.address, "--data", "let me in"]);
  assert.equal(refused.code, 1);
  assert.equal(refused.error?.code, "unauthorized");
  assert.equal(refused.error?.hint, `pilotctl handshake ${b.node.address}`);
  assert.deepEqual(await inbox(c, b), []);
});

Deno.test("webhooks: set-webhook applies live; handshake.*, message.received and file.received arrive signed", async () => {
  await using hook = hookServer();
  await using c = await named(["alice", "bob"]);
  const [a, b] = c.members;
  const secret = "s3cret";
  const set = ok(await cliJson(c, b, ["set-webhook", hook.url, "--secret", secret]));
  assert.deepEqual(set, { webhook: hook.url, applied: true });
  assert.equal(b.node.parts.services.webhooks.target.url, hook.url);

  await makeTrust(a, b);
  const received = await hook.waitFor("handshake.received");
  const pending = await hook.waitFor("handshake.pending");
  const approved = await hook.waitFor("handshake.approved");
  for (const h of [received, pending]) {
    assert.deepEqual(h.json.data, { peer_node_id: a.node.nodeId, justification: "test" });
  }
  assert.equal(approved.json.data.peer_node_id, a.node.nodeId);

  ok(await cliJson(c, a, ["send-message", b.node.address, "--data", "ping"]));
  const msg = await hook.waitFor("message.received");
  assert.deepEqual(msg.json.data, { type: "text", from: a.node.address, size: 4 });
  assert.deepEqual(Object.keys(msg.json), ["event", "id", "node_id", "address", "timestamp", "data"]);
  assert.deepEqual([msg.json.node_id, msg.json.address], [b.node.nodeId, b.node.address]);
  assert.match(msg.json.timestamp, RFC3339_MS);
  // A file: file.received names it and where it is; an empty file is a file too.
  await Deno.writeTextFile(`${c.root}/report.txt`, "quarterly numbers");
  await Deno.writeFile(`${c.root}/empty.txt`, new Uint8Array(0));
  for (const name of ["report.txt", "empty.txt"]) {
    assert.equal(ok(await cliJson<{ ack: boolean }>(c, a, ["send-file", "bob", `${c.root}/${name}`])).ack, true);
  }
  await b.node.parts.services.webhooks.idle();
  const files = hook.hits.filter((h) => h.event === "file.received").map((h) => h.json.data);
  const receivedDir = `${c.root}/bob/received`;
  assert.deepEqual(files, [
    { type: "file", from: a.node.address, size: 17, filename: "report.txt", path: `${receivedDir}/report.txt` },
    { type: "file", from: a.node.address, size: 0, filename: "empty.txt", path: `${receivedDir}/empty.txt` },
  ]);
  assert.equal(await Deno.readTextFile(`${receivedDir}/report.txt`), "quarterly numbers");
  assert.equal((await Deno.stat(`${receivedDir}/empty.txt`)).size, 0);
  for (const h of hook.hits) {
    assert.equal(h.signature, `sha256=${toHex(hmacSha256(utf8(secret), utf8(h.body)))}`, h.event);
  }

  // clear-webhook stops deliveries at once.
  assert.deepEqual(ok(await cliJson(c, b, ["clear-webhook"])), { webhook: "", applied: true });
  const before = hook.hits.length;
  ok(await cliJson(c, a, ["send-message", b.node.address, "--data", "quiet"]));
  await b.node.parts.services.webhooks.idle();
  assert.equal(hook.hits.length, before);
  assert.equal((await inbox(c, b)).length, 2);
});

Deno.test("webhooks: a stream to bob's echo port is reported as conn.syn_received, conn.established, conn.fin", async () => {
  await using hook = hookServer();
  await using c = await named(["alice", "bob"]);
  const [a, b] = c.members;
  ok(await cliJson(c, b, ["set-webhook", hook.url]));
  await makeTrust(a, b);

  const stream = await a.client.dialStream({ addr: b.node.address, port: 7 });
  const writer = stream.writable.getWriter();
  await writer.write(utf8("hello"));
  await writer.close();
  const reader = stream.readable.getReader();
  while (!(await reader.read()).done);
  const fin = await hook.waitFor("conn.fin");
  const seen = hook.hits.filter((h) => h.event.startsWith("conn.") && h.json.data.local_port === 7);
  assert.deepEqual(seen.map((h) => h.event), ["conn.syn_received", "conn.established", "conn.fin"]);
  const data = fin.json.data;
  assert.deepEqual(Object.keys(data).sort(), ["conn_id", "local_port", "remote_addr", "remote_port"]);
  assert.equal(data.remote_addr, a.node.address);
  assert.ok(Number(data.remote_port) >= 49_152, "an ephemeral port");
  assert.ok(seen.every((h) => h.json.data.conn_id === data.conn_id), "one connection id throughout");
});
