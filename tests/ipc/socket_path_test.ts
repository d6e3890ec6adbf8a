// Socket path rules (PROTOCOL-BRIEF §8.1) and the standard not_running failures (CLI.md §2).
import assert from "node:assert/strict";
import { daemonNotRunningError, NOT_RUNNING_HINT, validateSocketPath } from "../../src/ipc/socket_path.ts";
import { InvalidArgumentError } from "../../src/util/errors.ts";

Deno.test("validateSocketPath() accepts 100 bytes and rejects 101 with invalid_argument", () => {
  validateSocketPath("/" + "a".repeat(99));
  assert.throws(() => validateSocketPath("/" + "a".repeat(100)), (e) => {
    assert.ok(e instanceof InvalidArgumentError);
    assert.match(e.message, /^invalid socket path "\/a+": 101 bytes, longer than 100$/);
    return true;
  });
});

Deno.test("validateSocketPath() counts UTF-8 bytes, not characters", () => {
  // 1 + 34 × 3 = 103 bytes in 35 characters.
  assert.throws(() => validateSocketPath("/" + "€".repeat(34)), InvalidArgumentError);
});

Deno.test("validateSocketPath() rejects an empty path", () => {
  assert.throws(() => validateSocketPath(""), InvalidArgumentError);
});

Deno.test("daemonNotRunningError() is the standard first row of CLI.md §2", () => {
  const e = daemonNotRunningError("socket /tmp/pilot.sock");
  assert.equal(e.code, "not_running");
  assert.equal(e.message, "daemon is not running (socket /tmp/pilot.sock)");
  assert.equal(e.hint, NOT_RUNNING_HINT);
  assert.equal(NOT_RUNNING_HINT, "pilotctl daemon start");
});
