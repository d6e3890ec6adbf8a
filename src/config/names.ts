// Name-like value parsers of CLI.md §1.5: hostnames, network names, tags, emails, and webhook URLs (§3.10).
import { InvalidArgumentError } from "../util/errors.ts";

export const HOSTNAME_MAX_CHARS = 63;
export const TAG_MAX_CHARS = 32;
export const TAGS_MAX = 10;
export const EMAIL_MAX_CHARS = 254;

/** Names no node or network may take: they would shadow well-known services. */
export const RESERVED_NAMES: readonly string[] = [
  "localhost",
  "backbone",
  "broadcast",
  "registry",
  "beacon",
  "nameserver",
];

const LABEL_RE = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/;

function isValidName(text: string): boolean {
  return LABEL_RE.test(text) && !/^\d+$/.test(text) && !RESERVED_NAMES.includes(text);
}

/** A hostname: 1–63 of `a-z0-9-`, alphanumeric at both ends, not all digits, not reserved. */
export function parseHostname(text: string): string {
  if (text.length > HOSTNAME_MAX_CHARS) {
    throw new InvalidArgumentError(`hostname too long (max ${HOSTNAME_MAX_CHARS} characters)`);
  }
  if (!isValidName(text)) throw new InvalidArgumentError(`invalid hostname "${text}"`);
  return text;
}

/** A network name follows the hostname rules. */
export function parseNetworkName(text: string): string {
  if (text.length > HOSTNAME_MAX_CHARS) {
    throw new InvalidArgumentError(`network name too long (max ${HOSTNAME_MAX_CHARS} characters)`);
  }
  if (!isValidName(text)) throw new InvalidArgumentError(`invalid network name "${text}"`);
  return text;
}

/** A tag: 1–32 of `a-z0-9-`, alphanumeric at both ends; a leading `#` is dropped. */
export function parseTag(text: string): string {
  const tag = text.startsWith("#") ? text.slice(1) : text;
  if (tag.length > TAG_MAX_CHARS || !LABEL_RE.test(tag)) throw new InvalidArgumentError(`invalid tag "${text}"`);
  return tag;
}

/** A tag list: each parsed, duplicates removed (first occurrence kept), at most 10. */
export function parseTags(texts: readonly string[]): string[] {
  const tags: string[] = [];
  for (const text of texts) {
    const tag = parseTag(text);
    if (!tags.includes(tag)) tags.push(tag);
  }
  if (tags.length > TAGS_MAX) throw new InvalidArgumentError(`too many tags (max ${TAGS_MAX})`);
  return tags;
}

const EMAIL_LOCAL_RE = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;
const EMAIL_DOMAIN_RE = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$/;
const EMAIL_LOCAL_MAX_CHARS = 64;

/** `local@domain.tld`, at most 254 characters. */
export function parseEmail(text: string): string {
  const at = text.lastIndexOf("@");
  const local = text.slice(0, at);
  const domain = text.slice(at + 1);
  const ok = at > 0 && text.length <= EMAIL_MAX_CHARS && local.length <= EMAIL_LOCAL_MAX_CHARS &&
    EMAIL_LOCAL_RE.test(local) && EMAIL_DOMAIN_RE.test(domain);
  if (!ok) throw new InvalidArgumentError(`invalid email "${text}"`);
  return text;
}

/** An `http://` or `https://` URL with a host. */
export function parseWebhookUrl(text: string): string {
  let url: URL | null = null;
  try {
    url = new URL(text);
  } catch {
    // reported below
  }
  if (url === null || (url.protocol !== "http:" && url.protocol !== "https:") || url.hostname === "") {
    throw new InvalidArgumentError(`invalid webhook URL "${text}" (use http:// or https://)`);
  }
  return text;
}
