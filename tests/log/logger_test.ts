import assert from "node:assert/strict";
import { Logger, MemorySink } from "../../src/log/logger.ts";
import { ManualClock } from "../../src/util/clock.ts";

Deno.test("Logger writes text lines with component and fields, filtered by level", () => {
  const sink = new MemorySink();
  const clock = new ManualClock(Date.UTC(2025, 5, 1, 12, 0, 1, 123));
  const log = new Logger({ level: "info", sink, clock }).child("tunnel");
  log.debug("hidden");
  log.info("handshake done", { peer: 257, path: "direct", note: "has space" });
  assert.equal(sink.lines.length, 1);
  assert.equal(
    sink.lines[0],
    '2025-06-01T12:00:01.123Z INFO  [tunnel] handshake done peer=257 path=direct note="has space"',
  );
});

Deno.test("Logger writes JSON lines and nests child component names", () => {
  const sink = new MemorySink();
  const log = new Logger({ format: "json", sink, clock: new ManualClock(0) }).child("daemon").child("ipc");
  log.warn("client dropped", { reason: "bad_frame", undef: undefined });
  const record = JSON.parse(sink.lines[0]);
  assert.deepEqual(record, {
    ts: "1970-01-01T00:00:00.000Z",
    level: "warn",
    component: "daemon.ipc",
    msg: "client dropped",
    reason: "bad_frame",
  });
});

Deno.test("Logger.limited() emits once per interval and reports suppressed lines", () => {
  const sink = new MemorySink();
  const clock = new ManualClock(0);
  const log = new Logger({ sink, clock, rateLimitMs: 1000 });
  for (let i = 0; i < 5; i++) log.limited("warn", "bad_crc", "dropped packet");
  assert.equal(sink.lines.length, 1);
  clock.advance(1000);
  log.limited("warn", "bad_crc", "dropped packet");
  assert.equal(sink.lines.length, 2);
  assert.match(sink.lines[1], /suppressed=4$/);
  log.limited("warn", "other_key", "another");
  assert.equal(sink.lines.length, 3);
});
