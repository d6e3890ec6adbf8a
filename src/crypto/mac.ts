// Handshake flood protection (PROTOCOL-BRIEF §3.9): mac1 proves the sender knows the receiver's static key and is
// checked before any public-key work; mac2 proves the sender can receive at its source address (a cookie from PILC).
//
//   mac1_key   = SHA-256("pilot-mac1-v1" ‖ receiver_static_pub)
//   mac1       = HMAC-SHA256(mac1_key, msg[0 .. mac1 offset))[0..16]
//   cookie     = HMAC-SHA256(secret, src_ip ‖ src_port u16  |  relay source node id u32)[0..16]
//   mac2       = HMAC-SHA256(cookie, msg[0 .. mac2 offset))[0..16]
//   cookie_key = SHA-256("pilot-cookie-v1" ‖ responder_static_pub); PILC body = AES-256-GCM(cookie_key, nonce, cookie,
//                AAD = mac1 of the triggering message)
import { aesGcmOpen, aesGcmSeal, GCM_NONCE_BYTES, GCM_TAG_BYTES } from "./aead.ts";
import { hmacSha256, sha256 } from "./hash.ts";
import { constantTimeEqual, randomBytes, u16be, u32be, utf8 } from "../util/bytes.ts";
import type { Clock } from "../util/clock.ts";
import { InvalidArgumentError } from "../util/errors.ts";
import { type Ip, normalizeIp } from "../wire/ip.ts";

export const MAC_BYTES = 16;
export const COOKIE_BYTES = 16;
export const COOKIE_NONCE_BYTES = GCM_NONCE_BYTES;
export const SEALED_COOKIE_BYTES = COOKIE_BYTES + GCM_TAG_BYTES;
export const COOKIE_SECRET_BYTES = 32;
/** The responder replaces its cookie secret this often; an initiator keeps a received cookie as long. */
export const COOKIE_SECRET_ROTATE_MS = 120_000;

const MAC1_LABEL = utf8("pilot-mac1-v1");
const COOKIE_LABEL = utf8("pilot-cookie-v1");
const STATIC_KEY_BYTES = 32;

function checkStaticKey(key: Uint8Array): void {
  if (key.length !== STATIC_KEY_BYTES) {
    throw new InvalidArgumentError(`invalid static public key: ${key.length} bytes, want ${STATIC_KEY_BYTES}`);
  }
}

/** The key for mac1 on messages sent to the owner of `receiverStaticPublicKey`; cache it per peer. */
export function mac1Key(receiverStaticPublicKey: Uint8Array): Uint8Array {
  checkStaticKey(receiverStaticPublicKey);
  return sha256(MAC1_LABEL, receiverStaticPublicKey);
}

/** mac1 over the bytes before the mac1 field. */
export function computeMac1(key: Uint8Array, covered: Uint8Array): Uint8Array {
  return hmacSha256(key, covered).slice(0, MAC_BYTES);
}

/** mac2 over the bytes before the mac2 field, keyed by the cookie the responder sent. */
export function computeMac2(cookie: Uint8Array, covered: Uint8Array): Uint8Array {
  if (cookie.length !== COOKIE_BYTES) throw new InvalidArgumentError(`invalid cookie: ${cookie.length} bytes`);
  return hmacSha256(cookie, covered).slice(0, MAC_BYTES);
}

/** True when `message` carries a valid mac1 at `mac1Offset`; constant time in the MAC's content. */
export function verifyMac1(key: Uint8Array, message: Uint8Array, mac1Offset: number): boolean {
  if (mac1Offset < 0 || mac1Offset + MAC_BYTES > message.length) return false;
  const expected = computeMac1(key, message.subarray(0, mac1Offset));
  return constantTimeEqual(expected, message.subarray(mac1Offset, mac1Offset + MAC_BYTES));
}

