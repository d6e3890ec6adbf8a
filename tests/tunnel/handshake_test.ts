import assert from "node:assert/strict";
import { computeMac1, generateIdentity, mac1Key, verifyMac1 } from "../../src/crypto/mod.ts";
import { bytesEqual, randomBytes, toHex } from "../../src/util/bytes.ts";
import { ManualClock } from "../../src/util/clock.ts";
import {
  consumeCookieReply,
  consumeResponse,
  createCookieReply,
  createResponse,
  Initiation,
  isPeerNodeId,
  localHandshakeIdentity,
  readInitiation,
  tunnelPrologue,
} from "../../src/tunnel/mod.ts";
import {
  classifyDatagram,
  PILC_BYTES,
  PILH_BYTES,
  PILH_MAC1_OFFSET,
  PILH_MAC2_OFFSET,
  PILR_BYTES,
  PILR_MAC1_OFFSET,
} from "../../src/wire/mod.ts";

const clock = new ManualClock();
const aliceId = generateIdentity(clock);
const bobId = generateIdentity(clock);
const alice = localHandshakeIdentity(0x101, aliceId);
const bob = localHandshakeIdentity(0x102, bobId);

function initiate(cookie: Uint8Array | null = null, from = alice, index = 7) {
  return Initiation.create(from, {
    responderNode: bob.nodeId,
    responderStatic: bobId.noisePublicKey,
    senderIndex: index,
    timestampMs: clock.now(),
    cookie,
  });
}

Deno.test("tunnelPrologue() is the label followed by the responder node id", () => {
  assert.equal(toHex(tunnelPrologue(0x0102a0b0)), toHex(new TextEncoder().encode("pilot-tunnel-v1")) + "0102a0b0");
});

Deno.test("isPeerNodeId() rejects reserved and broadcast node ids", () => {
  assert.equal(isPeerNodeId(0), false);
  assert.equal(isPeerNodeId(0xff), false);
  assert.equal(isPeerNodeId(0xffffffff), false);
  assert.equal(isPeerNodeId(0x100), true);
});

Deno.test("a full exchange yields PILH of 224 and PILR of 100 bytes and crossed transport keys", () => {
  const { frame: pilh, initiation } = initiate();
  assert.equal(pilh.length, PILH_BYTES);
  assert.equal(classifyDatagram(pilh).kind, "handshake_init");
  assert.ok(verifyMac1(mac1Key(bobId.noisePublicKey), pilh, PILH_MAC1_OFFSET));
  assert.ok(pilh.subarray(PILH_MAC2_OFFSET).every((b) => b === 0), "mac2 is zero without a cookie");

  const read = readInitiation(bob, pilh);
  assert.ok(read.ok);
  assert.equal(read.hello.initiatorNode, 0x101);
  assert.equal(read.hello.senderIndex, 7);
  assert.equal(read.hello.timestampMs, clock.now());
  assert.ok(bytesEqual(read.hello.initiatorStatic, aliceId.noisePublicKey));
  assert.equal(read.hello.noiseIssuedAt, aliceId.noiseIssuedAt);

  const { frame: pilr, keys: bobKeys } = createResponse(bob, read.hello, 99);
  assert.equal(pilr.length, PILR_BYTES);
  assert.equal(classifyDatagram(pilr).kind, "handshake_response");
  assert.ok(pilr.subarray(PILR_MAC1_OFFSET + 16).every((b) => b === 0), "PILR mac2 is always zero");

  const done = consumeResponse(alice, initiation, pilr);
  assert.ok(done.ok);
  assert.equal(done.responderIndex, 99);
  assert.ok(bytesEqual(done.keys.send, bobKeys.receive));
  assert.ok(bytesEqual(done.keys.receive, bobKeys.send));
  assert.ok(!bytesEqual(done.keys.send, done.keys.receive));
});

