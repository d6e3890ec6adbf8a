// bridge(): a real loopback TCP connection on one side, the in-memory stream pair on the other. Data both ways,
// half-close in each order, backpressure in each direction with a slow reader, and aborts (stream reset, TCP reset,
// signal).
import assert from "node:assert/strict";
import { bridge, BRIDGE_CHUNK_BYTES } from "../../src/gateway/mod.ts";
import { type MemoryStreamEnd, memoryStreamPair } from "./memory_stream.ts";

const WINDOW_BYTES = 65_536;

/** Deterministic bytes whose value depends on the offset, so loss, duplication and reordering all show. */
function pattern(n: number, seed = 0): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (i * 31 + (i >>> 9) + seed) & 0xff;
  return out;
}

async function tcpPair(): Promise<{ client: Deno.TcpConn; server: Deno.TcpConn }> {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const [client, server] = await Promise.all([
    Deno.connect({ hostname: "127.0.0.1", port: (listener.addr as Deno.NetAddr).port }),
    listener.accept(),
  ]);
  return { client, server };
}

async function readConnToEnd(conn: Deno.Conn, maxBytes: number): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let total = 0;
  const buf = new Uint8Array(65_536);
  while (total <= maxBytes) {
    const n = await conn.read(buf);
    if (n === null) break;
    parts.push(buf.slice(0, n));
    total += n;
  }
  return join(parts, total);
}

async function readStreamToEnd(end: MemoryStreamEnd, maxBytes: number): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let total = 0;
  const reader = end.readable.getReader();
  try {
    while (total <= maxBytes) {
      const r = await reader.read();
      if (r.done) break;
      parts.push(r.value);
      total += r.value.length;
    }
  } finally {
    reader.releaseLock();
  }
  return join(parts, total);
}

function join(parts: Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

async function writeStream(end: MemoryStreamEnd, data: Uint8Array, close: boolean): Promise<void> {
  const writer = end.writable.getWriter();
  for (let offset = 0; offset < data.length; offset += 50_000) {
    await writer.write(data.subarray(offset, offset + 50_000));
  }
  if (close) await writer.close();
  writer.releaseLock();
}

async function writeConn(conn: Deno.Conn, data: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < data.length) offset += await conn.write(data.subarray(offset));
}

