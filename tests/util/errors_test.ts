import assert from "node:assert/strict";
import {
  ERROR_CODES,
  isErrorCode,
  NotTrustedError,
  PilotError,
  toPilotError,
  UsageError,
} from "../../src/util/errors.ts";

Deno.test("the error code set is the closed set of CLI.md §2", () => {
  assert.deepEqual([...ERROR_CODES].sort(), [
    "already_exists",
    "connection_failed",
    "internal",
    "invalid_argument",
    "not_found",
    "not_running",
    "timeout",
    "unauthorized",
  ]);
  assert.ok(isErrorCode("timeout"));
  assert.ok(!isErrorCode("bad_request"));
});

Deno.test("NotTrustedError carries the standard message, hint and detail", () => {
  const e = new NotTrustedError("0:0000.0000.0101");
  assert.equal(e.code, "unauthorized");
  assert.equal(e.message, "no mutual trust with 0:0000.0000.0101");
  assert.equal(e.hint, "pilotctl handshake 0:0000.0000.0101");
  assert.deepEqual(e.toJSON(), {
    code: "unauthorized",
    message: "no mutual trust with 0:0000.0000.0101",
    hint: "pilotctl handshake 0:0000.0000.0101",
    detail: "not_trusted",
  });
});

Deno.test("UsageError is invalid_argument with the command's help hint", () => {
  const e = new UsageError("unknown flag --nope", "config");
  assert.equal(e.code, "invalid_argument");
  assert.equal(e.hint, "pilotctl config --help");
});

Deno.test("toPilotError() maps OS errors to codes and anything else to internal", () => {
  assert.equal(toPilotError(new Deno.errors.NotFound("x")).code, "not_found");
  assert.equal(toPilotError(new Deno.errors.AddrInUse("x")).code, "already_exists");
  assert.equal(toPilotError(new Deno.errors.ConnectionRefused("x")).code, "connection_failed");
  const wrapped = toPilotError(new TypeError("boom"));
  assert.equal(wrapped.code, "internal");
  assert.equal(wrapped.message, "boom");
  const same = new PilotError("timeout", "slow");
  assert.equal(toPilotError(same), same);
  assert.equal(toPilotError("weird").message, "weird");
});
