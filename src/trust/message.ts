// Trust messages (PROTOCOL-BRIEF §6.1): building and signing, strict validation of untrusted JSON, and verification.
//
//   sig = Ed25519.sign(key, "pilot-trust-v1\n" ‖ JCS(message minus "sig"))        (JCS = RFC 8785, §4.2)
//
// Parsing never throws on bad input: it returns a reason string. Unknown fields are refused, so the signed object is
// exactly the typed message we act on.
import { ed25519Verify } from "../crypto/mod.ts";
import { concatBytes, fromBase64Exact, toBase64, utf8 } from "../util/bytes.ts";
import { InvalidArgumentError } from "../util/errors.ts";
import { canonicalJson } from "../util/jcs.ts";
import {
  MAX_JUSTIFICATION_BYTES,
  MAX_PEER_NODE_ID,
  MAX_REASON_BYTES,
  MIN_PEER_NODE_ID,
  RELAY_MESSAGE_LIFETIME_MS,
  TRUST_NONCE_BYTES,
  TRUST_SIG_LABEL,
  TRUST_SIGNATURE_BYTES,
} from "./constants.ts";

export const TRUST_MESSAGE_TYPES = ["trust_request", "trust_approve", "trust_reject", "trust_revoke"] as const;
export type TrustMessageType = typeof TRUST_MESSAGE_TYPES[number];

/** A message before nonce and signature: what the pure state machine produces. */
export interface TrustMessageDraft {
  readonly type: TrustMessageType;
  readonly from: number;
  readonly to: number;
  readonly ts: number;
  readonly exp: number;
  /** `trust_request` only. */
  readonly justification?: string;
  /** `trust_reject` / `trust_revoke` only. */
  readonly reason?: string;
}

export interface UnsignedTrustMessage extends TrustMessageDraft {
  /** Base64 of 16 random bytes. */
  readonly nonce: string;
}

export interface TrustMessage extends UnsignedTrustMessage {
  /** Base64 of the 64-byte Ed25519 signature. */
  readonly sig: string;
}

/** Produces Ed25519 signatures with the node's current identity key. */
export interface TrustSigner {
  sign(message: Uint8Array): Uint8Array;
}

export type TrustParseResult =
  | { readonly ok: true; readonly message: TrustMessage }
  | { readonly ok: false; readonly reason: string };

const COMMON_FIELDS = ["type", "from", "to", "ts", "exp", "nonce", "sig"];
const ALLOWED_FIELDS: Readonly<Record<TrustMessageType, ReadonlySet<string>>> = {
  trust_request: new Set([...COMMON_FIELDS, "justification"]),
  trust_approve: new Set(COMMON_FIELDS),
  trust_reject: new Set([...COMMON_FIELDS, "reason"]),
  trust_revoke: new Set([...COMMON_FIELDS, "reason"]),
};

const LABEL_BYTES = utf8(TRUST_SIG_LABEL);
const LONE_SURROGATE_RE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export function isTrustMessageType(value: unknown): value is TrustMessageType {
  return typeof value === "string" && (TRUST_MESSAGE_TYPES as readonly string[]).includes(value);
}

export function isPeerNodeId(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= MIN_PEER_NODE_ID &&
    (value as number) <= MAX_PEER_NODE_ID;
}

/** UTF-8 length of a string, or -1 when it holds a lone surrogate (which has no UTF-8 form). */
export function utf8Length(text: string): number {
  return LONE_SURROGATE_RE.test(text) ? -1 : utf8(text).length;
}

/** The bytes an Ed25519 signature covers: label ‖ JCS of the message without `sig`. */
export function trustSigningBytes(message: UnsignedTrustMessage): Uint8Array {
  return concatBytes(LABEL_BYTES, utf8(canonicalJson(unsignedFields(message))));
}

/** Signs a message; throws InvalidArgumentError when the message breaks a §6.1 rule (a local bug or bad input). */
export function signTrustMessage(message: UnsignedTrustMessage, signer: TrustSigner): TrustMessage {
  const fields = unsignedFields(message);
  const problem = checkFields(fields as unknown as Record<string, unknown>);
  if (problem !== null) throw new InvalidArgumentError(`cannot sign trust message: ${problem}`);
  const sig = signer.sign(trustSigningBytes(message));
  return { ...fields, sig: toBase64(sig) };
}