/** True when `message` carries at `mac2Offset` the mac2 made with `cookie`. */
export function verifyMac2(cookie: Uint8Array, message: Uint8Array, mac2Offset: number): boolean {
  if (mac2Offset < 0 || mac2Offset + MAC_BYTES > message.length) return false;
  const expected = computeMac2(cookie, message.subarray(0, mac2Offset));
  return constantTimeEqual(expected, message.subarray(mac2Offset, mac2Offset + MAC_BYTES));
}

/** The cookie input for a datagram that came directly: ip (4 bytes for IPv4 and IPv4-mapped, else 16) ‖ port. */
export function cookieSourceForEndpoint(ip: Ip, port: number): Uint8Array {
  if (!Number.isInteger(port) || port < 0 || port > 0xffff) throw new InvalidArgumentError(`invalid port ${port}`);
  const bytes = normalizeIp(ip).bytes;
  const out = new Uint8Array(bytes.length + 2);
  out.set(bytes, 0);
  out.set(u16be(port), bytes.length);
  return out;
}

/** The cookie input for a frame that came through the relay: the relay header's source node id. */
export function cookieSourceForRelay(sourceNodeId: number): Uint8Array {
  if (!Number.isInteger(sourceNodeId) || sourceNodeId < 0 || sourceNodeId > 0xffffffff) {
    throw new InvalidArgumentError(`invalid node id ${sourceNodeId}`);
  }
  return u32be(sourceNodeId);
}

/** The responder's rotating cookie secret: 32 random bytes, replaced when 120 s old (monotonic clock). */
export class CookieSecret {
  readonly #clock: Clock;
  readonly #random: (n: number) => Uint8Array;
  #secret: Uint8Array;
  #createdAt: number;

  constructor(clock: Clock, random: (n: number) => Uint8Array = randomBytes) {
    this.#clock = clock;
    this.#random = random;
    this.#secret = random(COOKIE_SECRET_BYTES);
    this.#createdAt = clock.monotonic();
  }

  /** The cookie a source must prove it received, under the current secret. */
  cookieFor(source: Uint8Array): Uint8Array {
    const now = this.#clock.monotonic();
    if (now - this.#createdAt >= COOKIE_SECRET_ROTATE_MS) {
      this.#secret = this.#random(COOKIE_SECRET_BYTES);
      this.#createdAt = now;
    }
    return hmacSha256(this.#secret, source).slice(0, COOKIE_BYTES);
  }

  /** mac2 check for a message from `source`: the responder side of verifyMac2(). */
  verifyMac2(source: Uint8Array, message: Uint8Array, mac2Offset: number): boolean {
    return verifyMac2(this.cookieFor(source), message, mac2Offset);
  }
}

/** The key that encrypts cookies sent by the owner of `responderStaticPublicKey`. */
export function cookieKey(responderStaticPublicKey: Uint8Array): Uint8Array {
  checkStaticKey(responderStaticPublicKey);
  return sha256(COOKIE_LABEL, responderStaticPublicKey);
}

/** The PILC cookie field: AES-256-GCM of the cookie with AAD = the mac1 of the message being answered. */
export function sealCookie(key: Uint8Array, nonce: Uint8Array, cookie: Uint8Array, mac1: Uint8Array): Uint8Array {
  if (cookie.length !== COOKIE_BYTES) throw new InvalidArgumentError(`invalid cookie: ${cookie.length} bytes`);
  return aesGcmSeal(key, nonce, cookie, mac1);
}

/** The cookie from a PILC, or null when it does not authenticate against the mac1 we sent. */
export function openCookie(
  key: Uint8Array,
  nonce: Uint8Array,
  sealed: Uint8Array,
  mac1: Uint8Array,
): Uint8Array | null {
  if (nonce.length !== COOKIE_NONCE_BYTES || sealed.length !== SEALED_COOKIE_BYTES) return null;
  return aesGcmOpen(key, nonce, sealed, mac1);
}
