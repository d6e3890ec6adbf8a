// Registry protocol constants shared by server and client (PROTOCOL-BRIEF §4): the error-code set and reply shape
// (§4.1), the signing label and canonical signed bytes (§4.2, §4.4 rotate_key, §6.1 trust messages), the message
// catalogue and the mapping of registry codes to CLI codes (§8.4).
import { concatBytes, u32be, u64be, utf8 } from "../util/bytes.ts";
import { canonicalJson } from "../util/jcs.ts";
import { type ErrorCode, PilotError } from "../util/errors.ts";

export const REGISTRY_PROTO_VERSION = 1;
export const REGISTRY_SIGN_LABEL = "pilot-registry-v1\n";
export const ROTATE_NEW_KEY_LABEL = "pilot-rotate-new-v1\n";
export const ROTATION_LABEL = "pilot-rotate-v1\n";
export const TRUST_SIGN_LABEL = "pilot-trust-v1\n";

export const HEARTBEAT_INTERVAL_S = 30;
/** A node is online while its last register/heartbeat is younger than this. */
export const ONLINE_EXPIRY_S = 180;
export const CHALLENGE_BYTES = 32;
export const CHALLENGE_TTL_MS = 30_000;
export const NONCE_BYTES = 16;
export const MAX_CLOCK_SKEW_MS = 300_000;
export const PUNCH_DELAY_MS = 250;

export const REGISTRY_ERROR_CODES = [
  "bad_request",
  "invalid_argument",
  "frame_too_large",
  "not_found",
  "unknown_type",
  "forbidden",
  "unauthenticated",
  "already_exists",
  "bad_signature",
  "limit_exceeded",
  "clock_skew",
  "rate_limited",
  "replay",
  "unavailable",
  "challenge_invalid",
  "internal",
] as const;
export type RegistryErrorCode = typeof REGISTRY_ERROR_CODES[number];

export function isRegistryErrorCode(value: unknown): value is RegistryErrorCode {
  return typeof value === "string" && (REGISTRY_ERROR_CODES as readonly string[]).includes(value);
}

/** Requests not authenticated by a node_id signature (`register` proves its key with a challenge instead). */
export const NODE_AUTH_EXEMPT_TYPES: ReadonlySet<string> = new Set(["hello", "register_begin", "register"]);

export const REQUEST_TYPES = [
  "hello",
  "register_begin",
  "register",
  "heartbeat",
  "lookup",
  "get_keys",
  "resolve_hostname",
  "find_by_tag",
  "set_hostname",
  "set_visibility",
  "set_tags",
  "deregister",
  "rotate_key",
  "network_create",
  "network_join",
  "network_leave",
  "network_invite",
  "network_list",
  "network_members",
  "handshake_request",
  "handshake_respond",
  "handshake_poll",
  "report_trust",
  "revoke_trust",
  "list_trust",
  "punch",
] as const;
export type RequestType = typeof REQUEST_TYPES[number];

/** A failure the server answers with an `error` frame (§4.1). */
export class RegistryError extends Error {
  readonly code: RegistryErrorCode;
  readonly field?: string;
  readonly retryAfterMs?: number;
  readonly serverTimeMs?: number;

  constructor(
    code: RegistryErrorCode,
    message: string,
    extra: { field?: string; retryAfterMs?: number; serverTimeMs?: number } = {},
  ) {
    super(message);
    this.name = "RegistryError";
    this.code = code;
    this.field = extra.field;
    this.retryAfterMs = extra.retryAfterMs;
    this.serverTimeMs = extra.serverTimeMs;
  }
}

export interface ErrorReply {
  type: "error";
  code: RegistryErrorCode;
  message: string;
  request_type: string;
  field?: string;
  retry_after_ms?: number;
  server_time_ms?: number;
  id?: number | string;
}

export function errorReply(err: RegistryError, requestType: string, id?: number | string): ErrorReply {
  const out: ErrorReply = { type: "error", code: err.code, message: err.message, request_type: requestType };
  if (err.field !== undefined) out.field = err.field;
  if (err.retryAfterMs !== undefined) out.retry_after_ms = err.retryAfterMs;
  if (err.serverTimeMs !== undefined) out.server_time_ms = err.serverTimeMs;
  if (id !== undefined) out.id = id;
  return out;
}

/** A copy of `obj` without the named keys (own data properties only, so `__proto__` stays a plain key). */
export function withoutKeys(obj: Record<string, unknown>, ...keys: string[]): Record<string, unknown> {
  return Object.fromEntries(Object.entries(obj).filter(([k]) => !keys.includes(k)));
}

/** `"pilot-registry-v1\n" ‖ JCS(request minus sig)`; rotate_key also leaves out `new_key_sig`. */
export function registrySignedBytes(request: Record<string, unknown>): Uint8Array {
  const omit = request.type === "rotate_key" ? ["sig", "new_key_sig"] : ["sig"];
  return utf8(REGISTRY_SIGN_LABEL + canonicalJson(withoutKeys(request, ...omit)));
}

/** What the new key signs in rotate_key: the same object as the current key, under its own label. */
export function rotateNewKeySignedBytes(request: Record<string, unknown>): Uint8Array {
  return utf8(ROTATE_NEW_KEY_LABEL + canonicalJson(withoutKeys(request, "sig", "new_key_sig")));
}

/** `"pilot-rotate-v1\n" ‖ node_id u32 ‖ new_public_key(32) ‖ rotated_at_ms u64`, signed by the old key. */
export function rotationSignedBytes(nodeId: number, newPublicKey: Uint8Array, rotatedAtMs: number): Uint8Array {
  return concatBytes(utf8(ROTATION_LABEL), u32be(nodeId), newPublicKey, u64be(rotatedAtMs));
}

/** `"pilot-trust-v1\n" ‖ JCS(message minus sig)` (§6.1). */
export function trustSignedBytes(message: Record<string, unknown>): Uint8Array {
  return utf8(TRUST_SIGN_LABEL + canonicalJson(withoutKeys(message, "sig")));
}

const CLI_CODE: Record<RegistryErrorCode, ErrorCode> = {
  bad_request: "internal",
  unknown_type: "internal",
  frame_too_large: "internal",
  invalid_argument: "invalid_argument",
  limit_exceeded: "invalid_argument",
  not_found: "not_found",
  already_exists: "already_exists",
  forbidden: "unauthorized",
  unauthenticated: "unauthorized",
  bad_signature: "unauthorized",
  replay: "unauthorized",
  challenge_invalid: "unauthorized",
  clock_skew: "unauthorized",
  rate_limited: "connection_failed",
  unavailable: "connection_failed",
  internal: "internal",
};

/** A registry `error` reply as the CLI sees it (§8.4): mapped code, `detail` = the registry code. */
export class RegistryRequestError extends PilotError {
  readonly registryCode: RegistryErrorCode;
  readonly requestType: string;
  readonly field?: string;
  readonly retryAfterMs?: number;
  readonly serverTimeMs?: number;

  constructor(reply: Omit<ErrorReply, "type" | "id">) {
    super(CLI_CODE[reply.code], reply.message, { detail: reply.code });
    this.name = "RegistryRequestError";
    this.registryCode = reply.code;
    this.requestType = reply.request_type;
    this.field = reply.field;
    this.retryAfterMs = reply.retry_after_ms;
    this.serverTimeMs = reply.server_time_ms;
  }
}

export function cliCodeFor(code: RegistryErrorCode): ErrorCode {
  return CLI_CODE[code];
}
