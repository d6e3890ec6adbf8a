// mac1 / mac2 / cookie (PROTOCOL-BRIEF §3.9), checked against node:crypto as an independent SHA-256/HMAC.
import assert from "node:assert/strict";
import { createHash, createHmac } from "node:crypto";
import {
  computeMac1,
  computeMac2,
  COOKIE_SECRET_ROTATE_MS,
  cookieKey,
  CookieSecret,
  cookieSourceForEndpoint,
  cookieSourceForRelay,
  mac1Key,
  openCookie,
  sealCookie,
  verifyMac1,
  verifyMac2,
} from "../../src/crypto/mac.ts";
import { fromHex, toHex } from "../../src/util/bytes.ts";
import { ManualClock } from "../../src/util/clock.ts";
import { InvalidArgumentError } from "../../src/util/errors.ts";

const STATIC_PUB = fromHex("31e0303fd6418d2f8c0e78b91f22e8caed0fbe48656dcf4767e4834f701b8f62");
const PILH_MAC1_OFFSET = 192;
const PILH_MAC2_OFFSET = 208;

function sha256Hex(...parts: (string | Uint8Array)[]): string {
  const h = createHash("sha256");
  for (const p of parts) h.update(p);
  return h.digest("hex");
}

function hmacHex(key: Uint8Array, data: Uint8Array): string {
  return createHmac("sha256", key).update(data).digest("hex");
}

function fakePilh(): Uint8Array {
  const msg = crypto.getRandomValues(new Uint8Array(224));
  msg.fill(0, PILH_MAC1_OFFSET);
  return msg;
}

Deno.test("mac1Key() is SHA-256 of the label and the receiver's static key", () => {
  assert.equal(toHex(mac1Key(STATIC_PUB)), sha256Hex("pilot-mac1-v1", STATIC_PUB));
  assert.throws(() => mac1Key(new Uint8Array(31)), InvalidArgumentError);
});

Deno.test("cookieKey() is SHA-256 of its own label and the responder's static key", () => {
  assert.equal(toHex(cookieKey(STATIC_PUB)), sha256Hex("pilot-cookie-v1", STATIC_PUB));
  assert.notEqual(toHex(cookieKey(STATIC_PUB)), toHex(mac1Key(STATIC_PUB)));
});

Deno.test("computeMac1() is the first 16 bytes of HMAC-SHA256 over the covered prefix", () => {
  const key = mac1Key(STATIC_PUB);
  const msg = fakePilh();
  const mac = computeMac1(key, msg.subarray(0, PILH_MAC1_OFFSET));
  assert.equal(mac.length, 16);
  assert.equal(toHex(mac), hmacHex(key, msg.subarray(0, PILH_MAC1_OFFSET)).slice(0, 32));
});

Deno.test("verifyMac1() accepts the right mac1 and rejects any change to the covered bytes or key", () => {
  const key = mac1Key(STATIC_PUB);
  const msg = fakePilh();
  msg.set(computeMac1(key, msg.subarray(0, PILH_MAC1_OFFSET)), PILH_MAC1_OFFSET);
  assert.ok(verifyMac1(key, msg, PILH_MAC1_OFFSET));
  for (const index of [0, 100, PILH_MAC1_OFFSET - 1, PILH_MAC1_OFFSET, PILH_MAC1_OFFSET + 15]) {
    const bad = msg.slice();
    bad[index] ^= 1;
    assert.equal(verifyMac1(key, bad, PILH_MAC1_OFFSET), false, `byte ${index}`);
  }
  const otherKey = mac1Key(new Uint8Array(32).fill(9));
  assert.equal(verifyMac1(otherKey, msg, PILH_MAC1_OFFSET), false);
  // mac2 bytes are not covered by mac1.
  const withMac2 = msg.slice();
  withMac2[PILH_MAC2_OFFSET] ^= 0xff;
  assert.ok(verifyMac1(key, withMac2, PILH_MAC1_OFFSET));
  assert.equal(verifyMac1(key, msg.subarray(0, 200), PILH_MAC1_OFFSET), false);
});

Deno.test("computeMac2() covers mac1 too, and verifyMac2() checks it with the cookie", () => {
  const cookie = fromHex("00112233445566778899aabbccddeeff");
  const msg = fakePilh();
  msg.set(computeMac1(mac1Key(STATIC_PUB), msg.subarray(0, PILH_MAC1_OFFSET)), PILH_MAC1_OFFSET);
  const mac2 = computeMac2(cookie, msg.subarray(0, PILH_MAC2_OFFSET));
  assert.equal(toHex(mac2), hmacHex(cookie, msg.subarray(0, PILH_MAC2_OFFSET)).slice(0, 32));
  msg.set(mac2, PILH_MAC2_OFFSET);
  assert.ok(verifyMac2(cookie, msg, PILH_MAC2_OFFSET));
  const bad = msg.slice();
  bad[PILH_MAC1_OFFSET] ^= 1;
  assert.equal(verifyMac2(cookie, bad, PILH_MAC2_OFFSET), false);
  // An all-zero mac2 (no cookie held) never verifies.
  assert.equal(verifyMac2(cookie, fakePilh(), PILH_MAC2_OFFSET), false);
  assert.throws(() => computeMac2(new Uint8Array(15), msg), InvalidArgumentError);
});

