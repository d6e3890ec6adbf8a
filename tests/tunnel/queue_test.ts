import assert from "node:assert/strict";
import { PEER_QUEUE_MAX_BYTES, PEER_QUEUE_MAX_PACKETS, PendingQueue } from "../../src/tunnel/mod.ts";

Deno.test("PendingQueue keeps at most 64 packets, dropping the oldest", () => {
  const q = new PendingQueue();
  let dropped = 0;
  for (let i = 0; i < PEER_QUEUE_MAX_PACKETS + 3; i++) dropped += q.push(Uint8Array.of(0x10, i));
  assert.equal(dropped, 3);
  assert.equal(q.length, PEER_QUEUE_MAX_PACKETS);
  const out = q.drain();
  assert.deepEqual(out.map((p) => p[1]), Array.from({ length: 64 }, (_, i) => i + 3));
  assert.equal(q.length, 0);
  assert.equal(q.bytes, 0);
});

Deno.test("PendingQueue keeps at most 256 KiB, dropping the oldest", () => {
  const q = new PendingQueue();
  const size = 60 * 1024;
  let dropped = 0;
  for (let i = 0; i < 5; i++) {
    const p = new Uint8Array(size);
    p[0] = i;
    dropped += q.push(p);
  }
  assert.equal(dropped, 1);
  assert.equal(q.bytes, 4 * size);
  assert.ok(q.bytes <= PEER_QUEUE_MAX_BYTES);
  assert.deepEqual(q.drain().map((p) => p[0]), [1, 2, 3, 4]);
});

Deno.test("PendingQueue refuses a packet larger than its whole budget without touching the rest", () => {
  const q = new PendingQueue(4, 100);
  q.push(new Uint8Array(10));
  assert.equal(q.push(new Uint8Array(101)), 1);
  assert.equal(q.length, 1);
  assert.equal(q.bytes, 10);
});

Deno.test("PendingQueue stays correct across many push / drop cycles", () => {
  const q = new PendingQueue(8, 1 << 20);
  for (let i = 0; i < 1000; i++) q.push(Uint8Array.of(i & 0xff, i >> 8));
  const out = q.drain();
  assert.equal(out.length, 8);
  assert.deepEqual(out.map((p) => p[0] | (p[1] << 8)), [992, 993, 994, 995, 996, 997, 998, 999]);
  assert.equal(q.bytes, 0);
});
