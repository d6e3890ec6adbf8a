// The data exchange service, files (PROTOCOL-BRIEF §9.2): streamed to an exclusive .partial-*, hashed, published
// under the sanitised collision-free name only when complete and verified; size, quota and checksum refusals leave
// nothing behind; an aborted transfer never shows under a final name.
import assert from "node:assert/strict";
import { DataExchangeSender } from "../../../src/daemon/services/data_exchange_client.ts";
import { encodeFileFrameStart, FrameType } from "../../../src/daemon/services/data_exchange_codec.ts";
import { PARTIAL_PREFIX } from "../../../src/daemon/services/mailbox_received.ts";
import { toHex, utf8 } from "../../../src/util/bytes.ts";
import { ALICE, chunksOf, exchangeEnv, sha256 } from "./_exchange.ts";
import { readAll } from "./_pipe.ts";

function content(n: number): Uint8Array {
  return new Uint8Array(n).map((_, i) => (i * 31 + 7) & 0xff);
}

/** Polls (bounded) until `check` holds; the service works asynchronously behind the pipe. */
async function eventually(check: () => Promise<boolean>, what: string): Promise<void> {
  const until = performance.now() + 2_000;
  while (performance.now() < until) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 2));
  }
  throw new Error(`timed out waiting for ${what}`);
}

Deno.test("a file is stored under its sanitised name with the announced sha256, mode 0600, in a 0700 dir", async () => {
  await using env = await exchangeEnv();
  const data = content(5000);
  const { client, served } = env.connect(ALICE, { chunkBytes: 333 });
  const sender = new DataExchangeSender(client, ALICE.address);
  const progress: number[] = [];
  const ack = await sender.sendFile(
    { name: "../../etc/report.pdf", size: data.length, sha256: sha256(data), content: chunksOf(data, 1024) },
    (n) => progress.push(n),
  );
  assert.deepEqual(ack, {
    seq: 1,
    status: "ok",
    type: "file",
    bytes: 5000,
    stored: "report.pdf",
    sha256: toHex(sha256(data)),
  });
  assert.equal(progress[progress.length - 1], 5000);
  await sender.finish();
  await served;
  const path = `${env.root}/received/report.pdf`;
  assert.deepEqual(await Deno.readFile(path), data);
  assert.deepEqual(await env.receivedNames(), ["report.pdf"]);
  if (Deno.build.os !== "windows") {
    assert.equal((await Deno.stat(path)).mode! & 0o777, 0o600);
    assert.equal((await Deno.stat(`${env.root}/received`)).mode! & 0o777, 0o700);
  }
  assert.deepEqual(env.hooks, [["file.received", {
    type: "file",
    from: ALICE.address,
    size: 5000,
    filename: "report.pdf",
    path,
  }]]);
});

Deno.test("name collisions get -1, -2 before the extension and never replace a file", async () => {
  await using env = await exchangeEnv();
  const { client } = env.connect();
  const sender = new DataExchangeSender(client, "x");
  const stored: string[] = [];
  for (let i = 0; i < 3; i++) {
    const data = utf8(`version ${i}`);
    const ack = await sender.sendFile({
      name: "notes.txt",
      size: data.length,
      sha256: sha256(data),
      content: chunksOf(data, 4),
    });
    stored.push(ack.stored ?? "");
  }
  await sender.finish();
  assert.deepEqual(stored, ["notes.txt", "notes-1.txt", "notes-2.txt"]);
  assert.equal(await Deno.readTextFile(`${env.root}/received/notes.txt`), "version 0");
  assert.equal(await Deno.readTextFile(`${env.root}/received/notes-2.txt`), "version 2");
});

Deno.test("a symbolic link in received/ is never written through", async () => {
  if (Deno.build.os === "windows") return;
  await using env = await exchangeEnv();
  const outside = `${env.root}/outside.txt`;
  await Deno.writeTextFile(outside, "keep me");
  await Deno.symlink(outside, `${env.root}/received/target.txt`);
  const { client } = env.connect();
  const sender = new DataExchangeSender(client, "x");
  const data = utf8("overwrite?");
  const ack = await sender.sendFile({
    name: "target.txt",
    size: data.length,
    sha256: sha256(data),
    content: chunksOf(data, 64),
  });
  await sender.finish();
  assert.equal(ack.stored, "target-1.txt");
  assert.equal(await Deno.readTextFile(outside), "keep me");
});

Deno.test("a checksum mismatch deletes the partial, ACKs checksum_mismatch, and the connection goes on", async () => {
  await using env = await exchangeEnv();
  const { client } = env.connect();
  const sender = new DataExchangeSender(client, "x");
  const data = content(2000);
  const wrong = sha256(utf8("something else"));
  const ack = await sender.sendFile({ name: "x.bin", size: data.length, sha256: wrong, content: chunksOf(data, 500) });
  assert.deepEqual([ack.status, ack.code, ack.type, ack.bytes], ["error", "checksum_mismatch", "file", 2000]);
  assert.deepEqual(await env.receivedNames(), []);
  const next = await sender.sendMessage(FrameType.TEXT, utf8("after"));
  assert.deepEqual([next.seq, next.status], [2, "ok"]);
  await sender.finish();
  assert.equal(env.received.reservedBytes, 0);
});