Deno.test("cookieSourceForEndpoint() uses 4 bytes for IPv4 and IPv4-mapped IPv6, 16 for IPv6, then the port", () => {
  const v4 = cookieSourceForEndpoint({ family: 4, bytes: Uint8Array.of(192, 0, 2, 7) }, 9001);
  assert.equal(toHex(v4), "c00002072329");
  const mapped = fromHex("00000000000000000000ffffc0000207");
  assert.equal(toHex(cookieSourceForEndpoint({ family: 6, bytes: mapped }, 9001)), "c00002072329");
  const v6 = fromHex("20010db8000000000000000000000001");
  assert.equal(toHex(cookieSourceForEndpoint({ family: 6, bytes: v6 }, 1)), "20010db80000000000000000000000010001");
  assert.throws(
    () => cookieSourceForEndpoint({ family: 4, bytes: Uint8Array.of(1, 2, 3, 4) }, 65536),
    InvalidArgumentError,
  );
});

Deno.test("cookieSourceForRelay() is the source node id as u32", () => {
  assert.equal(toHex(cookieSourceForRelay(0x105)), "00000105");
  assert.throws(() => cookieSourceForRelay(-1), InvalidArgumentError);
});

Deno.test("CookieSecret gives HMAC(secret, source)[0..16], stable until 120 s pass, then a new secret", () => {
  const clock = new ManualClock();
  const secrets = [new Uint8Array(32).fill(1), new Uint8Array(32).fill(2)];
  let draws = 0;
  const jar = new CookieSecret(clock, () => secrets[draws++]);
  const source = cookieSourceForRelay(7);
  const first = jar.cookieFor(source);
  assert.equal(toHex(first), hmacHex(secrets[0], source).slice(0, 32));
  assert.notEqual(toHex(jar.cookieFor(cookieSourceForRelay(8))), toHex(first));
  clock.advance(COOKIE_SECRET_ROTATE_MS - 1);
  assert.equal(toHex(jar.cookieFor(source)), toHex(first));
  clock.advance(1);
  assert.equal(toHex(jar.cookieFor(source)), hmacHex(secrets[1], source).slice(0, 32));
  assert.equal(draws, 2);
});

Deno.test("CookieSecret.verifyMac2() accepts a message made with its cookie only before rotation", () => {
  const clock = new ManualClock();
  const jar = new CookieSecret(clock);
  const source = cookieSourceForEndpoint({ family: 4, bytes: Uint8Array.of(127, 0, 0, 1) }, 4000);
  const msg = fakePilh();
  msg.set(computeMac2(jar.cookieFor(source), msg.subarray(0, PILH_MAC2_OFFSET)), PILH_MAC2_OFFSET);
  assert.ok(jar.verifyMac2(source, msg, PILH_MAC2_OFFSET));
  assert.equal(jar.verifyMac2(cookieSourceForRelay(1), msg, PILH_MAC2_OFFSET), false);
  clock.advance(COOKIE_SECRET_ROTATE_MS);
  assert.equal(jar.verifyMac2(source, msg, PILH_MAC2_OFFSET), false);
});

Deno.test("sealCookie() / openCookie() round-trip 32 bytes bound to the triggering mac1", () => {
  const key = cookieKey(STATIC_PUB);
  const nonce = fromHex("0102030405060708090a0b0c");
  const cookie = fromHex("ffeeddccbbaa99887766554433221100");
  const mac1 = fromHex("a1a2a3a4a5a6a7a8a9aaabacadaeafb0");
  const sealed = sealCookie(key, nonce, cookie, mac1);
  assert.equal(sealed.length, 32);
  assert.deepEqual(openCookie(key, nonce, sealed, mac1), cookie);
  const otherMac1 = mac1.slice();
  otherMac1[0] ^= 1;
  assert.equal(openCookie(key, nonce, sealed, otherMac1), null);
  assert.equal(openCookie(cookieKey(new Uint8Array(32)), nonce, sealed, mac1), null);
  assert.equal(openCookie(key, nonce, sealed.subarray(0, 31), mac1), null);
  assert.equal(openCookie(key, nonce.subarray(0, 11), sealed, mac1), null);
  assert.throws(() => sealCookie(key, nonce, new Uint8Array(8), mac1), InvalidArgumentError);
});
