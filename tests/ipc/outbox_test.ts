// Credit accounting of daemon → client data (PROTOCOL-BRIEF §8.2): StreamOutbox (recv bytes) and DatagramOutbox
// (recvfrom datagrams).
import assert from "node:assert/strict";
import { decodeIpcFrame, IPC_STREAM_DATA_MAX_BYTES, type IpcFrame } from "../../src/wire/ipc_frame.ts";
import { parseJsonBody } from "../../src/wire/registry_frame.ts";
import { DatagramOutbox, StreamOutbox } from "../../src/ipc/outbox.ts";
import { DATAGRAM_QUEUE_MAX } from "../../src/ipc/constants.ts";
import { encodeEvent } from "../../src/ipc/protocol.ts";
import { ConnectionFailedError } from "../../src/util/errors.ts";

/** Frames as the writer would see them (without the 4-byte length). */
function collector(): { frames: IpcFrame[]; write: (f: Uint8Array) => Promise<void> } {
  const frames: IpcFrame[] = [];
  return {
    frames,
    write: (f) => {
      frames.push(decodeIpcFrame(f.subarray(4)));
      return Promise.resolve();
    },
  };
}

function dataBytes(frames: IpcFrame[]): number {
  let n = 0;
  for (const f of frames) if (f.kind === "stream_data") n += f.data.length;
  return n;
}

Deno.test("StreamOutbox sends nothing without credit and exactly the credit when granted", async () => {
  const { frames, write } = collector();
  const box = new StreamOutbox(7, write);
  let delivered = false;
  const pushed = box.push(new Uint8Array(10_000).fill(1)).then(() => delivered = true);
  assert.equal(frames.length, 0);
  assert.equal(box.pendingBytes, 10_000);
  box.grant(3_000);
  assert.equal(dataBytes(frames), 3_000);
  assert.equal(box.credit, 0);
  await Promise.resolve();
  assert.equal(delivered, false);
  box.grant(50_000);
  await pushed;
  assert.equal(dataBytes(frames), 10_000);
  assert.equal(box.credit, 43_000);
  for (const f of frames) {
    assert.equal(f.kind, "stream_data");
    if (f.kind === "stream_data") {
      assert.equal(f.id, 0);
      assert.equal(f.conn, 7);
    }
  }
});

Deno.test("StreamOutbox splits data larger than one frame", () => {
  const { frames, write } = collector();
  const box = new StreamOutbox(1, write);
  box.grant(4 * 1_048_576);
  const p = box.push(new Uint8Array(IPC_STREAM_DATA_MAX_BYTES + 5));
  assert.equal(frames.length, 2);
  assert.equal(dataBytes(frames), IPC_STREAM_DATA_MAX_BYTES + 5);
  return p;
});

Deno.test("StreamOutbox keeps an event behind the data pushed before it", async () => {
  const { frames, write } = collector();
  const box = new StreamOutbox(3, write);
  const data = box.push(new Uint8Array(100));
  const eof = box.pushFrame(encodeEvent("eof", { conn: 3 }));
  assert.equal(frames.length, 0, "the event waits for the data, which waits for credit");
  box.grant(60);
  box.grant(40);
  await Promise.all([data, eof]);
  assert.deepEqual(frames.map((f) => f.kind), ["stream_data", "stream_data", "json"]);
  const last = frames[2];
  assert.ok(last.kind === "json");
  const parsed = parseJsonBody(last.body);
  assert.ok(parsed.ok);
  assert.deepEqual(parsed.value, { conn: 3, event: "eof" });
});

Deno.test("StreamOutbox.discard() rejects pending pushes and later ones", async () => {
  const { write } = collector();
  const box = new StreamOutbox(3, write);
  const pending = box.push(new Uint8Array(5));
  const err = new ConnectionFailedError("gone", { detail: "ipc_closed" });
  box.discard(err);
  await assert.rejects(pending, (e) => e === err);
  await assert.rejects(box.push(new Uint8Array(1)), (e) => e === err);
  assert.equal(box.pendingBytes, 0);
});

Deno.test("StreamOutbox resolves an empty push at once without a frame", async () => {
  const { frames, write } = collector();
  const box = new StreamOutbox(3, write);
  await box.push(new Uint8Array(0));
  assert.equal(frames.length, 0);
});

const dg = (n: number) => ({
  localPort: 9,
  remote: { network: 0, node: 0x105 },
  remotePort: 40,
  data: Uint8Array.of(n),
});

Deno.test("DatagramOutbox holds datagrams until recvfrom credit, then sends one per credit", () => {
  const sent: IpcFrame[] = [];
  const box = new DatagramOutbox(9, (f) => sent.push(decodeIpcFrame(f.subarray(4))));
  for (let i = 0; i < 5; i++) assert.equal(box.push(dg(i)), true);
  assert.equal(sent.length, 0);
  box.grant(2);
  assert.equal(sent.length, 2);
  box.grant(10);
  assert.equal(sent.length, 5);
  assert.equal(box.credit, 7);
  assert.deepEqual(sent.map((f) => f.kind === "datagram" ? f.data[0] : -1), [0, 1, 2, 3, 4]);
  const first = sent[0];
  assert.ok(first.kind === "datagram");
  assert.equal(first.id, 0);
  assert.equal(first.localPort, 9);
  assert.deepEqual(first.remote, { network: 0, node: 0x105 });
  assert.equal(first.remotePort, 40);
});

Deno.test("DatagramOutbox drops datagrams beyond its backlog and after discard()", () => {
  const box = new DatagramOutbox(9, () => {});
  for (let i = 0; i < DATAGRAM_QUEUE_MAX; i++) assert.equal(box.push(dg(i)), true);
  assert.equal(box.push(dg(0)), false);
  assert.equal(box.backlog, DATAGRAM_QUEUE_MAX);
  box.discard();
  assert.equal(box.push(dg(0)), false);
});
