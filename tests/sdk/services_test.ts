// Local checks of the SDK's service calls (PROTOCOL-BRIEF §9.2, §9.3): message types and limits, topics and
// patterns, and the error refinement that turns "no mutual trust" into NotTrustedError.
import assert from "node:assert/strict";
import { NotTrustedError, UnauthorizedError } from "../../mod.ts";
import { sdkError } from "../../src/sdk/errors.ts";
import { checkPatterns, checkTopic, messagePayload } from "../../src/sdk/services.ts";

const enc = (s: string) => new TextEncoder().encode(s);

Deno.test("messagePayload() types a string as text and bytes as binary unless told otherwise", () => {
  assert.deepEqual(messagePayload("hi", undefined), ["text", enc("hi")]);
  assert.deepEqual(messagePayload(new Uint8Array([1]), undefined), ["binary", new Uint8Array([1])]);
  assert.deepEqual(messagePayload(enc("[1]"), "json"), ["json", enc("[1]")]);
});

Deno.test("messagePayload() rejects invalid JSON, non-UTF-8 text and more than 1 MiB", () => {
  assert.throws(() => messagePayload("{", "json"), { code: "invalid_argument", message: /^invalid JSON: / });
  assert.throws(() => messagePayload(new Uint8Array([0xff]), "text"), {
    message: "a text message needs UTF-8 data (use type binary)",
  });
  assert.throws(() => messagePayload(new Uint8Array(1_048_577), "binary"), {
    message: "message too large (1048577 bytes, max 1048576)",
    detail: "too_large",
  });
  assert.throws(() => messagePayload("x", "xml" as "text"), {
    message: 'invalid message type "xml" (use text, json or binary)',
  });
});

Deno.test("checkTopic() refuses wildcards and oversized events; checkPatterns() accepts * and a final **", () => {
  checkTopic("jobs.build-1.done", new Uint8Array(0));
  assert.throws(() => checkTopic("jobs.*", new Uint8Array(0)), {
    message: 'invalid topic "jobs.*" (wildcards are for subscribe)',
  });
  assert.throws(() => checkTopic("Jobs", new Uint8Array(0)), { message: 'invalid topic "Jobs"' });
  assert.throws(() => checkTopic("a", new Uint8Array(1_048_577)), { detail: "too_large" });
  checkPatterns(["*", "a.*", "a.**"]);
  assert.throws(() => checkPatterns(["a.**.b"]), { message: 'invalid topic pattern "a.**.b"' });
  assert.throws(() => checkPatterns([]), { message: "subscribe needs at least one topic pattern" });
});

Deno.test("sdkError() turns unauthorized/not_trusted into NotTrustedError when the peer is known", () => {
  const wire = new UnauthorizedError("no mutual trust with 0:0000.0000.0101", { detail: "not_trusted" });
  const e = sdkError(wire, "0:0000.0000.0101");
  assert.ok(e instanceof NotTrustedError);
  assert.equal(e.hint, "pilotctl handshake 0:0000.0000.0101");
  assert.equal(sdkError(wire), wire);
  const other = new UnauthorizedError("forbidden", { detail: "forbidden" });
  assert.equal(sdkError(other, "0:0000.0000.0101"), other);
  assert.equal(sdkError(new Error("boom")).code, "internal");
});
