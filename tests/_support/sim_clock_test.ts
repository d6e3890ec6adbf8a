import assert from "node:assert/strict";
import { SimClock } from "./sim_clock.ts";

Deno.test("SimClock runs events in time order, FIFO within an instant, and honours cancel", () => {
  const clock = new SimClock();
  const seen: string[] = [];
  clock.schedule(20, () => seen.push("b"));
  clock.schedule(10, () => seen.push("a1"));
  clock.schedule(10, () => seen.push("a2"));
  const t = clock.schedule(15, () => seen.push("cancelled"));
  clock.cancel(t);
  const r = clock.run();
  assert.deepEqual(seen, ["a1", "a2", "b"]);
  assert.equal(r.stop, "idle");
  assert.equal(clock.monotonic(), 20);
});

Deno.test("SimClock.run() stops at a deadline, on a predicate, or at the step bound", () => {
  const clock = new SimClock();
  let n = 0;
  const tick = () => {
    n++;
    clock.after(10, tick);
  };
  clock.after(10, tick);
  assert.equal(clock.run({ deadline: 55 }).stop, "deadline");
  assert.equal(clock.monotonic(), 55);
  assert.equal(n, 5);
  assert.equal(clock.run({ until: () => n >= 8 }).stop, "until");
  assert.equal(clock.run({ maxSteps: 3 }).stop, "max_steps");
  clock.advance(1000);
  assert.equal(clock.monotonic(), 1110); // 80 + three 10 ms steps + 1000
});

Deno.test("SimClock.runAsync() lets promise chains finish before virtual time moves on", async () => {
  const clock = new SimClock();
  const order: string[] = [];
  clock.schedule(10, () => {
    void Promise.resolve().then(() => Promise.resolve()).then(() => {
      order.push(`chain at ${clock.monotonic()}`);
      clock.after(0, () => order.push(`follow-up at ${clock.monotonic()}`));
    });
  });
  clock.schedule(20, () => order.push("later"));
  await clock.runAsync();
  assert.deepEqual(order, ["chain at 10", "follow-up at 10", "later"]);
});
