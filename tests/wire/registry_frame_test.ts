// Length-prefixed framing and the bounded JSON body parser (PROTOCOL-BRIEF §4.1, §6.2, §10).
import assert from "node:assert/strict";
import {
  encodeLengthPrefixed,
  encodeRegistryFrame,
  FrameReader,
  MAX_REGISTRY_FRAME_BYTES,
  MAX_TRUST_FRAME_BYTES,
  parseJsonBody,
} from "../../src/wire/registry_frame.ts";
import { WireFormatError } from "../../src/wire/errors.ts";
import { concatBytes, toHex, utf8 } from "../../src/util/bytes.ts";
import { withSeed } from "../_support/prng.ts";

function lengthHeader(n: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, n);
  return out;
}

Deno.test("encodeRegistryFrame() writes a u32 length then UTF-8 JSON", () => {
  const frame = encodeRegistryFrame({ type: "hello", proto: 1, client: "é" });
  const body = utf8(`{"type":"hello","proto":1,"client":"é"}`);
  assert.equal(toHex(frame.subarray(0, 4)), toHex(lengthHeader(body.length)));
  assert.deepEqual(frame.subarray(4), body);
});

Deno.test("encodeRegistryFrame() refuses a body over the cap and a non-object", () => {
  assert.throws(
    () => encodeRegistryFrame({ s: "x".repeat(MAX_TRUST_FRAME_BYTES) }, MAX_TRUST_FRAME_BYTES),
    WireFormatError,
  );
  assert.throws(() => encodeRegistryFrame([1, 2]), WireFormatError);
  assert.throws(() => encodeLengthPrefixed(new Uint8Array(0)), WireFormatError);
  assert.equal(encodeLengthPrefixed(new Uint8Array(MAX_REGISTRY_FRAME_BYTES)).length, MAX_REGISTRY_FRAME_BYTES + 4);
});

Deno.test("FrameReader returns need_more until a whole frame has arrived", () => {
  const r = new FrameReader();
  const frame = encodeRegistryFrame({ type: "heartbeat" });
  for (let i = 0; i < frame.length - 1; i++) {
    r.push(frame.subarray(i, i + 1));
    assert.deepEqual(r.next(), { kind: "need_more" });
  }
  r.push(frame.subarray(frame.length - 1));
  const got = r.next();
  assert.equal(got.kind, "frame");
  assert.deepEqual(got.kind === "frame" && parseJsonBody(got.body), { ok: true, value: { type: "heartbeat" } });
  assert.deepEqual(r.next(), { kind: "need_more" });
  assert.equal(r.bufferedBytes, 0);
});

Deno.test("FrameReader splits several frames delivered in one chunk", () => {
  const r = new FrameReader();
  r.push(
    concatBytes(
      encodeRegistryFrame({ a: 1 }),
      encodeRegistryFrame({ b: 2 }),
      encodeRegistryFrame({ c: 3 }).subarray(0, 6),
    ),
  );
  const bodies: string[] = [];
  for (let res = r.next(); res.kind === "frame"; res = r.next()) bodies.push(new TextDecoder().decode(res.body));
  assert.deepEqual(bodies, [`{"a":1}`, `{"b":2}`]);
  assert.equal(r.bufferedBytes, 6);
});

Deno.test("FrameReader reports too_large for length 0 and stays failed", () => {
  const r = new FrameReader();
  r.push(concatBytes(lengthHeader(0), encodeRegistryFrame({ a: 1 })));
  assert.deepEqual(r.next(), { kind: "too_large", length: 0 });
  r.push(encodeRegistryFrame({ a: 1 }));
  assert.deepEqual(r.next(), { kind: "too_large", length: 0 });
  assert.ok(r.failed);
  assert.equal(r.bufferedBytes, 0);
});

Deno.test("FrameReader reports too_large from the 4 length bytes alone, before any body", () => {
  const r = new FrameReader();
  r.push(lengthHeader(MAX_REGISTRY_FRAME_BYTES + 1));
  assert.deepEqual(r.next(), { kind: "too_large", length: MAX_REGISTRY_FRAME_BYTES + 1 });
  const ok = new FrameReader();
  ok.push(lengthHeader(MAX_REGISTRY_FRAME_BYTES));
  assert.deepEqual(ok.next(), { kind: "need_more" });
});

Deno.test("FrameReader with the 16 KiB trust cap refuses 16385 bytes and accepts 16384", () => {
  const r = new FrameReader(MAX_TRUST_FRAME_BYTES);
  r.push(concatBytes(lengthHeader(MAX_TRUST_FRAME_BYTES), new Uint8Array(MAX_TRUST_FRAME_BYTES)));
  const got = r.next();
  assert.ok(got.kind === "frame" && got.body.length === MAX_TRUST_FRAME_BYTES);
  r.push(lengthHeader(MAX_TRUST_FRAME_BYTES + 1));
  assert.deepEqual(r.next(), { kind: "too_large", length: MAX_TRUST_FRAME_BYTES + 1 });
});

