// Data exchange frames (PROTOCOL-BRIEF §9.2): encoders, the ACK codec, the incremental reader over split and
// coalesced chunks, every bound checked before allocation, and fuzzing that yields only DataFrameError.
import assert from "node:assert/strict";
import { AckReader } from "../../../src/daemon/services/data_exchange_client.ts";
import {
  type Ack,
  DataFrameError,
  decodeAck,
  decodeBroadcastPayload,
  encodeAck,
  encodeBroadcastPayload,
  encodeFileFrameStart,
  encodeFrame,
  encodeFrameHeader,
  FRAME_HEADER_BYTES,
  FrameType,
  MAX_MESSAGE_BYTES,
} from "../../../src/daemon/services/data_exchange_codec.ts";
import { type DataEvent, DataFrameReader } from "../../../src/daemon/services/data_exchange_reader.ts";
import { concatBytes, utf8 } from "../../../src/util/bytes.ts";
import { withSeed } from "../../_support/prng.ts";

const MAX_FILE = 1000;

function drain(reader: DataFrameReader): DataEvent[] {
  const out: DataEvent[] = [];
  for (let i = 0; i < 100_000; i++) {
    const ev = reader.next();
    if (ev === null) return out;
    out.push(ev.kind === "file_data" ? { kind: "file_data", bytes: ev.bytes.slice() } : ev);
  }
  throw new Error("reader did not stop");
}

/** Feeds `bytes` in chunks of `size` and collects every event. */
function feed(bytes: Uint8Array, size: number, maxFileBytes = MAX_FILE): DataEvent[] {
  const reader = new DataFrameReader({ maxFileBytes });
  const out: DataEvent[] = [];
  for (let off = 0; off < bytes.length; off += size) {
    reader.push(bytes.subarray(off, off + size));
    out.push(...drain(reader));
  }
  return out;
}

/** Joins file_data events so chunking does not change the comparison. */
function normalise(events: DataEvent[]): unknown[] {
  const out: unknown[] = [];
  for (const ev of events) {
    const last = out[out.length - 1] as { kind: string; bytes: Uint8Array } | undefined;
    if (ev.kind === "file_data" && last?.kind === "file_data") last.bytes = concatBytes(last.bytes, ev.bytes);
    else out.push(ev.kind === "file_data" ? { kind: "file_data", bytes: ev.bytes } : ev);
  }
  return out;
}

Deno.test("encodeFrame() writes type u32 and length u32 big-endian", () => {
  assert.deepEqual(
    encodeFrame(FrameType.TEXT, utf8("hi")),
    new Uint8Array([0, 0, 0, 1, 0, 0, 0, 2, 0x68, 0x69]),
  );
  assert.deepEqual(encodeFrameHeader(0xdeadbeef, 0x01020304), new Uint8Array([0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4]));
});

Deno.test("encodeFileFrameStart() lays out name_len, name and sha256 and counts the content in the length", () => {
  const sha = new Uint8Array(32).fill(7);
  const start = encodeFileFrameStart("a.txt", sha, 10);
  const view = new DataView(start.buffer);
  assert.equal(view.getUint32(0), FrameType.FILE);
  assert.equal(view.getUint32(4), 2 + 5 + 32 + 10);
  assert.equal(view.getUint16(8), 5);
  assert.deepEqual(start.subarray(10, 15), utf8("a.txt"));
  assert.deepEqual(start.subarray(15), sha);
  assert.throws(() => encodeFileFrameStart("", sha, 1), DataFrameError);
  assert.throws(() => encodeFileFrameStart("x".repeat(256), sha, 1), DataFrameError);
  assert.throws(() => encodeFileFrameStart("a", new Uint8Array(31), 1), DataFrameError);
});

Deno.test("broadcast payloads round-trip and a short one is refused", () => {
  const p = encodeBroadcastPayload(7, "hello");
  assert.deepEqual(p.subarray(0, 2), new Uint8Array([0, 7]));
  const d = decodeBroadcastPayload(p);
  assert.equal(d.network, 7);
  assert.deepEqual(d.text, utf8("hello"));
  assert.throws(() => decodeBroadcastPayload(new Uint8Array([1])), DataFrameError);
});

