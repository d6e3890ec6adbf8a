// Event stream frames and topics (PROTOCOL-BRIEF §9.3): byte layout, round trips over any chunking, bounds checked
// before buffering, fuzzing that yields only EventFrameError, and the topic / pattern matching table.
import assert from "node:assert/strict";
import {
  decodeDeliveries,
  decodeErrorPayload,
  encodeDeliveries,
  encodeErrorPayload,
  encodeEventFrame,
  type EventFrame,
  EventFrameError,
  EventFrameReader,
  EventOp,
} from "../../../src/daemon/services/event_stream_codec.ts";
import { isValidPattern, isValidTopic, topicMatches } from "../../../src/daemon/services/event_stream_topics.ts";
import { concatBytes, utf8 } from "../../../src/util/bytes.ts";
import { withSeed } from "../../_support/prng.ts";

function readAllFrames(bytes: Uint8Array, chunk: number): EventFrame[] {
  const reader = new EventFrameReader();
  const out: EventFrame[] = [];
  for (let off = 0; off < bytes.length; off += chunk) {
    reader.push(bytes.subarray(off, off + chunk));
    for (let f = reader.next(); f !== null; f = reader.next()) out.push(f);
  }
  return out;
}

Deno.test("encodeEventFrame() lays out op, topic_len, topic, from (EVENT only), payload_len, payload", () => {
  assert.deepEqual(
    encodeEventFrame({ op: EventOp.PUBLISH, topic: "a.b", payload: utf8("x") }),
    new Uint8Array([3, 0, 3, 0x61, 0x2e, 0x62, 0, 0, 0, 1, 0x78]),
  );
  assert.deepEqual(
    encodeEventFrame({ op: EventOp.EVENT, topic: "t", from: { network: 0, node: 0x101 }, payload: new Uint8Array(0) }),
    new Uint8Array([4, 0, 1, 0x74, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0]),
  );
  assert.throws(() =>
    encodeEventFrame({ op: EventOp.PUBLISH, topic: "t", from: { network: 0, node: 1 }, payload: new Uint8Array(0) })
  );
  assert.throws(() => encodeEventFrame({ op: EventOp.EVENT, topic: "t", payload: new Uint8Array(0) }));
});

Deno.test("frames round-trip however they are split or coalesced", () => {
  const frames: EventFrame[] = [
    { op: EventOp.SUBSCRIBE, topic: "sensors.*", payload: new Uint8Array(0) },
    { op: EventOp.EVENT, topic: "sensors.t1", from: { network: 0, node: 0x12a }, payload: utf8("21.5") },
    { op: EventOp.OK, topic: "sensors.t1", payload: encodeDeliveries(3) },
    { op: EventOp.ERROR, topic: "", payload: encodeErrorPayload("slow_consumer", "queue full") },
    { op: EventOp.PUBLISH, topic: "x".repeat(128), payload: new Uint8Array(1000).fill(9) },
  ];
  const bytes = concatBytes(...frames.map(encodeEventFrame));
  for (const chunk of [1, 2, 5, 13, 1000, bytes.length]) assert.deepEqual(readAllFrames(bytes, chunk), frames);
  assert.equal(decodeDeliveries(encodeDeliveries(3)), 3);
  assert.deepEqual(decodeErrorPayload(encodeErrorPayload("a", "b")), { code: "a", message: "b" });
});

Deno.test("EventFrameReader checks topic_len and payload_len before buffering", () => {
  const longTopic = new EventFrameReader();
  longTopic.push(new Uint8Array([EventOp.PUBLISH, 0, 129]));
  assert.throws(() => longTopic.next(), (e: unknown) => e instanceof EventFrameError && e.code === "invalid_topic");
  const bigPayload = new EventFrameReader();
  bigPayload.push(new Uint8Array([EventOp.PUBLISH, 0, 1, 0x61, 0x00, 0x10, 0x00, 0x01]));
  assert.throws(() => bigPayload.next(), (e: unknown) => e instanceof EventFrameError && e.code === "too_large");
  const badOp = new EventFrameReader();
  badOp.push(new Uint8Array([9, 0, 0]));
  assert.throws(() => badOp.next(), (e: unknown) => e instanceof EventFrameError && e.code === "bad_frame");
  // A failed reader stays failed.
  assert.throws(() => badOp.next(), EventFrameError);
  const notUtf8 = new EventFrameReader();
  notUtf8.push(new Uint8Array([EventOp.PUBLISH, 0, 1, 0xff, 0, 0, 0, 0]));
  assert.throws(() => notUtf8.next(), EventFrameError);
});

Deno.test("fuzz: 10,000 random buffers make EventFrameReader throw only EventFrameError", async () => {
  await withSeed((rng) => {
    for (let i = 0; i < 10_000; i++) {
      const head = rng.bool() ? new Uint8Array([rng.int(0, 7), 0, rng.int(0, 140)]) : new Uint8Array(0);
      const buf = concatBytes(head, rng.bytes(rng.int(0, 200)));
      const reader = new EventFrameReader();
      try {
        for (let off = 0; off < buf.length; off += 7) {
          reader.push(buf.subarray(off, off + 7));
          for (let k = 0; k < 100 && reader.next() !== null; k++) { /* drain */ }
        }
      } catch (err) {
        assert.ok(err instanceof EventFrameError, `unexpected ${err}`);
      }
    }
  });
});

Deno.test("topics are 1-128 bytes of [a-z0-9_-] segments joined by single dots", () => {
  for (const t of ["a", "a.b", "sensor_1.temp-c", "x".repeat(128), "0.1.2"]) assert.ok(isValidTopic(t), t);
  for (const t of ["", "A", "a..b", ".a", "a.", "a b", "a.*", "**", "x".repeat(129), "é"]) {
    assert.ok(!isValidTopic(t), t);
  }
});

Deno.test("patterns allow * per segment, ** only at the end, and * alone", () => {
  for (const p of ["*", "**", "a.*", "*.b", "a.**", "a.*.c", "*.*"]) assert.ok(isValidPattern(p), p);
  for (const p of ["", "a.**.b", "**.a", "a*", "a.b*", "a..*", "***", "A.*"]) assert.ok(!isValidPattern(p), p);
});

Deno.test("topic matching table", () => {
  const table: [string, string, boolean][] = [
    ["*", "a", true],
    ["*", "a.b.c", true],
    ["a.*", "a.b", true],
    ["a.*", "a.b.c", false],
    ["a.*", "a", false],
    ["a.**", "a.b", true],
    ["a.**", "a.b.c", true],
    ["a.**", "a", false],
    ["**", "a", true],
    ["**", "a.b", true],
    ["a.b", "a.b", true],
    ["a.b", "a.c", false],
    ["a.b", "a.b.c", false],
    ["*.b", "a.b", true],
    ["*.b", "a.c", false],
    ["a.*.c", "a.x.c", true],
    ["a.*.c", "a.x.y.c", false],
    ["a.*.**", "a.b", false],
    ["a.*.**", "a.b.c", true],
    ["*.*", "a", false],
    ["a.**.b", "a.x.b", false],
  ];
  for (const [pattern, topic, expected] of table) {
    assert.equal(topicMatches(pattern, topic), expected, `${pattern} ~ ${topic}`);
  }
});
