// The typed client against real sockets (PROTOCOL-BRIEF §4.1, §4.2, §4.5): clock-skew recovery, request timeouts,
// reconnect with backoff, key rotation through the client.
import assert from "node:assert/strict";
import { generateIdentity } from "../../src/crypto/identity.ts";
import { ManualClock } from "../../src/util/clock.ts";
import { PilotError } from "../../src/util/errors.ts";
import { connectWithBackoff, RegistryClient } from "../../src/registry/client.ts";
import { addressOf, connectClient, registeredClient, startTestRegistry } from "./int_helpers.ts";

Deno.test("client: a local clock 10 minutes off is corrected from clock_skew and the request retried", async () => {
  await using reg = await startTestRegistry();
  const clock = new ManualClock(Date.now() - 600_000);
  await using c = await connectClient(reg, { clock });
  const ok = await c.register(generateIdentity(), { listenPort: 1 });
  assert.equal(ok.node_id, 0x100);
  assert.equal((await c.listTrust()).length, 0);
});

Deno.test("client: a registry that never answers fails the request with timeout and closes", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const accepted = listener.accept();
  try {
    await using c = await RegistryClient.connect({
      address: `127.0.0.1:${(listener.addr as Deno.NetAddr).port}`,
      requestTimeoutMs: 100,
    });
    const conn = await accepted;
    try {
      const err = await c.hello().catch((e) => e);
      assert.ok(err instanceof PilotError);
      assert.equal(err.code, "timeout");
      assert.equal(c.isClosed, true);
      const after = await c.hello().catch((e) => e);
      assert.equal(after.code, "timeout");
    } finally {
      conn.close();
    }
  } finally {
    listener.close();
  }
});

Deno.test("connectWithBackoff() connects and runs setup; unreachable registries fail after maxAttempts", async () => {
  await using reg = await startTestRegistry();
  const id = generateIdentity();
  const c = await connectWithBackoff({ address: addressOf(reg) }, {}, async (client) => {
    await client.register(id, { listenPort: 1 });
  });
  assert.equal(c.nodeId, 0x100);
  await c.close();
  const port = reg.registryAddr.port;
  await reg.close();
  const waits: number[] = [];
  const err = await connectWithBackoff({ address: `127.0.0.1:${port}` }, {
    maxAttempts: 3,
    sleep: (ms) => (waits.push(ms), Promise.resolve()),
  }).catch((e) => e);
  assert.equal(err.code, "connection_failed");
  assert.deepEqual(waits, [500, 1000]);
});

Deno.test("client: rotateKey() switches the signing key; the same client keeps working", async () => {
  await using reg = await startTestRegistry();
  const a = await registeredClient(reg, { hostname: "rot" });
  await using _a = a.client;
  const next = generateIdentity();
  const ok = await a.client.rotateKey(next);
  assert.equal(ok.node_id, a.nodeId);
  const keys = await a.client.getKeys(a.nodeId);
  assert.equal(keys.key_chain.length, 1);
  assert.equal((await a.client.lookup(a.nodeId)).hostname, "rot");
  await using again = await connectClient(reg);
  const err = await again.register(a.identity, { listenPort: 1 }).catch((e) => e);
  assert.equal(err.code, "unauthorized");
  assert.equal(err.detail, "forbidden");
  assert.equal((await again.register(next, { listenPort: 1 })).node_id, a.nodeId);
});