Deno.test("a file over max_file_size is refused before any byte is stored, and the connection ends", async () => {
  await using env = await exchangeEnv({ maxFileBytes: 1000 });
  const { client, served } = env.connect();
  const sender = new DataExchangeSender(client, "x");
  const data = content(1001);
  const ack = await sender.sendFile({
    name: "big.bin",
    size: data.length,
    sha256: sha256(data),
    content: chunksOf(data, 100),
  });
  assert.deepEqual(ack, {
    seq: 1,
    status: "error",
    type: "file",
    bytes: 1001,
    code: "too_large",
    message: "file too large for receiver (limit 1000 bytes)",
  });
  await readAll(client);
  await served;
  assert.deepEqual(await env.receivedNames(), []);
});

Deno.test("a file over the received/ quota is refused with quota_exceeded and leaves nothing", async () => {
  await using env = await exchangeEnv({ quotaBytes: 3000 });
  await Deno.writeFile(`${env.root}/received/old.bin`, content(2500));
  const { client, served } = env.connect();
  const sender = new DataExchangeSender(client, "x");
  const data = content(600);
  const ack = await sender.sendFile({
    name: "new.bin",
    size: data.length,
    sha256: sha256(data),
    content: chunksOf(data, 100),
  });
  assert.deepEqual([ack.status, ack.code], ["error", "quota_exceeded"]);
  assert.match(ack.message ?? "", /quota exceeded \(limit 3000 bytes\)/);
  await readAll(client);
  await served;
  assert.deepEqual(await env.receivedNames(), ["old.bin"]);
  assert.equal(env.received.reservedBytes, 0);
});

Deno.test("concurrent transfers reserve quota: the second one that would not fit is refused", async () => {
  await using env = await exchangeEnv({ quotaBytes: 1000 });
  const a = env.connect();
  const b = env.connect();
  // A announces 600 bytes and sends half; its reservation holds while B asks for 600 more.
  const dataA = content(600);
  await a.client.write(encodeFileFrameStart("a.bin", sha256(dataA), 600));
  await a.client.write(dataA.subarray(0, 300));
  await eventually(() => Promise.resolve(env.received.reservedBytes === 600), "A's reservation");
  const senderB = new DataExchangeSender(b.client, "x");
  const dataB = content(600);
  const ackB = await senderB.sendFile({
    name: "b.bin",
    size: 600,
    sha256: sha256(dataB),
    content: chunksOf(dataB, 100),
  });
  assert.equal(ackB.code, "quota_exceeded");
  await a.client.write(dataA.subarray(300));
  await a.client.closeWrite();
  await readAll(a.client);
  await readAll(b.client);
  await Promise.all([a.served, b.served]);
  assert.deepEqual(await env.receivedNames(), ["a.bin"]);
});

Deno.test("while a file streams, only a .partial- file exists; an abort mid-file removes it", async () => {
  await using env = await exchangeEnv();
  const data = content(4000);
  const { client, served } = env.connect();
  await client.write(encodeFileFrameStart("secret.txt", sha256(data), data.length));
  await client.write(data.subarray(0, 2000));
  await eventually(async () => (await env.receivedNames()).some((n) => n.startsWith(PARTIAL_PREFIX)), "the partial");
  const names = await env.receivedNames();
  assert.equal(names.length, 1);
  assert.ok(names[0].startsWith(PARTIAL_PREFIX));
  if (Deno.build.os !== "windows") {
    assert.equal((await Deno.stat(`${env.root}/received/${names[0]}`)).mode! & 0o777, 0o600);
  }
  assert.deepEqual(await env.received.list(), []);
  client.abort();
  await served;
  assert.deepEqual(await env.receivedNames(), []);
  assert.equal(env.received.reservedBytes, 0);
});

Deno.test("end of stream inside a file removes the partial and stores nothing", async () => {
  await using env = await exchangeEnv();
  const data = content(1000);
  const { client, served } = env.connect();
  await client.write(encodeFileFrameStart("cut.bin", sha256(data), data.length));
  await client.write(data.subarray(0, 999));
  await client.closeWrite();
  assert.equal((await readAll(client)).length, 0);
  await served;
  assert.deepEqual(await env.receivedNames(), []);
});

Deno.test("start() removes partial files a crash left behind; listings ignore them", async () => {
  await using env = await exchangeEnv();
  await Deno.writeTextFile(`${env.root}/received/.partial-abc`, "half");
  await Deno.writeTextFile(`${env.root}/received/done.txt`, "whole");
  assert.deepEqual((await env.received.list()).map((f) => f.name), ["done.txt"]);
  await env.service.start();
  assert.deepEqual(await env.receivedNames(), ["done.txt"]);
});

Deno.test("an empty file is stored", async () => {
  await using env = await exchangeEnv();
  const { client } = env.connect();
  const sender = new DataExchangeSender(client, "x");
  const empty = new Uint8Array(0);
  const ack = await sender.sendFile({ name: "empty", size: 0, sha256: sha256(empty), content: chunksOf(empty, 1) });
  await sender.finish();
  assert.deepEqual([ack.status, ack.stored, ack.bytes], ["ok", "empty", 0]);
  assert.equal((await Deno.stat(`${env.root}/received/empty`)).size, 0);
});
