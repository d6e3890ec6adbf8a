// Key pinning along registry key chains (PROTOCOL-BRIEF §4.4 rotation_sig, §6.3).
import assert from "node:assert/strict";
import { ed25519Sign } from "../../src/crypto/mod.ts";
import { concatBytes, toBase64, u32be, u64be, utf8 } from "../../src/util/bytes.ts";
import {
  type KeyChainEntry,
  keyReachableFromPin,
  parseGetKeysReply,
  type PeerKeys,
  rotationMessage,
} from "../../src/trust/key_pins.ts";
import { B, C, makeNode, START_MS, type TestNode } from "./_fixtures.ts";

const gen0 = makeNode(B, 0);
const gen1 = makeNode(B, 1);
const gen2 = makeNode(B, 2);
const stranger = makeNode(C, 0);

function step(oldKey: TestNode, newKey: TestNode, atMs: number, nodeId = B): KeyChainEntry {
  return {
    publicKey: oldKey.publicKey,
    rotatedAtMs: atMs,
    rotationSig: ed25519Sign(oldKey.seed, rotationMessage(nodeId, newKey.publicKey, atMs)),
  };
}

/** gen0 → gen1 → gen2 (current). */
function twoRotations(): PeerKeys {
  return { publicKey: gen2.publicKey, keyChain: [step(gen0, gen1, START_MS), step(gen1, gen2, START_MS + 1000)] };
}

Deno.test("rotationMessage() is label ‖ node_id u32 ‖ new key ‖ rotated_at_ms u64", () => {
  const bytes = rotationMessage(0x01020304, gen1.publicKey, 0x0102030405);
  assert.deepEqual(
    bytes,
    concatBytes(utf8("pilot-rotate-v1\n"), u32be(0x01020304), gen1.publicKey, u64be(0x0102030405)),
  );
  assert.equal(bytes.length, 16 + 4 + 32 + 8);
});

Deno.test("keyReachableFromPin() accepts the pinned key itself without a chain", () => {
  assert.ok(keyReachableFromPin(B, gen0.publicKey, { publicKey: gen0.publicKey, keyChain: [] }));
});

Deno.test("keyReachableFromPin() follows a valid chain from the pin to the current key", () => {
  assert.ok(keyReachableFromPin(B, gen0.publicKey, twoRotations()), "from the oldest key");
  assert.ok(keyReachableFromPin(B, gen1.publicKey, twoRotations()), "from the middle of the chain");
});

Deno.test("keyReachableFromPin() refuses a chain that does not start at the pin", () => {
  assert.equal(keyReachableFromPin(B, stranger.publicKey, twoRotations()), false);
  assert.equal(keyReachableFromPin(B, gen0.publicKey, { publicKey: gen2.publicKey, keyChain: [] }), false);
  const fromGen1Only: PeerKeys = { publicKey: gen2.publicKey, keyChain: [step(gen1, gen2, START_MS)] };
  assert.equal(keyReachableFromPin(B, gen0.publicKey, fromGen1Only), false);
});

Deno.test("keyReachableFromPin() refuses a forged chain", () => {
  // The attacker's own key signs the hand-over, but the entry claims the pinned key.
  const forged: PeerKeys = {
    publicKey: stranger.publicKey,
    keyChain: [{
      publicKey: gen0.publicKey,
      rotatedAtMs: START_MS,
      rotationSig: ed25519Sign(stranger.seed, rotationMessage(B, stranger.publicKey, START_MS)),
    }],
  };
  assert.equal(keyReachableFromPin(B, gen0.publicKey, forged), false);
  // A genuine step whose successor was swapped for the attacker's key.
  const swapped: PeerKeys = { publicKey: stranger.publicKey, keyChain: [step(gen0, gen1, START_MS)] };
  assert.equal(keyReachableFromPin(B, gen0.publicKey, swapped), false);
  // A genuine chain with a later link broken.
  const chain = twoRotations();
  const sig = new Uint8Array(chain.keyChain[1].rotationSig);
  sig[0] ^= 1;
  const broken: PeerKeys = { ...chain, keyChain: [chain.keyChain[0], { ...chain.keyChain[1], rotationSig: sig }] };
  assert.equal(keyReachableFromPin(B, gen0.publicKey, broken), false);
  // A changed timestamp invalidates the signature.
  const retimed: PeerKeys = {
    ...chain,
    keyChain: [{ ...chain.keyChain[0], rotatedAtMs: START_MS + 1 }, chain.keyChain[1]],
  };
  assert.equal(keyReachableFromPin(B, gen0.publicKey, retimed), false);
});

Deno.test("keyReachableFromPin() refuses a chain signed for another node id", () => {
  const other: PeerKeys = { publicKey: gen1.publicKey, keyChain: [step(gen0, gen1, START_MS, C)] };
  assert.equal(keyReachableFromPin(B, gen0.publicKey, other), false);
  assert.ok(keyReachableFromPin(C, gen0.publicKey, other));
});

Deno.test("keyReachableFromPin() refuses rotation times that go backwards", () => {
  const backwards: PeerKeys = {
    publicKey: gen2.publicKey,
    keyChain: [step(gen0, gen1, START_MS + 1000), step(gen1, gen2, START_MS)],
  };
  assert.equal(keyReachableFromPin(B, gen0.publicKey, backwards), false);
});

Deno.test("parseGetKeysReply() reads a get_keys_ok reply and checks every field", () => {
  const chain = twoRotations();
  const reply = {
    type: "get_keys_ok",
    node_id: B,
    public_key: toBase64(gen2.publicKey),
    noise_public_key: toBase64(new Uint8Array(32)),
    key_chain: chain.keyChain.map((e) => ({
      public_key: toBase64(e.publicKey),
      rotated_at_ms: e.rotatedAtMs,
      rotation_sig: toBase64(e.rotationSig),
    })),
  };
  const parsed = parseGetKeysReply(reply, B);
  assert.ok(parsed !== null);
  assert.deepEqual(parsed, chain);
  assert.ok(keyReachableFromPin(B, gen0.publicKey, parsed));
  assert.equal(parseGetKeysReply(reply, C), null, "another node's reply");
  assert.equal(parseGetKeysReply({ ...reply, public_key: "AAAA" }, B), null);
  assert.equal(parseGetKeysReply({ ...reply, key_chain: {} }, B), null);
  assert.equal(parseGetKeysReply({ ...reply, key_chain: [{ ...reply.key_chain[0], rotated_at_ms: -1 }] }, B), null);
  assert.equal(parseGetKeysReply({ ...reply, key_chain: [{ ...reply.key_chain[0], rotation_sig: "x" }] }, B), null);
  assert.equal(parseGetKeysReply(null, B), null);
});
