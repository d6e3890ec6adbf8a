// Key resolution for the tunnel (PROTOCOL-BRIEF §3.2, §6.3): registry keys when nothing is pinned, the pin when the
// registry disagrees without a key chain, a re-pin along a valid chain, and one shared `get_keys` per minute.
import assert from "node:assert/strict";
import { ed25519Sign, generateIdentity, type Identity } from "../../src/crypto/mod.ts";
import { KeyResolver, type PinStore } from "../../src/daemon/key_resolver.ts";
import { Logger, MemorySink } from "../../src/log/logger.ts";
import type { GetKeysOk, RegistryClient } from "../../src/registry/mod.ts";
import { rotationMessage } from "../../src/trust/mod.ts";
import { bytesEqual, toBase64 } from "../../src/util/bytes.ts";
import { ManualClock } from "../../src/util/clock.ts";

const NODE = 0x150;

function reply(id: Identity, chain: GetKeysOk["key_chain"] = []): GetKeysOk {
  return {
    node_id: NODE,
    public_key: toBase64(id.publicKey),
    noise_public_key: toBase64(id.noisePublicKey),
    noise_issued_at: id.noiseIssuedAt,
    noise_sig: toBase64(id.noiseSig),
    key_chain: chain,
  };
}

function rig(answer: () => GetKeysOk) {
  let calls = 0;
  const registry = {
    getKeys: () => {
      calls++;
      return Promise.resolve(answer());
    },
  } as unknown as RegistryClient;
  const clock = new ManualClock();
  const resolver = new KeyResolver({ registry: () => registry, clock, log: new Logger({ sink: new MemorySink() }) });
  return { resolver, clock, calls: () => calls };
}

function pins(pin: Uint8Array | null): PinStore & { repinned: Uint8Array[] } {
  const repinned: Uint8Array[] = [];
  return {
    repinned,
    pinnedKey: () => pin,
    acceptKeyChange: (_peer, keys) => {
      repinned.push(keys.publicKey);
      return Promise.resolve(true);
    },
  };
}

Deno.test("KeyResolver gives the registry's keys for an unpinned node and shares the answer for a minute", async () => {
  const id = generateIdentity();
  const r = rig(() => reply(id));
  const keys = await r.resolver.tunnelKeys(NODE, pins(null));
  assert.ok(keys !== null && bytesEqual(keys.publicKey, id.publicKey) && bytesEqual(keys.noiseSig, id.noiseSig));
  await r.resolver.tunnelKeys(NODE, pins(null));
  assert.equal(r.calls(), 1);
  r.clock.advance(60_000);
  await r.resolver.tunnelKeys(NODE, pins(null));
  assert.equal(r.calls(), 2);
});

Deno.test("KeyResolver keeps the pin when the registry shows another key without a chain", async () => {
  const pinned = generateIdentity();
  const other = generateIdentity();
  const r = rig(() => reply(other));
  const store = pins(pinned.publicKey);
  const keys = await r.resolver.tunnelKeys(NODE, store);
  assert.ok(keys !== null && bytesEqual(keys.publicKey, pinned.publicKey), "the pin wins");
  assert.deepEqual(store.repinned, []);
});

Deno.test("KeyResolver follows a valid key chain from the pin and re-pins", async () => {
  const old = generateIdentity();
  const next = generateIdentity();
  const at = 1_760_000_000_000;
  const sig = ed25519Sign(old.seed, rotationMessage(NODE, next.publicKey, at));
  const r = rig(() =>
    reply(next, [{ public_key: toBase64(old.publicKey), rotated_at_ms: at, rotation_sig: toBase64(sig) }])
  );
  const store = pins(old.publicKey);
  const keys = await r.resolver.tunnelKeys(NODE, store);
  assert.ok(keys !== null && bytesEqual(keys.publicKey, next.publicKey));
  assert.equal(store.repinned.length, 1);
});

Deno.test("KeyResolver answers with the pin alone while the registry cannot be asked", async () => {
  const pinned = generateIdentity();
  const resolver = new KeyResolver({
    registry: () => {
      throw new Error("unreachable");
    },
    clock: new ManualClock(),
    log: new Logger({ sink: new MemorySink() }),
  });
  const keys = await resolver.tunnelKeys(NODE, pins(pinned.publicKey));
  assert.ok(keys !== null && bytesEqual(keys.publicKey, pinned.publicKey));
  assert.equal(await resolver.tunnelKeys(NODE, pins(null)), null);
});

Deno.test("KeyResolver asks again within the minute when the tunnel saw a binding newer than the shared answer", async () => {
  const id = generateIdentity();
  let current = id;
  const r = rig(() => reply(current));
  await r.resolver.tunnelKeys(NODE, pins(null));
  // A hint no newer than the shared answer reuses it.
  await r.resolver.tunnelKeys(NODE, pins(null), { minNoiseIssuedAt: id.noiseIssuedAt });
  assert.equal(r.calls(), 1);
  current = generateIdentity();
  const keys = await r.resolver.tunnelKeys(NODE, pins(null), { minNoiseIssuedAt: id.noiseIssuedAt + 1 });
  assert.equal(r.calls(), 2);
  assert.ok(keys !== null && bytesEqual(keys.publicKey, current.publicKey));
});

Deno.test("KeyResolver.forget() drops the shared answer (a peer's BYE)", async () => {
  const r = rig(() => reply(generateIdentity()));
  await r.resolver.tunnelKeys(NODE, pins(null));
  r.resolver.forget(NODE);
  await r.resolver.tunnelKeys(NODE, pins(null));
  assert.equal(r.calls(), 2);
});

Deno.test("KeyResolver.prefetch() starts the get_keys a later tunnelKeys() joins: one round trip", async () => {
  const id = generateIdentity();
  let release: () => void = () => {};
  const gate = new Promise<void>((resolve) => release = resolve);
  let calls = 0;
  const registry = {
    getKeys: async () => {
      calls++;
      await gate;
      return reply(id);
    },
  } as unknown as RegistryClient;
  const resolver = new KeyResolver({
    registry: () => registry,
    clock: new ManualClock(),
    log: new Logger({ sink: new MemorySink() }),
  });
  resolver.prefetch(NODE);
  assert.equal(calls, 1, "the prefetch asked at once");
  const keys = resolver.tunnelKeys(NODE, pins(null));
  release();
  const got = await keys;
  assert.ok(got !== null && bytesEqual(got.publicKey, id.publicKey));
  assert.equal(calls, 1, "tunnelKeys joined the prefetch");
  resolver.prefetch(NODE);
  assert.equal(calls, 1, "a shared answer is not fetched again");
});
