// EagerReplayCache (PROTOCOL-BRIEF §4.2): a shared store gets each new nonce at once, without waiting for the
// maintenance batch; replays are still refused locally; a failed write is kept for the next batch.
import assert from "node:assert/strict";
import { EagerReplayCache } from "../../src/registry/multi_instance_replay.ts";
import type { RegistryStore } from "../../src/registry/store.ts";
import { MEMORY_STORE, openSqliteStore } from "../../src/registry/store_sqlite.ts";
import { InternalError } from "../../src/util/errors.ts";
import { quietLogger } from "./helpers.ts";

const nonce = (n: number) => new Uint8Array(16).fill(n);

Deno.test("EagerReplayCache writes a recorded nonce to the store without a maintenance flush", async () => {
  const store = await openSqliteStore(MEMORY_STORE);
  const cache = new EagerReplayCache(store, quietLogger());
  try {
    assert.equal(cache.tryRecord(0x100, nonce(1), 1_000), true);
    assert.equal(cache.tryRecord(0x100, nonce(2), 1_000), true);
    assert.equal(cache.tryRecord(0x100, nonce(1), 1_001), false, "a replay is refused locally");
    await cache.close();
    const stored = await store.read((tx) => tx.loadReplayEntries(0));
    assert.deepEqual(stored.map((e) => e.nonce[0]).sort(), [1, 2]);
    assert.deepEqual(cache.takePending(), [], "nothing left for the maintenance batch");
  } finally {
    await store.close();
  }
});

Deno.test("EagerReplayCache keeps entries whose write failed for the maintenance batch", async () => {
  const failing = {
    kind: "test",
    location: "test",
    transaction: () => Promise.reject(new InternalError("storage write failed: disk full")),
    read: () => Promise.reject(new InternalError("storage read failed")),
    close: () => Promise.resolve(),
  } as RegistryStore;
  const cache = new EagerReplayCache(failing, quietLogger());
  assert.equal(cache.tryRecord(0x100, nonce(7), 1_000), true);
  await cache.close();
  assert.deepEqual(cache.takePending().map((e) => e.nonce[0]), [7]);
});
