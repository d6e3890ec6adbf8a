// Registry upkeep (PROTOCOL-BRIEF §4.2, §4.6): replay-cache batches reach the store, expired rows are pruned.
import assert from "node:assert/strict";
import { Maintenance } from "../../src/registry/maintenance.ts";
import { Harness } from "./helpers.ts";

Deno.test("flushReplay() writes the nonces of accepted signed requests to the store in one batch", async () => {
  const h = await Harness.create();
  try {
    const a = await h.register();
    await h.call(a, "list_trust");
    await h.call(a, "list_trust");
    assert.equal((await h.store.read((tx) => tx.loadReplayEntries(h.clock.now()))).length, 0);
    const m = new Maintenance(h.ctx);
    await m.flushReplay();
    const stored = await h.store.read((tx) => tx.loadReplayEntries(h.clock.now()));
    assert.equal(stored.length, 2);
    assert.ok(stored.every((e) => e.nodeId === a.nodeId && e.expiresAtMs === h.clock.now() + 600_000));
    await m.close();
  } finally {
    await h.close();
  }
});

Deno.test("prune() removes expired replay entries, inbox messages and beacon registrations", async () => {
  const h = await Harness.create();
  try {
    const now = h.clock.now();
    await h.store.transaction(async (tx) => {
      await tx.putReplayEntries([{ nodeId: 1, nonce: new Uint8Array(16), expiresAtMs: now + 10 }]);
      await tx.putBeaconEndpoint({ nodeId: 1, ip: "1.2.3.4", port: 5, expiresAtMs: now + 10 });
      await tx.enqueueInbox({
        from: 1,
        to: 2,
        kind: "trust_request",
        message: "{}",
        queuedAtMs: now,
        expiresAtMs: now + 10,
      });
    });
    h.clock.advance(10);
    await new Maintenance(h.ctx).prune();
    await h.store.read(async (tx) => {
      assert.equal((await tx.loadReplayEntries(0)).length, 0);
      assert.equal(await tx.beaconEndpoint(1, 0), null);
      assert.equal(await tx.countInbox(2, 0), 0);
    });
  } finally {
    await h.close();
  }
});
