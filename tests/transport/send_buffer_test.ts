import assert from "node:assert/strict";
import { SendBuffer } from "../../src/transport/send_buffer.ts";

Deno.test("SendBuffer reads any range across ring wrap and growth", () => {
  const b = new SendBuffer(100_000);
  const data = Uint8Array.from({ length: 70_000 }, (_, i) => i % 251);
  b.append(data.subarray(0, 10_000));
  b.releaseTo(9_000);
  b.append(data.subarray(10_000, 70_000));
  assert.equal(b.base, 9_000);
  assert.equal(b.end, 70_000);
  assert.deepEqual(b.read(9_000, 5), data.subarray(9_000, 9_005));
  assert.deepEqual(b.read(65_000, 5_000), data.subarray(65_000, 70_000));
  assert.equal(b.space, 100_000 - 61_000);
});

Deno.test("SendBuffer refuses writes beyond capacity and reads outside what it holds", () => {
  const b = new SendBuffer(10);
  b.append(new Uint8Array(8));
  assert.throws(() => b.append(new Uint8Array(3)), RangeError);
  assert.throws(() => b.read(5, 4), RangeError);
  b.releaseTo(4);
  assert.throws(() => b.read(3, 1), RangeError);
  assert.equal(b.length, 4);
});
