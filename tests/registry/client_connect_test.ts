// Registry addresses and the reconnect schedule (PROTOCOL-BRIEF §4.5: 0.5, 1, 2, 4, 8… s, cap 30 s).
import assert from "node:assert/strict";
import { parseRegistryAddress, reconnectDelayMs, withBackoff } from "../../src/registry/client_connect.ts";
import { parseHostPort } from "../../src/registry/listen.ts";
import { ConnectionFailedError, PilotError, UnauthorizedError } from "../../src/util/errors.ts";

Deno.test("parseRegistryAddress() understands host:port, tcp:// and tls://", () => {
  assert.deepEqual(parseRegistryAddress("127.0.0.1:9000"), { tls: false, hostname: "127.0.0.1", port: 9000 });
  assert.deepEqual(parseRegistryAddress("tcp://reg.example:1"), { tls: false, hostname: "reg.example", port: 1 });
  assert.deepEqual(parseRegistryAddress("tls://[::1]:9443"), { tls: true, hostname: "::1", port: 9443 });
  for (const bad of ["", "host", ":9000", "host:0", "host:65536", "http://h:1", "::1:9000", "tls://h:x"]) {
    assert.throws(
      () => parseRegistryAddress(bad),
      (e: unknown) => e instanceof PilotError && e.code === "invalid_argument",
      bad,
    );
  }
});

Deno.test("parseHostPort() reads listen addresses; :port means all IPv4 interfaces", () => {
  assert.deepEqual(parseHostPort(":9000", "--listen"), { hostname: "0.0.0.0", port: 9000, text: ":9000" });
  assert.equal(parseHostPort("[::1]:0", "--listen").hostname, "::1");
  assert.throws(() => parseHostPort("9000", "--listen"), /invalid --listen address "9000"/);
});

Deno.test("reconnectDelayMs() doubles from 0.5 s and stops at 30 s", () => {
  assert.deepEqual([0, 1, 2, 3, 4, 5, 6, 7, 100].map(reconnectDelayMs), [
    500,
    1000,
    2000,
    4000,
    8000,
    16000,
    30000,
    30000,
    30000,
  ]);
});

Deno.test("withBackoff() retries connection failures on the schedule and gives up after maxAttempts", async () => {
  const waits: number[] = [];
  let calls = 0;
  const err = await withBackoff(() => {
    calls++;
    return Promise.reject(new ConnectionFailedError("down"));
  }, { maxAttempts: 4, sleep: (ms) => (waits.push(ms), Promise.resolve()) }).catch((e) => e);
  assert.equal(err.code, "connection_failed");
  assert.equal(calls, 4);
  assert.deepEqual(waits, [500, 1000, 2000]);
  let n = 0;
  assert.equal(
    await withBackoff(() => ++n < 3 ? Promise.reject(new ConnectionFailedError("x")) : Promise.resolve("up"), {
      sleep: () => Promise.resolve(),
    }),
    "up",
  );
});

Deno.test("withBackoff() does not retry a refusal and stops when aborted", async () => {
  let calls = 0;
  await assert.rejects(
    withBackoff(() => {
      calls++;
      return Promise.reject(new UnauthorizedError("bad key"));
    }, { sleep: () => Promise.resolve() }),
    UnauthorizedError,
  );
  assert.equal(calls, 1);
  const abort = new AbortController();
  await assert.rejects(
    withBackoff(() => Promise.reject(new ConnectionFailedError("down")), {
      signal: abort.signal,
      sleep: () => (abort.abort(), Promise.resolve()),
    }),
    ConnectionFailedError,
  );
});
