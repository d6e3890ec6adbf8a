// Noise_IK_25519_AESGCM_SHA256 (PROTOCOL-BRIEF §3.3) against the cacophony vectors, byte for byte, plus the failure
// behaviour the tunnel relies on.
import assert from "node:assert/strict";
import {
  NOISE_IK_MESSAGE1_OVERHEAD_BYTES,
  NOISE_IK_MESSAGE2_OVERHEAD_BYTES,
  NOISE_IK_PROTOCOL_NAME,
  NoiseIkHandshake,
} from "../../src/crypto/noise.ts";
import { CipherState, NoiseStateError, SymmetricState } from "../../src/crypto/noise_symmetric.ts";
import { generateX25519, x25519FromPrivate } from "../../src/crypto/x25519.ts";
import { fromHex, toHex } from "../../src/util/bytes.ts";
import { InvalidArgumentError } from "../../src/util/errors.ts";

interface NoiseVector {
  protocol_name: string;
  init_prologue: string;
  init_static?: string;
  init_ephemeral: string;
  init_remote_static?: string;
  resp_prologue: string;
  resp_static?: string;
  resp_ephemeral: string;
  handshake_hash: string;
  messages: { payload: string; ciphertext: string }[];
}

function ikVector(): NoiseVector {
  const url = new URL("../../../shared/vectors/noise_25519_aesgcm_sha256.json", import.meta.url);
  const doc = JSON.parse(Deno.readTextFileSync(url)) as { vectors: NoiseVector[] };
  const found = doc.vectors.filter((v) => v.protocol_name === NOISE_IK_PROTOCOL_NAME);
  assert.equal(found.length, 1, "exactly one IK vector");
  return found[0];
}

function pair(): { initiator: NoiseIkHandshake; responder: NoiseIkHandshake } {
  const initiatorStatic = generateX25519();
  const responderStatic = generateX25519();
  const prologue = new TextEncoder().encode("pilot-tunnel-v1\x00\x00\x01\x05");
  return {
    initiator: NoiseIkHandshake.initiator({
      prologue,
      staticKeys: initiatorStatic,
      remoteStaticPublicKey: responderStatic.publicKey,
    }),
    responder: NoiseIkHandshake.responder({ prologue, staticKeys: responderStatic }),
  };
}

Deno.test("NoiseIkHandshake reproduces the cacophony IK vector: messages, handshake hash, transport", () => {
  const v = ikVector();
  const initiator = NoiseIkHandshake.initiator({
    prologue: fromHex(v.init_prologue),
    staticKeys: x25519FromPrivate(fromHex(v.init_static!)),
    remoteStaticPublicKey: fromHex(v.init_remote_static!),
    ephemeralPrivateKey: fromHex(v.init_ephemeral),
  });
  const responder = NoiseIkHandshake.responder({
    prologue: fromHex(v.resp_prologue),
    staticKeys: x25519FromPrivate(fromHex(v.resp_static!)),
    ephemeralPrivateKey: fromHex(v.resp_ephemeral),
  });
  assert.ok(v.messages.length > 2, "the vector has transport messages");

  const [m1, m2, ...transport] = v.messages;
  const wire1 = initiator.writeMessage(fromHex(m1.payload));
  assert.equal(toHex(wire1), m1.ciphertext);
  assert.equal(toHex(responder.readMessage(wire1)!), m1.payload);
  assert.equal(toHex(responder.remoteStaticPublicKey!), toHex(x25519FromPrivate(fromHex(v.init_static!)).publicKey));

  const wire2 = responder.writeMessage(fromHex(m2.payload));
  assert.equal(toHex(wire2), m2.ciphertext);
  assert.equal(toHex(initiator.readMessage(wire2)!), m2.payload);

  assert.ok(initiator.isComplete && responder.isComplete);
  assert.equal(toHex(initiator.handshakeHash), v.handshake_hash);
  assert.equal(toHex(responder.handshakeHash), v.handshake_hash);
  assert.equal(toHex(initiator.split().handshakeHash), v.handshake_hash);

  const i = initiator.splitCipherStates();
  const r = responder.splitCipherStates();
  transport.forEach((m, index) => {
    // After the handshake the initiator sends the even-numbered messages, the responder the odd ones.
    const [sender, receiver] = index % 2 === 0 ? [i.send, r.receive] : [r.send, i.receive];
    const ciphertext = sender.encryptWithAd(new Uint8Array(0), fromHex(m.payload));
    assert.equal(toHex(ciphertext), m.ciphertext, `transport message ${index + 2}`);
    assert.equal(toHex(receiver.decryptWithAd(new Uint8Array(0), ciphertext)!), m.payload);
  });
});

Deno.test("NoiseIkHandshake split() gives both sides the same k_i2r and k_r2i", () => {
  const { initiator, responder } = pair();
  responder.readMessage(initiator.writeMessage(new Uint8Array(88)));
  initiator.readMessage(responder.writeMessage(new Uint8Array(8)));
  const a = initiator.split();
  const b = responder.split();
  assert.equal(toHex(a.initiatorToResponder), toHex(b.initiatorToResponder));
  assert.equal(toHex(a.responderToInitiator), toHex(b.responderToInitiator));
  assert.notEqual(toHex(a.initiatorToResponder), toHex(a.responderToInitiator));
});

