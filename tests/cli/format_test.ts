// Human output helpers of CLI.md §1.3.
import assert from "node:assert/strict";
import { formatClock, formatSize, formatTable, formatTime, rfc3339 } from "../../src/cli/format.ts";

Deno.test("formatTable() capitalises headers and separates columns by at least two spaces", () => {
  const text = formatTable(
    ["Node ID", "Address", "Hostname"],
    [[256, "0:0000.0000.0100", "alice"], [1000, "0:0000.0000.03E8", ""]],
    "No peers",
  );
  assert.equal(
    text,
    [
      "NODE ID  ADDRESS           HOSTNAME",
      "256      0:0000.0000.0100  alice",
      "1000     0:0000.0000.03E8",
    ].join("\n"),
  );
});

Deno.test("formatTable() prints one sentence for an empty list", () => {
  assert.equal(formatTable(["A"], [], "No pending requests"), "No pending requests");
});

Deno.test("formatSize() uses SI units with one decimal below 100", () => {
  assert.equal(formatSize(0), "0 B");
  assert.equal(formatSize(999), "999 B");
  assert.equal(formatSize(1000), "1.0 KB");
  assert.equal(formatSize(845_000), "845 KB");
  assert.equal(formatSize(1_200_000), "1.2 MB");
  assert.equal(formatSize(2_900_000), "2.9 MB");
  assert.equal(formatSize(42_500), "42.5 KB");
  assert.equal(formatSize(999_960), "1.0 MB");
  assert.equal(formatSize(3_000_000_000), "3.0 GB");
});

Deno.test("formatTime() prints YYYY-MM-DD HH:MM:SS in UTC", () => {
  assert.equal(formatTime(Date.UTC(2025, 5, 1, 12, 0, 4, 217)), "2025-06-01 12:00:04");
  assert.equal(formatTime("2025-06-01T12:00:01.123Z"), "2025-06-01 12:00:01");
  assert.equal(rfc3339(Date.UTC(2025, 5, 1, 12, 0, 1, 123)), "2025-06-01T12:00:01.123Z");
});

Deno.test("formatClock() prints HH:MM:SS", () => {
  assert.equal(formatClock(3723), "01:02:03");
  assert.equal(formatClock(0), "00:00:00");
  assert.equal(formatClock(360_000), "100:00:00");
});
