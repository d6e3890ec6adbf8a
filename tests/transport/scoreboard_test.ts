import assert from "node:assert/strict";
import { SackScoreboard } from "../../src/transport/scoreboard.ts";

Deno.test("SackScoreboard merges overlapping and adjacent blocks and counts only new bytes", () => {
  const sb = new SackScoreboard();
  assert.equal(sb.add(100, 200, 0, 1000), 100);
  assert.equal(sb.add(300, 400, 0, 1000), 100);
  assert.equal(sb.add(150, 250, 0, 1000), 50);
  assert.equal(sb.add(250, 300, 0, 1000), 50);
  assert.deepEqual(sb.ranges(), [{ start: 100, end: 400 }]);
  assert.equal(sb.sackedBytes, 300);
  assert.equal(sb.add(120, 130, 0, 1000), 0);
});

Deno.test("SackScoreboard clips blocks to [SND.UNA, SND.NXT)", () => {
  const sb = new SackScoreboard();
  assert.equal(sb.add(50, 150, 100, 120), 20);
  assert.deepEqual(sb.ranges(), [{ start: 100, end: 120 }]);
  assert.equal(sb.add(500, 600, 100, 120), 0);
});

Deno.test("SackScoreboard.advance() drops ranges below the cumulative ACK", () => {
  const sb = new SackScoreboard();
  sb.add(100, 200, 0, 1000);
  sb.add(300, 400, 0, 1000);
  sb.advance(150);
  assert.deepEqual(sb.ranges(), [{ start: 150, end: 200 }, { start: 300, end: 400 }]);
  assert.equal(sb.sackedBytes, 150);
  sb.advance(350);
  assert.deepEqual(sb.ranges(), [{ start: 350, end: 400 }]);
  assert.equal(sb.sackedBytes, 50);
});

Deno.test("SackScoreboard answers hole queries", () => {
  const sb = new SackScoreboard();
  sb.add(100, 200, 0, 1000);
  sb.add(300, 400, 0, 1000);
  assert.equal(sb.isSacked(100), true);
  assert.equal(sb.isSacked(200), false);
  assert.equal(sb.firstUnsackedFrom(150), 200);
  assert.equal(sb.firstUnsackedFrom(250), 250);
  assert.equal(sb.nextSackedStartAfter(0), 100);
  assert.equal(sb.nextSackedStartAfter(150), 300);
  assert.equal(sb.nextSackedStartAfter(350), null);
  assert.equal(sb.sackedBetween(150, 350), 100);
  assert.equal(sb.highestSacked, 400);
});

Deno.test("SackScoreboard.lostBoundary() is RFC 6675 IsLost: more than (DupThresh − 1) · MSS SACKed above", () => {
  const mss = 100;
  const sb = new SackScoreboard();
  sb.add(100, 300, 0, 1000); // two segments above the hole [0, 100)
  assert.equal(sb.lostBoundary(2 * mss), null);
  sb.add(400, 500, 0, 1000); // a third segment: everything un-SACKed below [100, 300) is lost
  assert.equal(sb.lostBoundary(2 * mss), 100);
  sb.add(600, 800, 0, 1000);
  // Counting from the top, [600, 800) and [400, 500) exceed 200 bytes at 400.
  assert.equal(sb.lostBoundary(2 * mss), 400);
});