Deno.test("NoiseIkHandshake messages have the PILH/PILR sizes for 88- and 8-byte payloads", () => {
  const { initiator, responder } = pair();
  const m1 = initiator.writeMessage(new Uint8Array(88));
  assert.equal(m1.length, 184);
  assert.equal(m1.length, NOISE_IK_MESSAGE1_OVERHEAD_BYTES + 88);
  responder.readMessage(m1);
  const m2 = responder.writeMessage(new Uint8Array(8));
  assert.equal(m2.length, 56);
  assert.equal(m2.length, NOISE_IK_MESSAGE2_OVERHEAD_BYTES + 8);
});

Deno.test("NoiseIkHandshake responder rejects a tampered message 1 and is then dead", () => {
  for (const index of [0, 40, 100, 183]) {
    const { initiator, responder } = pair();
    const m1 = initiator.writeMessage(new Uint8Array(88));
    m1[index] ^= 0x04;
    assert.equal(responder.readMessage(m1), null, `byte ${index}`);
    assert.ok(responder.hasFailed);
    assert.equal(responder.remoteStaticPublicKey, null);
    assert.throws(() => responder.writeMessage(new Uint8Array(8)), NoiseStateError);
  }
});

Deno.test("NoiseIkHandshake rejects a message 1 under another prologue or for another responder", () => {
  const { initiator } = pair();
  const m1 = initiator.writeMessage(new Uint8Array(88));
  const stranger = NoiseIkHandshake.responder({ prologue: new Uint8Array(0), staticKeys: generateX25519() });
  assert.equal(stranger.readMessage(m1), null);

  const s = generateX25519();
  const i2 = NoiseIkHandshake.initiator({
    prologue: Uint8Array.of(1),
    staticKeys: generateX25519(),
    remoteStaticPublicKey: s.publicKey,
  });
  const r2 = NoiseIkHandshake.responder({ prologue: Uint8Array.of(2), staticKeys: s });
  assert.equal(r2.readMessage(i2.writeMessage(new Uint8Array(0))), null);
});

Deno.test("NoiseIkHandshake responder rejects a short message 1 and a low-order ephemeral key", () => {
  const short = pair();
  assert.equal(short.responder.readMessage(new Uint8Array(NOISE_IK_MESSAGE1_OVERHEAD_BYTES - 1)), null);
  assert.ok(short.responder.hasFailed);

  const { initiator, responder } = pair();
  const m1 = initiator.writeMessage(new Uint8Array(0));
  m1.fill(0, 0, 32); // the point 0 has order 4: DH with it is all zeros
  assert.equal(responder.readMessage(m1), null);
  assert.ok(responder.hasFailed);
});

Deno.test("NoiseIkHandshake initiator rejects a short message 2", () => {
  const { initiator, responder } = pair();
  responder.readMessage(initiator.writeMessage(new Uint8Array(0)));
  assert.equal(initiator.readMessage(new Uint8Array(NOISE_IK_MESSAGE2_OVERHEAD_BYTES - 1)), null);
  assert.ok(initiator.hasFailed);
});

Deno.test("NoiseIkHandshake initiator rejects a tampered message 2", () => {
  const { initiator, responder } = pair();
  responder.readMessage(initiator.writeMessage(new Uint8Array(88)));
  const m2 = responder.writeMessage(new Uint8Array(8));
  m2[m2.length - 1] ^= 1;
  assert.equal(initiator.readMessage(m2), null);
  assert.throws(() => initiator.split(), NoiseStateError);
});

Deno.test("NoiseIkHandshake initiator refuses a low-order responder static key", () => {
  const initiator = NoiseIkHandshake.initiator({
    prologue: new Uint8Array(0),
    staticKeys: generateX25519(),
    remoteStaticPublicKey: new Uint8Array(32),
  });
  assert.throws(() => initiator.writeMessage(new Uint8Array(0)), InvalidArgumentError);
  assert.ok(initiator.hasFailed);
});

Deno.test("NoiseIkHandshake refuses out-of-turn calls and split() before completion", () => {
  const { initiator, responder } = pair();
  assert.throws(() => initiator.readMessage(new Uint8Array(56)), NoiseStateError);
  assert.throws(() => responder.writeMessage(new Uint8Array(0)), NoiseStateError);
  assert.throws(() => initiator.split(), NoiseStateError);
  initiator.writeMessage(new Uint8Array(0));
  assert.throws(() => initiator.writeMessage(new Uint8Array(0)), NoiseStateError);
});

Deno.test("SymmetricState starts from the zero-padded protocol name", () => {
  const ss = new SymmetricState(NOISE_IK_PROTOCOL_NAME);
  const expected = new Uint8Array(32);
  expected.set(new TextEncoder().encode(NOISE_IK_PROTOCOL_NAME));
  assert.equal(toHex(ss.handshakeHash), toHex(expected));
  assert.equal(ss.hasKey(), false);
  // Without a key EncryptAndHash is the identity.
  assert.equal(toHex(ss.encryptAndHash(Uint8Array.of(1, 2))), "0102");
});

Deno.test("CipherState does not advance its nonce when decryption fails", () => {
  const key = new Uint8Array(32).fill(7);
  const sender = new CipherState(key);
  const receiver = new CipherState(key);
  const c0 = sender.encryptWithAd(new Uint8Array(0), Uint8Array.of(1));
  const bad = c0.slice();
  bad[0] ^= 1;
  assert.equal(receiver.decryptWithAd(new Uint8Array(0), bad), null);
  assert.equal(receiver.nonce, 0n);
  assert.deepEqual(receiver.decryptWithAd(new Uint8Array(0), c0), Uint8Array.of(1));
  assert.equal(receiver.nonce, 1n);
});