Deno.test("encodeAck() writes the §9.2 keys in order and decodeAck() reads them back", () => {
  const ok: Ack = { seq: 1, status: "ok", type: "text", bytes: 9, message_id: "1748779204217-k3v9q2" };
  const frame = encodeAck(ok);
  assert.equal(new DataView(frame.buffer).getUint32(0), FrameType.ACK);
  const json = new TextDecoder().decode(frame.subarray(FRAME_HEADER_BYTES));
  assert.equal(json, '{"seq":1,"status":"ok","type":"text","bytes":9,"message_id":"1748779204217-k3v9q2"}');
  assert.deepEqual(decodeAck(frame.subarray(FRAME_HEADER_BYTES)), ok);
  const file: Ack = { seq: 2, status: "ok", type: "file", bytes: 3, stored: "a.txt", sha256: "ab".repeat(32) };
  assert.deepEqual(decodeAck(encodeAck(file).subarray(FRAME_HEADER_BYTES)), file);
  const err: Ack = { seq: 3, status: "error", type: "file", bytes: 5, code: "too_large", message: "m" };
  assert.equal(
    new TextDecoder().decode(encodeAck(err).subarray(FRAME_HEADER_BYTES)),
    '{"seq":3,"status":"error","type":"file","bytes":5,"code":"too_large","message":"m"}',
  );
});

Deno.test("decodeAck() rejects malformed ACKs with DataFrameError", () => {
  const bad = [
    "not json",
    "[]",
    "null",
    '{"seq":0,"status":"ok","type":"text","bytes":1}',
    '{"seq":1,"status":"maybe","type":"text","bytes":1}',
    '{"seq":1,"status":"ok","type":"video","bytes":1}',
    '{"seq":1,"status":"ok","type":"text","bytes":-1}',
    '{"seq":1,"status":"ok","type":"text","bytes":1,"stored":5}',
    '{"seq":1,"status":"error","type":"text","bytes":1,"code":7}',
  ];
  for (const text of bad) assert.throws(() => decodeAck(utf8(text)), DataFrameError, text);
  assert.throws(() => decodeAck(new Uint8Array([0xff, 0xfe])), DataFrameError);
  // An unknown code from a newer peer is kept as an error.
  assert.equal(decodeAck(utf8('{"seq":1,"status":"error","type":"text","bytes":1,"code":"new"}')).code, "internal");
});

Deno.test("DataFrameReader yields the same events however the bytes are split or coalesced", () => {
  const sha = new Uint8Array(32).fill(1);
  const content = new Uint8Array(300).map((_, i) => i & 0xff);
  const stream = concatBytes(
    encodeFrame(FrameType.TEXT, utf8("hello")),
    encodeFrame(FrameType.JSON, utf8('{"a":1}')),
    encodeFileFrameStart("f.bin", sha, content.length),
    content,
    encodeFrame(99, new Uint8Array(17)),
    encodeFrame(FrameType.BINARY, new Uint8Array(0)),
    encodeFrame(FrameType.BROADCAST, encodeBroadcastPayload(3, "b")),
  );
  const expected = normalise(feed(stream, stream.length));
  assert.deepEqual(expected.map((e) => (e as { kind: string }).kind), [
    "message",
    "message",
    "file_start",
    "file_data",
    "file_end",
    "skipped",
    "message",
    "message",
  ]);
  for (const size of [1, 2, 3, 7, 8, 9, 64, 1000]) assert.deepEqual(normalise(feed(stream, size)), expected);
});

Deno.test("DataFrameReader refuses an oversized message at its header, before buffering it", () => {
  const reader = new DataFrameReader({ maxFileBytes: MAX_FILE });
  reader.push(encodeFrameHeader(FrameType.TEXT, MAX_MESSAGE_BYTES + 1));
  assert.throws(() => reader.next(), (e: unknown) => e instanceof DataFrameError && e.code === "too_large");
  // The reader stays failed.
  assert.throws(() => reader.next(), DataFrameError);
  const atLimit = new DataFrameReader({ maxFileBytes: MAX_FILE });
  atLimit.push(encodeFrameHeader(FrameType.BINARY, MAX_MESSAGE_BYTES));
  assert.equal(atLimit.next(), null);
});