/** Strict validation of an untrusted JSON value; never throws. */
export function parseTrustMessage(value: unknown): TrustParseResult {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return { ok: false, reason: "invalid trust message: not a JSON object" };
  }
  const obj = value as Record<string, unknown>;
  const problem = checkFields(obj);
  if (problem !== null) return { ok: false, reason: `invalid trust message: ${problem}` };
  if (fromBase64Exact(obj.sig, TRUST_SIGNATURE_BYTES) === null) {
    return { ok: false, reason: 'invalid trust message: field "sig" must be base64 of 64 bytes' };
  }
  const message: TrustMessage = {
    ...unsignedFields(obj as unknown as UnsignedTrustMessage),
    sig: obj.sig as string,
  };
  return { ok: true, message };
}

/** True when `sig` is a valid strict Ed25519 signature of the message by `publicKey`. */
export function verifyTrustMessage(message: TrustMessage, publicKey: Uint8Array): boolean {
  const sig = fromBase64Exact(message.sig, TRUST_SIGNATURE_BYTES);
  if (sig === null) return false;
  return ed25519Verify(publicKey, trustSigningBytes(message), sig);
}

/** A fresh copy holding exactly the signed fields (optional ones only when present). */
function unsignedFields(m: UnsignedTrustMessage): UnsignedTrustMessage {
  const out: {
    type: TrustMessageType;
    from: number;
    to: number;
    ts: number;
    exp: number;
    nonce: string;
    justification?: string;
    reason?: string;
  } = { type: m.type, from: m.from, to: m.to, ts: m.ts, exp: m.exp, nonce: m.nonce };
  if (m.justification !== undefined) out.justification = m.justification;
  if (m.reason !== undefined) out.reason = m.reason;
  return out;
}

/** The §6.1 rules for every field but `sig`; null when they all hold. */
function checkFields(obj: Record<string, unknown>): string | null {
  const type = obj.type;
  if (!isTrustMessageType(type)) return 'field "type" must be one of ' + TRUST_MESSAGE_TYPES.join(", ");
  const allowed = ALLOWED_FIELDS[type];
  for (const key of Object.keys(obj)) {
    if (!allowed.has(key)) {
      return `unexpected field "${key.slice(0, 32)}" in ${type}`;
    }
  }
  if (!isPeerNodeId(obj.from)) return 'field "from" must be a node id';
  if (!isPeerNodeId(obj.to)) return 'field "to" must be a node id';
  if (obj.from === obj.to) return 'fields "from" and "to" must differ';
  if (!isTimestamp(obj.ts)) return 'field "ts" must be a non-negative safe integer';
  if (!isTimestamp(obj.exp)) return 'field "exp" must be a non-negative safe integer';
  const ts = obj.ts as number;
  const exp = obj.exp as number;
  if (exp < ts || exp - ts > RELAY_MESSAGE_LIFETIME_MS) return 'field "exp" must lie within 7 days after "ts"';
  if (fromBase64Exact(obj.nonce, TRUST_NONCE_BYTES) === null) return 'field "nonce" must be base64 of 16 bytes';
  if (obj.justification !== undefined && !boundedText(obj.justification, MAX_JUSTIFICATION_BYTES)) {
    return `field "justification" must be a string of at most ${MAX_JUSTIFICATION_BYTES} bytes (UTF-8)`;
  }
  if (obj.reason !== undefined && !boundedText(obj.reason, MAX_REASON_BYTES)) {
    return `field "reason" must be a string of at most ${MAX_REASON_BYTES} bytes (UTF-8)`;
  }
  return null;
}

function isTimestamp(value: unknown): boolean {
  return Number.isSafeInteger(value) && (value as number) >= 0;
}

function boundedText(value: unknown, maxBytes: number): boolean {
  if (typeof value !== "string" || value.length > maxBytes) return false;
  const length = utf8Length(value);
  return length >= 0 && length <= maxBytes;
}
