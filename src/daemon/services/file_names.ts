// Received-file names (PROTOCOL-BRIEF §9.2, CLI.md §1.8): a name chosen by a remote sender becomes one safe path
// component inside received/ — never a path, a hidden file, a Windows device, or a name longer than 200 bytes — and
// collisions get `-1`, `-2`, … before the extension.

/** Longest stored name, in UTF-8 bytes, suffix included. */
export const STORED_NAME_MAX_BYTES = 200;
/** What an empty (or all-stripped, `.`, `..`) name becomes. */
export const FALLBACK_FILE_NAME = "file";
/** Prefix that defuses a Windows device stem (`CON.txt` → `_CON.txt`). */
export const DEVICE_NAME_PREFIX = "_";

/** Characters Windows forbids in names (the separators `/` and `\\` are handled first). */
const FORBIDDEN_PUNCTUATION = '<>:"|?*';
const C0_END = 0x1f;
const DEL = 0x7f;
const C1_END = 0x9f;
const LEADING_DOTS_RE = /^\.+/;
const TRAILING_DOTS_SPACES_RE = /[. ]+$/;
const DEVICE_STEM_RE = /^(?:CON|PRN|AUX|NUL|COM[1-9]|LPT[1-9])$/i;

const encoder = new TextEncoder();

function utf8Length(text: string): number {
  return encoder.encode(text).length;
}

/** The longest prefix of `text` that fits in `maxBytes` of UTF-8, cut between code points. */
export function truncateUtf8(text: string, maxBytes: number): string {
  if (utf8Length(text) <= maxBytes) return text;
  let bytes = 0;
  let out = "";
  for (const ch of text) {
    const n = utf8Length(ch);
    if (bytes + n > maxBytes) break;
    bytes += n;
    out += ch;
  }
  return out;
}

/** C0 controls, DEL and C1 controls, and the punctuation Windows forbids. */
function isForbiddenChar(ch: string): boolean {
  const c = ch.codePointAt(0) ?? 0;
  return c <= C0_END || (c >= DEL && c <= C1_END) || FORBIDDEN_PUNCTUATION.includes(ch);
}

function stripForbidden(text: string): string {
  let out = "";
  for (const ch of text) if (!isForbiddenChar(ch)) out += ch;
  return out;
}

function trimDots(name: string): string {
  return name.replace(LEADING_DOTS_RE, "").replace(TRAILING_DOTS_SPACES_RE, "");
}

/** Splits at the last dot that is not the first character: `a.tar.gz` → [`a.tar`, `.gz`], `.x` never occurs here. */
function splitExtension(name: string): [string, string] {
  const dot = name.lastIndexOf(".");
  return dot > 0 ? [name.slice(0, dot), name.slice(dot)] : [name, ""];
}

/**
 * The §9.2 rules, in order: the last component after `/` and `\`; control characters and `<>:"|?*` removed;
 * leading dots and trailing dots/spaces trimmed; at most 200 bytes; empty → `file`; a device stem gets `_`.
 */
export function sanitizeFileName(raw: string): string {
  const last = raw.split(/[/\\]/).pop() ?? "";
  let name = trimDots(stripForbidden(last));
  name = trimDots(truncateUtf8(name, STORED_NAME_MAX_BYTES));
  if (name === "") return FALLBACK_FILE_NAME;
  // Windows resolves `CON.txt` and `con .log` to the device: the stem is what precedes the first dot.
  const stem = name.split(".")[0].replace(/ +$/, "");
  if (DEVICE_STEM_RE.test(stem)) {
    name = truncateUtf8(DEVICE_NAME_PREFIX + name, STORED_NAME_MAX_BYTES).replace(TRAILING_DOTS_SPACES_RE, "");
  }
  return name;
}

/**
 * The `n`-th collision variant of a sanitised name: `report.pdf` → `report-1.pdf`. The stem is shortened so the
 * result stays within 200 bytes.
 */
export function collisionName(name: string, n: number): string {
  if (n === 0) return name;
  const [stem, ext] = splitExtension(name);
  const suffix = `-${n}`;
  const room = STORED_NAME_MAX_BYTES - utf8Length(suffix) - utf8Length(ext);
  const keptExt = room > 0 ? ext : "";
  const keptStem = truncateUtf8(stem, STORED_NAME_MAX_BYTES - utf8Length(suffix) - utf8Length(keptExt));
  return `${keptStem}${suffix}${keptExt}`;
}

/** Names of stored files never start with a dot, so dot files in received/ are ours (partials, temporaries). */
export function isInternalName(name: string): boolean {
  return name.startsWith(".");
}
