// IPC JSON messages (PROTOCOL-BRIEF §8.2, §8.4): responses, events and PilotError across the socket.
import assert from "node:assert/strict";
import { parseJsonBody } from "../../src/wire/registry_frame.ts";
import {
  encodeErrorEvent,
  encodeErrorResponse,
  encodeOkResponse,
  errorBody,
  errorFromBody,
  isRequestId,
  streamCloseError,
} from "../../src/ipc/protocol.ts";
import {
  AlreadyExistsError,
  InternalError,
  NotFoundError,
  PilotError,
  TimeoutError,
  UnauthorizedError,
} from "../../src/util/errors.ts";

function body(frame: Uint8Array): Record<string, unknown> {
  assert.equal(frame[4], 0x01);
  const parsed = parseJsonBody(frame.subarray(5));
  assert.ok(parsed.ok);
  return parsed.value;
}

Deno.test("encodeOkResponse() merges the result but never lets it replace id or ok", () => {
  assert.deepEqual(body(encodeOkResponse(9, { port: 80, id: 3, ok: false })), { port: 80, id: 9, ok: true });
});

Deno.test("encodeErrorResponse() carries code, message, hint and detail; an empty hint is left out", () => {
  const err = new NotFoundError("connection 4 not found", { detail: "conn" });
  assert.deepEqual(body(encodeErrorResponse(2, err)), {
    id: 2,
    ok: false,
    error: { code: "not_found", message: "connection 4 not found", detail: "conn" },
  });
  const withHint = new AlreadyExistsError("daemon is already running (pid 1)", { hint: "pilotctl daemon stop" });
  assert.deepEqual(errorBody(withHint), {
    code: "already_exists",
    message: "daemon is already running (pid 1)",
    hint: "pilotctl daemon stop",
  });
});

Deno.test("encodeErrorEvent() is an `error` event without id", () => {
  const ev = body(encodeErrorEvent(new PilotError("invalid_argument", "bad", { detail: "bad_frame" })));
  assert.deepEqual(ev, { event: "error", error: { code: "invalid_argument", message: "bad", detail: "bad_frame" } });
});

Deno.test("errorFromBody() rebuilds the subclass with code, message, hint and detail", () => {
  const e = errorFromBody({
    code: "unauthorized",
    message: "no mutual trust with 0:0000.0000.0101",
    hint: "h",
    detail: "not_trusted",
  });
  assert.ok(e instanceof UnauthorizedError);
  assert.equal(e.code, "unauthorized");
  assert.equal(e.message, "no mutual trust with 0:0000.0000.0101");
  assert.equal(e.hint, "h");
  assert.equal(e.detail, "not_trusted");
  assert.ok(errorFromBody({ code: "timeout", message: "x" }) instanceof TimeoutError);
});

Deno.test("errorFromBody() turns an unknown code or a malformed object into internal", () => {
  const unknown = errorFromBody({ code: "exploded", message: "boom" });
  assert.ok(unknown instanceof InternalError);
  assert.equal(unknown.message, "boom");
  assert.equal(errorFromBody("nope").code, "internal");
  assert.equal(errorFromBody(null).code, "internal");
  assert.equal(errorFromBody({ code: "not_found" }).message, "unexpected failure");
});

Deno.test("isRequestId() accepts 1..2^32-1 integers only", () => {
  assert.equal(isRequestId(1), true);
  assert.equal(isRequestId(0xffffffff), true);
  for (const bad of [0, -1, 0x100000000, 1.5, "1", null, undefined]) assert.equal(isRequestId(bad), false, String(bad));
});

Deno.test("streamCloseError() maps close reasons to codes", () => {
  assert.equal(streamCloseError(3, "reset", undefined).detail, "reset");
  assert.equal(streamCloseError(3, "reset", undefined).code, "connection_failed");
  assert.equal(streamCloseError(3, "timeout", undefined).code, "timeout");
  assert.equal(streamCloseError(3, "not_trusted", undefined).code, "unauthorized");
  assert.equal(streamCloseError(3, "closed", undefined).message, "connection 3 closed");
  assert.equal(streamCloseError(3, "reset", { code: "not_found", message: "m" }).code, "not_found");
});