Deno.test("FrameReader returns bodies that later pushes do not overwrite", () => {
  const r = new FrameReader();
  const chunk = encodeRegistryFrame({ a: 1 });
  r.push(chunk);
  const first = r.next();
  chunk.fill(0);
  r.push(encodeRegistryFrame({ b: 2 }));
  const second = r.next();
  assert.ok(first.kind === "frame" && second.kind === "frame");
  assert.equal(new TextDecoder().decode(first.body), `{"a":1}`);
  assert.equal(new TextDecoder().decode(second.body), `{"b":2}`);
});

Deno.test("FrameReader reassembles random frames cut at random points", () =>
  withSeed((rng) => {
    const r = new FrameReader(4096);
    const sent: Uint8Array[] = [];
    for (let i = 0; i < 300; i++) sent.push(rng.bytes(rng.int(1, 4096)));
    const stream = concatBytes(...sent.map((b) => encodeLengthPrefixed(b, 4096)));
    const got: Uint8Array[] = [];
    for (let pos = 0; pos < stream.length;) {
      const n = Math.min(stream.length - pos, rng.int(1, 9000));
      r.push(stream.subarray(pos, pos + n));
      pos += n;
      for (let res = r.next(); res.kind === "frame"; res = r.next()) got.push(res.body);
      assert.ok(r.bufferedBytes < 4 + 4096, "a drained reader holds less than one frame");
    }
    assert.deepEqual(got, sent);
  }));

Deno.test("parseJsonBody() accepts an object and classifies each failure", () => {
  assert.deepEqual(parseJsonBody(utf8(`{"type":"x","n":9007199254740991}`)), {
    ok: true,
    value: { type: "x", n: 9007199254740991 },
  });
  assert.deepEqual(parseJsonBody(Uint8Array.of(0x7b, 0xff, 0x7d)), { ok: false, reason: "not_utf8" });
  assert.deepEqual(parseJsonBody(utf8(`{"a":`)), { ok: false, reason: "not_json" });
  assert.deepEqual(parseJsonBody(utf8(`\uFEFF{"a":1}`)), { ok: false, reason: "not_json" });
  assert.deepEqual(parseJsonBody(utf8(`[1]`)), { ok: false, reason: "not_object" });
  assert.deepEqual(parseJsonBody(utf8(`null`)), { ok: false, reason: "not_object" });
  assert.deepEqual(parseJsonBody(utf8(`"s"`)), { ok: false, reason: "not_object" });
  assert.deepEqual(parseJsonBody(utf8(`{"n":9007199254740992}`)), { ok: false, reason: "unsafe_integer" });
  assert.deepEqual(parseJsonBody(utf8(`{"n":[-9007199254740992]}`)), { ok: false, reason: "unsafe_integer" });
  assert.deepEqual(parseJsonBody(utf8(`{"n":1e300}`)), { ok: false, reason: "unsafe_integer" });
  assert.deepEqual(parseJsonBody(utf8(`{"n":1.5}`)), { ok: true, value: { n: 1.5 } });
});

Deno.test("parseJsonBody() allows 16 levels of nesting and refuses 17", () => {
  const nest = (levels: number) => `{"a":`.repeat(levels - 1) + "{}" + "}".repeat(levels - 1);
  assert.equal(parseJsonBody(utf8(nest(16))).ok, true);
  assert.deepEqual(parseJsonBody(utf8(nest(17))), { ok: false, reason: "too_deep" });
  assert.deepEqual(parseJsonBody(utf8(`{"a":` + "[".repeat(200_000) + "]".repeat(200_000) + "}")), {
    ok: false,
    reason: "too_deep",
  });
  assert.equal(parseJsonBody(utf8(nest(3)), 2).ok, false);
});

Deno.test("parseJsonBody() ignores brackets inside strings when measuring depth", () => {
  const text = JSON.stringify({ s: '[[[[[[[[[[[[[[[[[[[[{{{{{{{{{{{{{{{{{{\\"[[[[[[[[[[[[[[[[[[[[' });
  assert.equal(parseJsonBody(utf8(text)).ok, true);
});

Deno.test("parseJsonBody() keeps a __proto__ key as plain data", () => {
  const got = parseJsonBody(utf8(`{"__proto__":{"x":1},"type":"t"}`));
  assert.ok(got.ok);
  assert.equal(Object.getPrototypeOf(got.value), Object.prototype);
  assert.deepEqual(Object.keys(got.value), ["__proto__", "type"]);
});
