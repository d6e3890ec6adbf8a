// Request field extraction and the validation rules of PROTOCOL-BRIEF §4.4: a missing or mistyped field is
// `bad_request`, a value failing its rule is `invalid_argument`, both naming `field`.
import { fromBase64Exact, utf8 } from "../util/bytes.ts";
import { formatEndpoint, parseAddr, parseEndpoint } from "../wire/mod.ts";
import { RegistryError } from "./protocol.ts";

export type Json = Record<string, unknown>;

const NAME_RE = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const TAG_RE = /^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$/;
const ALL_DIGITS_RE = /^[0-9]+$/;
export const RESERVED_NAMES: ReadonlySet<string> = new Set([
  "localhost",
  "backbone",
  "broadcast",
  "registry",
  "beacon",
  "nameserver",
]);
export const MAX_TAGS = 10;
/** Longer arrays are refused before any per-tag work. */
const MAX_TAG_INPUT = 64;
export const MAX_JUSTIFICATION_BYTES = 1024;
export const MAX_REASON_BYTES = 256;
export const MAX_OWNER_CHARS = 254;
export const MAX_LAN_ADDRS = 4;
export const TOKEN_MIN_CHARS = 16;
export const TOKEN_MAX_CHARS = 128;
const NODE_ID_MAX = 0xffffffff;

export function badRequest(field: string, what: string): RegistryError {
  return new RegistryError("bad_request", `field "${field}" ${what}`, { field });
}

export function invalid(field: string, message: string): RegistryError {
  return new RegistryError("invalid_argument", message, { field });
}

function quote(value: unknown): string {
  const text = typeof value === "string" ? value : JSON.stringify(value) ?? String(value);
  return JSON.stringify(text.length > 80 ? text.slice(0, 80) + "…" : text);
}

export function reqString(obj: Json, field: string): string {
  const v = obj[field];
  if (v === undefined) throw badRequest(field, "is missing");
  if (typeof v !== "string") throw badRequest(field, "must be a string");
  return v;
}

export function optString(obj: Json, field: string): string | undefined {
  return obj[field] === undefined ? undefined : reqString(obj, field);
}

export function reqInt(obj: Json, field: string, min: number, max: number): number {
  const v = obj[field];
  if (v === undefined) throw badRequest(field, "is missing");
  if (typeof v !== "number" || !Number.isSafeInteger(v)) throw badRequest(field, "must be an integer");
  if (v < min || v > max) throw invalid(field, `invalid ${field} ${v}: must be ${min}..${max}`);
  return v;
}

export function optInt(obj: Json, field: string, min: number, max: number): number | undefined {
  return obj[field] === undefined ? undefined : reqInt(obj, field, min, max);
}

export function reqBool(obj: Json, field: string): boolean {
  const v = obj[field];
  if (v === undefined) throw badRequest(field, "is missing");
  if (typeof v !== "boolean") throw badRequest(field, "must be true or false");
  return v;
}

export function optBool(obj: Json, field: string): boolean | undefined {
  return obj[field] === undefined ? undefined : reqBool(obj, field);
}

/** Base64 of exactly `length` bytes. */
export function reqBytes(obj: Json, field: string, length: number): Uint8Array {
  const text = reqString(obj, field);
  const bytes = fromBase64Exact(text, length);
  if (bytes === null) throw invalid(field, `invalid ${field}: must be base64 of ${length} bytes`);
  return bytes;
}

export function reqArray(obj: Json, field: string): unknown[] {
  const v = obj[field];
  if (v === undefined) throw badRequest(field, "is missing");
  if (!Array.isArray(v)) throw badRequest(field, "must be an array");
  return v;
}

export function reqObject(obj: Json, field: string): Json {
  const v = obj[field];
  if (v === undefined) throw badRequest(field, "is missing");
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw badRequest(field, "must be an object");
  return v as Json;
}

/** A node given as an integer id or as an address in text form (any network; the node part counts). */
export function reqNodeRef(obj: Json, field: string): number {
  const v = obj[field];
  if (v === undefined) throw badRequest(field, "is missing");
  if (typeof v === "number") {
    if (!Number.isSafeInteger(v) || v < 0 || v > NODE_ID_MAX) throw invalid(field, `invalid node id ${quote(v)}`);
    return v;
  }
  if (typeof v !== "string") throw badRequest(field, "must be a node id or an address");
  try {
    return parseAddr(v).node;
  } catch (err) {
    throw invalid(field, err instanceof Error ? err.message : `invalid address ${quote(v)}`);
  }
}

export function utf8Length(text: string): number {
  return utf8(text).length;
}

function checkName(kind: string, field: string, name: string): string {
  if (name.length < 1 || name.length > 63 || !NAME_RE.test(name)) {
    throw invalid(field, `invalid ${kind} ${quote(name)}: use 1-63 lower-case letters, digits and inner hyphens`);
  }
  if (ALL_DIGITS_RE.test(name)) throw invalid(field, `invalid ${kind} ${quote(name)}: must not be all digits`);
  if (RESERVED_NAMES.has(name)) throw invalid(field, `invalid ${kind} ${quote(name)}: the name is reserved`);
  return name;
}

export function validateHostname(name: string, field = "hostname"): string {
  return checkName("hostname", field, name);
}

export function validateNetworkName(name: string, field = "name"): string {
  return checkName("network name", field, name);
}

/** Tags after stripping one leading `#` and removing duplicates, in first-seen order. */
export function normalizeTags(value: unknown[], field = "tags"): string[] {
  if (value.length > MAX_TAG_INPUT) throw invalid(field, `too many tags: ${value.length}, at most ${MAX_TAGS}`);
  const out: string[] = [];
  for (const item of value) {
    if (typeof item !== "string") throw badRequest(field, "must be an array of strings");
    const tag = item.startsWith("#") ? item.slice(1) : item;
    if (!TAG_RE.test(tag)) {
      throw invalid(field, `invalid tag ${quote(item)}: use 1-32 lower-case letters, digits and inner hyphens`);
    }
    if (!out.includes(tag)) out.push(tag);
  }
  if (out.length > MAX_TAGS) throw invalid(field, `too many tags: ${out.length}, at most ${MAX_TAGS}`);
  return out;
}

/** An `ip:port` endpoint in canonical text form. */
export function validateEndpoint(text: unknown, field: string): string {
  if (typeof text !== "string") throw badRequest(field, "must be an ip:port string");
  const ep = parseEndpoint(text);
  if (ep === null) throw invalid(field, `invalid endpoint ${quote(text)}: want ip:port`);
  return formatEndpoint(ep);
}

export function optLanAddrs(obj: Json, field = "lan_addrs"): string[] | undefined {
  if (obj[field] === undefined) return undefined;
  const list = reqArray(obj, field);
  if (list.length > MAX_LAN_ADDRS) throw invalid(field, `too many lan_addrs: ${list.length}, at most ${MAX_LAN_ADDRS}`);
  return [...new Set(list.map((x) => validateEndpoint(x, field)))];
}

export function validateOwner(owner: string, field = "owner"): string {
  const at = owner.indexOf("@");
  // deno-lint-ignore no-control-regex
  if (owner.length > MAX_OWNER_CHARS || at < 1 || at === owner.length - 1 || /[\s\u0000-\u001f]/.test(owner)) {
    throw invalid(field, `invalid owner ${quote(owner)}: want an e-mail address of at most ${MAX_OWNER_CHARS} chars`);
  }
  return owner;
}