/** Lets other tasks run: the slow reader's pace, not a synchronisation. */
function yieldTask(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

Deno.test("bridge() carries bytes both ways and closes both sides after both FINs", async () => {
  const { client, server } = await tcpPair();
  const [near, far] = memoryStreamPair(WINDOW_BYTES);
  const done = bridge(server, near);
  const up = pattern(300_000, 1);
  const down = pattern(200_000, 2);
  const [fromClient, fromFar] = await Promise.all([
    readStreamToEnd(far, up.length),
    readConnToEnd(client, down.length),
    writeConn(client, up).then(() => client.closeWrite()),
    writeStream(far, down, true),
  ]);
  const result = await done;
  client.close();
  assert.deepEqual(fromClient, up);
  assert.deepEqual(fromFar, down);
  assert.equal(result.outcome, "closed");
  assert.equal(result.bytesToStream, up.length);
  assert.equal(result.bytesToTcp, down.length);
  assert.deepEqual(near.closes, ["write", "both"]);
});

Deno.test("bridge() keeps the reply path open after the TCP client's FIN", async () => {
  const { client, server } = await tcpPair();
  const [near, far] = memoryStreamPair(WINDOW_BYTES);
  const done = bridge(server, near);
  await writeConn(client, new TextEncoder().encode("request"));
  await client.closeWrite();
  // The far end sees the whole request and its end before it answers.
  assert.equal(new TextDecoder().decode(await readStreamToEnd(far, 100)), "request");
  const reply = pattern(1_000_000, 3);
  const [received] = await Promise.all([readConnToEnd(client, reply.length), writeStream(far, reply, true)]);
  assert.deepEqual(received, reply);
  assert.equal((await done).outcome, "closed");
  client.close();
});

Deno.test("bridge() keeps the TCP client's path open after the stream's FIN", async () => {
  const { client, server } = await tcpPair();
  const [near, far] = memoryStreamPair(WINDOW_BYTES);
  const done = bridge(server, near);
  await writeStream(far, new TextEncoder().encode("banner"), true);
  // The client sees the banner, then EOF, while its own direction stays open.
  assert.equal(new TextDecoder().decode(await readConnToEnd(client, 100)), "banner");
  const upload = pattern(1_000_000, 4);
  const [received] = await Promise.all([
    readStreamToEnd(far, upload.length),
    writeConn(client, upload).then(() => client.closeWrite()),
  ]);
  assert.deepEqual(received, upload);
  assert.equal((await done).outcome, "closed");
  client.close();
});

Deno.test("bridge() reads TCP no faster than the stream side drains (TCP → stream backpressure)", async () => {
  const { client, server } = await tcpPair();
  const [near, far] = memoryStreamPair(WINDOW_BYTES);
  const done = bridge(server, near);
  const upload = pattern(8_000_000, 5);
  const sending = writeConn(client, upload).then(() => client.closeWrite());
  const reader = far.readable.getReader();
  const parts: Uint8Array[] = [];
  let total = 0;
  let maxBuffered = 0;
  for (let i = 0; i < upload.length; i++) {
    const r = await reader.read();
    if (r.done) break;
    parts.push(r.value);
    total += r.value.length;
    maxBuffered = Math.max(maxBuffered, near.accepted - total);
    await yieldTask();
  }
  reader.releaseLock();
  await sending;
  await writeStream(far, new Uint8Array(0), true);
  assert.equal((await done).outcome, "closed");
  client.close();
  assert.deepEqual(join(parts, total), upload);
  // What the bridge accepted from TCP but the slow reader has not taken: the two windows and one read, not megabytes.
  assert.ok(maxBuffered <= 2 * WINDOW_BYTES + 2 * BRIDGE_CHUNK_BYTES, `buffered ${maxBuffered} bytes`);
});

Deno.test("bridge() reads the stream no faster than the TCP client drains (stream → TCP backpressure)", async () => {
  const { client, server } = await tcpPair();
  const [near, far] = memoryStreamPair(WINDOW_BYTES);
  const done = bridge(server, near);
  const download = pattern(32_000_000, 6);
  const sending = writeStream(far, download, true);
  const buf = new Uint8Array(65_536);
  const received = new Uint8Array(download.length);
  let total = 0;
  let maxInFlight = 0;
  for (let i = 0; i < download.length && total < download.length; i++) {
    const n = await client.read(buf);
    if (n === null) break;
    received.set(buf.subarray(0, n), total);
    total += n;
    // Taken off the stream by the bridge but not yet read by the client: at most the kernel's socket buffers.
    maxInFlight = Math.max(maxInFlight, far.deliveredToPeer - total);
    await yieldTask();
  }
  await sending;
  await client.closeWrite();
  assert.equal((await done).outcome, "closed");
  client.close();
  assert.equal(total, download.length);
  assert.deepEqual(received, download);
  assert.ok(maxInFlight < 16_000_000, `in flight ${maxInFlight} bytes`);
});

Deno.test("bridge() aborts both sides when the stream is reset", async () => {
  const { client, server } = await tcpPair();
  const [near, far] = memoryStreamPair(WINDOW_BYTES);
  const done = bridge(server, near);
  await writeStream(far, new TextEncoder().encode("partial"), false);
  const got = new Uint8Array(7);
  let n = 0;
  for (let i = 0; i < 7 && n < 7; i++) n += await client.read(got.subarray(n)) ?? 7;
  far.reset();
  const result = await done;
  assert.equal(result.outcome, "failed");
  assert.ok(near.closes.includes("abort"));
  // The TCP client sees its connection end (EOF or reset), not a hang.
  const end = await client.read(new Uint8Array(16)).catch(() => null);
  assert.equal(end, null);
  client.close();
});

Deno.test("bridge() aborts the stream when the TCP client is gone and data still flows to it", async () => {
  const { client, server } = await tcpPair();
  const [near, far] = memoryStreamPair(WINDOW_BYTES);
  const done = bridge(server, near);
  client.close();
  // A vanished client looks like a FIN until the bridge writes to it: the write fails and the stream is reset.
  const writer = far.writable.getWriter();
  let refused = false;
  for (let i = 0; i < 10_000 && !refused; i++) {
    await writer.write(pattern(10_000, i)).catch(() => refused = true);
  }
  const result = await done;
  assert.ok(refused, "the far end's writes were never refused");
  assert.equal(result.outcome, "failed");
  assert.ok(near.closes.includes("abort"));
});

Deno.test("bridge() tears both sides down when its signal aborts", async () => {
  const { client, server } = await tcpPair();
  const [near, far] = memoryStreamPair(WINDOW_BYTES);
  const stop = new AbortController();
  const done = bridge(server, near, { signal: stop.signal });
  await writeConn(client, new TextEncoder().encode("x"));
  assert.equal((await far.readable.getReader().read()).value?.length, 1);
  stop.abort();
  const result = await done;
  assert.equal(result.outcome, "aborted");
  assert.deepEqual(near.closes, ["abort"]);
  assert.equal(await client.read(new Uint8Array(4)).catch(() => null), null);
  client.close();
});

Deno.test("bridge() with an already-aborted signal closes both sides at once", async () => {
  const { client, server } = await tcpPair();
  const [near] = memoryStreamPair(WINDOW_BYTES);
  const result = await bridge(server, near, { signal: AbortSignal.abort() });
  assert.equal(result.outcome, "aborted");
  assert.deepEqual(near.closes, ["abort"]);
  assert.equal(await client.read(new Uint8Array(4)).catch(() => null), null);
  client.close();
});