Deno.test("DataFrameReader refuses a file over max_file_size with the §9.2 message", () => {
  const reader = new DataFrameReader({ maxFileBytes: 100 });
  reader.push(encodeFileFrameStart("big.bin", new Uint8Array(32), 101));
  assert.throws(
    () => reader.next(),
    (e: unknown) =>
      e instanceof DataFrameError && e.code === "too_large" && e.length === 101 &&
      e.message === "file too large for receiver (limit 100 bytes)",
  );
  const exact = new DataFrameReader({ maxFileBytes: 100 });
  exact.push(encodeFileFrameStart("ok.bin", new Uint8Array(32), 100));
  assert.equal(exact.next()?.kind, "file_start");
});

Deno.test("DataFrameReader refuses bad file names: length 0, over 255, past the frame, not UTF-8", () => {
  const frames = [
    concatBytes(encodeFrameHeader(FrameType.FILE, 40), new Uint8Array([0, 0]), new Uint8Array(38)),
    concatBytes(encodeFrameHeader(FrameType.FILE, 400), new Uint8Array([1, 0]), new Uint8Array(398)),
    concatBytes(encodeFrameHeader(FrameType.FILE, 40), new Uint8Array([0, 10]), new Uint8Array(38)),
    concatBytes(encodeFrameHeader(FrameType.FILE, 20), new Uint8Array(20)),
    concatBytes(encodeFrameHeader(FrameType.FILE, 35), new Uint8Array([0, 1, 0xff]), new Uint8Array(32)),
  ];
  for (const f of frames) {
    const reader = new DataFrameReader({ maxFileBytes: MAX_FILE });
    reader.push(f);
    assert.throws(() => drain(reader), (e: unknown) => e instanceof DataFrameError && e.code === "bad_frame");
  }
});

Deno.test("DataFrameReader skips a 4 GiB unknown frame without buffering it", () => {
  const reader = new DataFrameReader({ maxFileBytes: MAX_FILE });
  reader.push(encodeFrameHeader(42, 0xffff_ffff));
  reader.push(new Uint8Array(1024));
  assert.equal(reader.next(), null);
  assert.ok(reader.midFrame);
});

Deno.test("AckReader reads split ACKs and refuses other frames and huge lengths", () => {
  const acks = concatBytes(
    encodeAck({ seq: 1, status: "ok", type: "text", bytes: 1 }),
    encodeAck({ seq: 2, status: "error", type: "unknown", bytes: 0, code: "unsupported_type" }),
  );
  const reader = new AckReader();
  const got: Ack[] = [];
  for (const b of acks) {
    reader.push(new Uint8Array([b]));
    const a = reader.next();
    if (a !== null) got.push(a);
  }
  assert.deepEqual(got.map((a) => a.seq), [1, 2]);
  const other = new AckReader();
  other.push(encodeFrame(FrameType.TEXT, utf8("x")));
  assert.throws(() => other.next(), DataFrameError);
  const huge = new AckReader();
  huge.push(encodeFrameHeader(FrameType.ACK, 1 << 30));
  assert.throws(() => huge.next(), DataFrameError);
});

Deno.test("fuzz: 10,000 random buffers make DataFrameReader and AckReader throw only DataFrameError", async () => {
  await withSeed((rng) => {
    const types = [1, 2, 3, 4, 5, 6, 0, 7, 0xffffffff];
    for (let i = 0; i < 10_000; i++) {
      let buf: Uint8Array;
      if (rng.bool()) buf = rng.bytes(rng.int(0, 64));
      else {
        // Plausible headers with random lengths and bodies reach the deeper states.
        const body = rng.bytes(rng.int(0, 80));
        const len = rng.bool() ? body.length : rng.int(0, 0xffffffff);
        buf = concatBytes(encodeFrameHeader(rng.pick(types), len), body);
      }
      for (const make of [() => new DataFrameReader({ maxFileBytes: rng.int(0, 64) }), () => new AckReader()]) {
        const reader = make();
        try {
          let off = 0;
          while (off < buf.length) {
            const n = rng.int(1, 16);
            reader.push(buf.subarray(off, off + n));
            off += n;
            for (let k = 0; k < 1000 && reader.next() !== null; k++) { /* drain */ }
          }
        } catch (err) {
          assert.ok(err instanceof DataFrameError, `unexpected ${err}`);
        }
      }
    }
  });
});
