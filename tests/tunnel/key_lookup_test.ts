import assert from "node:assert/strict";
import { generateIdentity } from "../../src/crypto/mod.ts";
import { ManualClock } from "../../src/util/clock.ts";
import { KeyLookups, type LookupResult } from "../../src/tunnel/key_lookup.ts";
import { KEY_LOOKUP_TIMEOUT_MS, MAX_WAITING_KEY_LOOKUPS, type PeerKeys } from "../../src/tunnel/mod.ts";
import { keysOf } from "./_support.ts";

const clock = new ManualClock();
const keys: PeerKeys = keysOf(generateIdentity(clock));

Deno.test("KeyLookups answers a synchronous resolver at once", () => {
  const lookups = new KeyLookups((n) => (n === 0x101 ? keys : null), clock);
  const seen: LookupResult[] = [];
  assert.ok(lookups.lookup(0x101, (r) => seen.push(r)));
  assert.ok(lookups.lookup(0x102, (r) => seen.push(r)));
  assert.deepEqual(seen.map((r) => r.kind), ["keys", "unknown"]);
  assert.equal(lookups.waiting, 0);
});

Deno.test("KeyLookups treats a throwing or rejecting resolver as an unknown node", async () => {
  const throwing = new KeyLookups(() => {
    throw new Error("boom");
  }, clock);
  const seen: LookupResult[] = [];
  throwing.lookup(0x101, (r) => seen.push(r));
  const rejecting = new KeyLookups(() => Promise.reject(new Error("down")), clock);
  const done = new Promise<LookupResult>((resolve) => rejecting.lookup(0x101, resolve));
  seen.push(await done);
  assert.deepEqual(seen.map((r) => r.kind), ["unknown", "unknown"]);
});

Deno.test("KeyLookups lets at most 64 lookups wait and refuses the 65th", () => {
  const lookups = new KeyLookups(() => new Promise<PeerKeys | null>(() => {}), clock);
  for (let i = 0; i < MAX_WAITING_KEY_LOOKUPS; i++) assert.ok(lookups.lookup(0x100 + i, () => {}));
  assert.equal(lookups.waiting, MAX_WAITING_KEY_LOOKUPS);
  assert.equal(lookups.lookup(0x999, () => {}), false);
  lookups.close();
  assert.equal(lookups.waiting, 0);
});

Deno.test("KeyLookups gives up after 5 s and ignores the late answer", async () => {
  const c = new ManualClock();
  let answer: (k: PeerKeys | null) => void = () => {};
  const lookups = new KeyLookups(() => new Promise<PeerKeys | null>((resolve) => (answer = resolve)), c);
  const seen: LookupResult[] = [];
  lookups.lookup(0x101, (r) => seen.push(r));
  c.advance(KEY_LOOKUP_TIMEOUT_MS - 1);
  lookups.expire(c.monotonic());
  assert.equal(seen.length, 0);
  c.advance(1);
  lookups.expire(c.monotonic());
  assert.deepEqual(seen.map((r) => r.kind), ["timeout"]);
  assert.equal(lookups.waiting, 0);
  answer(keys);
  await Promise.resolve();
  await Promise.resolve();
  assert.equal(seen.length, 1, "the late answer is not delivered");
});

Deno.test("KeyLookups reports an answer that arrives after 5 s as a timeout even without a tick", async () => {
  const c = new ManualClock();
  let answer: (k: PeerKeys | null) => void = () => {};
  const lookups = new KeyLookups(() => new Promise<PeerKeys | null>((resolve) => (answer = resolve)), c);
  const done = new Promise<LookupResult>((resolve) => lookups.lookup(0x101, resolve));
  c.advance(KEY_LOOKUP_TIMEOUT_MS + 1);
  answer(keys);
  assert.equal((await done).kind, "timeout");
});
