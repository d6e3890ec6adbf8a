import assert from "node:assert/strict";
import { RealTimerSource } from "../../src/transport/real_timers.ts";
import { systemClock } from "../../src/util/clock.ts";

Deno.test("RealTimerSource runs a callback at the requested monotonic time", async () => {
  const timers = new RealTimerSource(systemClock);
  const start = systemClock.monotonic();
  const firedAt = await new Promise<number>((resolve) => {
    timers.schedule(start + 5, () => resolve(systemClock.monotonic()));
  });
  assert.ok(firedAt - start >= 4, `fired after ${firedAt - start} ms`);
  timers.close();
});

Deno.test("RealTimerSource.cancel() and close() stop pending callbacks", async () => {
  const timers = new RealTimerSource(systemClock);
  const fired: string[] = [];
  const h = timers.schedule(systemClock.monotonic() + 1, () => fired.push("cancelled"));
  timers.cancel(h);
  timers.cancel({}); // an unknown handle is ignored
  timers.schedule(systemClock.monotonic() + 1, () => fired.push("closed"));
  timers.close();
  timers.schedule(systemClock.monotonic(), () => fired.push("after close"));
  // Platform timers fire in expiry order, so a later one of our own comes after any of those would have.
  await new Promise((resolve) => setTimeout(resolve, 5));
  assert.deepEqual(fired, []);
});