Deno.test("each PILH has a fresh ephemeral key", () => {
  const a = initiate().frame;
  const b = initiate().frame;
  assert.ok(!bytesEqual(a.subarray(8, 40), b.subarray(8, 40)));
});

Deno.test("a cookie adds mac2 over the frame up to the mac2 field", () => {
  const cookie = randomBytes(16);
  const { frame } = initiate(cookie);
  assert.ok(!frame.subarray(PILH_MAC2_OFFSET).every((b) => b === 0));
  assert.equal(
    toHex(frame.subarray(PILH_MAC2_OFFSET)),
    toHex(computeMac1(cookie, frame.subarray(0, PILH_MAC2_OFFSET))),
  );
});

Deno.test("readInitiation() fails with hs_decrypt for a PILH made for another responder", () => {
  const carol = generateIdentity(clock);
  const { frame } = Initiation.create(alice, {
    responderNode: bob.nodeId,
    responderStatic: carol.noisePublicKey,
    senderIndex: 1,
    timestampMs: clock.now(),
    cookie: null,
  });
  const read = readInitiation(bob, frame);
  assert.deepEqual(read, { ok: false, reason: "hs_decrypt" });
});

Deno.test("readInitiation() rejects a reserved or own initiator node id as hs_bad_payload", () => {
  const reserved = localHandshakeIdentity(0x20, aliceId);
  assert.deepEqual(readInitiation(bob, initiate(null, reserved).frame), { ok: false, reason: "hs_bad_payload" });
  const self = localHandshakeIdentity(bob.nodeId, aliceId);
  assert.deepEqual(readInitiation(bob, initiate(null, self).frame), { ok: false, reason: "hs_bad_payload" });
});

Deno.test("consumeResponse() drops a PILR whose mac1 is wrong even though its Noise content is valid", () => {
  const { frame: pilh, initiation } = initiate();
  const read = readInitiation(bob, pilh);
  assert.ok(read.ok);
  const { frame: pilr } = createResponse(bob, read.hello, 5);
  const bad = pilr.slice();
  bad[PILR_MAC1_OFFSET] ^= 1;
  assert.deepEqual(consumeResponse(alice, initiation, bad), { ok: false, reason: "bad_mac1" });
  assert.ok(consumeResponse(alice, initiation, pilr).ok);
});

Deno.test("a forged PILR with a valid mac1 fails and the genuine PILR still completes", () => {
  const { frame: pilh, initiation } = initiate();
  const read = readInitiation(bob, pilh);
  assert.ok(read.ok);
  const { frame: pilr } = createResponse(bob, read.hello, 5);
  // Anyone who knows Alice's static public key can compute mac1; the content is garbage.
  const forged = pilr.slice();
  forged.set(randomBytes(56), 12);
  forged.set(computeMac1(mac1Key(aliceId.noisePublicKey), forged.subarray(0, PILR_MAC1_OFFSET)), PILR_MAC1_OFFSET);
  assert.deepEqual(consumeResponse(alice, initiation, forged), { ok: false, reason: "hs_decrypt" });
  const done = consumeResponse(alice, initiation, pilr);
  assert.ok(done.ok);
});

Deno.test("a PILC cookie opens only against the mac1 of the PILH it answers", () => {
  const { frame, initiation } = initiate();
  const cookie = randomBytes(16);
  const pilc = createCookieReply(bob, 7, frame.subarray(PILH_MAC1_OFFSET, PILH_MAC2_OFFSET), cookie, randomBytes(12));
  assert.equal(pilc.length, PILC_BYTES);
  assert.equal(classifyDatagram(pilc).kind, "cookie_reply");
  assert.equal(toHex(consumeCookieReply(initiation, pilc)!), toHex(cookie));
  const other = initiate().initiation;
  assert.equal(consumeCookieReply(other, pilc), null);
  const tampered = pilc.slice();
  tampered[30] ^= 0x40;
  assert.equal(consumeCookieReply(initiation, tampered), null);
});
