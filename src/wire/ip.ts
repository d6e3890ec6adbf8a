// IP addresses and UDP endpoints as they appear in beacon messages (PROTOCOL-BRIEF §5.1, `ip_len ‖ ip ‖ port`) and
// as `ip:port` text in registry JSON (§4.4 endpoints, lan_addrs). IPv4-mapped IPv6 (::ffff:a.b.c.d) is normalised to
// IPv4 everywhere (§3.1, §3.9), so one host has one form. Text parsers return null instead of throwing: their input
// comes from the network and config, and each caller words its own error.
export type Ip = { readonly family: 4 | 6; readonly bytes: Uint8Array };
export type IpEndpoint = { readonly ip: Ip; readonly port: number };

export const IPV4_BYTES = 4;
export const IPV6_BYTES = 16;

const IPV4_PART_RE = /^(0|[1-9][0-9]{0,2})$/;
const IPV6_GROUP_RE = /^[0-9A-Fa-f]{1,4}$/;
const PORT_RE = /^[0-9]{1,5}$/;

function isV4Mapped(b: Uint8Array): boolean {
  for (let i = 0; i < 10; i++) if (b[i] !== 0) return false;
  return b[10] === 0xff && b[11] === 0xff;
}

/** An Ip from 4 or 16 raw bytes (copied), IPv4-mapped IPv6 normalised; null for any other length. */
export function ipFromBytes(bytes: Uint8Array): Ip | null {
  if (bytes.length === IPV4_BYTES) return { family: 4, bytes: bytes.slice() };
  if (bytes.length !== IPV6_BYTES) return null;
  if (isV4Mapped(bytes)) return { family: 4, bytes: bytes.slice(12) };
  return { family: 6, bytes: bytes.slice() };
}

/** The same address with IPv4-mapped IPv6 turned into IPv4. */
export function normalizeIp(ip: Ip): Ip {
  return ip.family === 6 && isV4Mapped(ip.bytes) ? { family: 4, bytes: ip.bytes.slice(12) } : ip;
}

export function ipEquals(a: Ip, b: Ip): boolean {
  if (a.family !== b.family || a.bytes.length !== b.bytes.length) return false;
  for (let i = 0; i < a.bytes.length; i++) if (a.bytes[i] !== b.bytes[i]) return false;
  return true;
}

/** Dotted decimal for IPv4; RFC 5952 text (lower case, longest zero run compressed) for IPv6. */
export function ipToText(ip: Ip): string {
  const b = ip.bytes;
  if (ip.family === 4) return `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
  if (isV4Mapped(b)) return `::ffff:${b[12]}.${b[13]}.${b[14]}.${b[15]}`;
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((b[i] << 8) | b[i + 1]);
  let bestStart = -1;
  let bestLen = 1; // RFC 5952 §4.2.2: a single zero group is not compressed
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) [bestStart, bestLen] = [i, j - i];
    i = j;
  }
  const hex = (g: number[]) => g.map((x) => x.toString(16)).join(":");
  if (bestStart < 0) return hex(groups);
  return `${hex(groups.slice(0, bestStart))}::${hex(groups.slice(bestStart + bestLen))}`;
}

function parseV4(text: string, out: Uint8Array, offset: number): boolean {
  const parts = text.split(".");
  if (parts.length !== 4) return false;
  for (let i = 0; i < 4; i++) {
    if (!IPV4_PART_RE.test(parts[i])) return false;
    const v = Number(parts[i]);
    if (v > 255) return false;
    out[offset + i] = v;
  }
  return true;
}

function parseV6Groups(text: string, out: number[]): boolean {
  if (text === "") return true;
  for (const g of text.split(":")) {
    if (!IPV6_GROUP_RE.test(g)) return false;
    out.push(parseInt(g, 16));
  }
  return true;
}

function parseV6(text: string): Uint8Array | null {
  const bytes = new Uint8Array(IPV6_BYTES);
  let body = text;
  const tail: number[] = [];
  // An embedded IPv4 address may only form the last 32 bits.
  const lastColon = body.lastIndexOf(":");
  if (body.indexOf(".", lastColon) >= 0) {
    const v4 = new Uint8Array(4);
    if (lastColon < 0 || !parseV4(body.slice(lastColon + 1), v4, 0)) return null;
    tail.push((v4[0] << 8) | v4[1], (v4[2] << 8) | v4[3]);
    body = body.slice(0, lastColon + 1);
    if (body.endsWith(":") && !body.endsWith("::")) body = body.slice(0, -1);
  }
  const halves = body.split("::");
  if (halves.length > 2) return null;
  const head: number[] = [];
  const rest: number[] = [];
  if (!parseV6Groups(halves[0], head)) return null;
  if (halves.length === 2 && !parseV6Groups(halves[1], rest)) return null;
  rest.push(...tail);
  const total = head.length + rest.length;
  if (halves.length === 1 ? total !== 8 : total > 7) return null;
  const groups = [...head, ...new Array<number>(8 - total).fill(0), ...rest];
  for (let i = 0; i < 8; i++) {
    bytes[2 * i] = groups[i] >>> 8;
    bytes[2 * i + 1] = groups[i] & 0xff;
  }
  return bytes;
}

/** Parses dotted IPv4 (no leading zeros) or IPv6 text without zone or brackets; normalised; null if invalid. */
export function ipFromText(text: string): Ip | null {
  if (typeof text !== "string" || text.length === 0 || text.length > 45) return null;
  if (text.includes(":")) {
    const bytes = parseV6(text);
    return bytes === null ? null : normalizeIp({ family: 6, bytes });
  }
  const bytes = new Uint8Array(IPV4_BYTES);
  return parseV4(text, bytes, 0) ? { family: 4, bytes } : null;
}

/** `1.2.3.4:9001` or `[2001:db8::1]:9001`. */
export function formatEndpoint(ep: IpEndpoint): string {
  return ep.ip.family === 4 ? `${ipToText(ep.ip)}:${ep.port}` : `[${ipToText(ep.ip)}]:${ep.port}`;
}

/** Parses `ip:port` (IPv6 in brackets), port 1–65535; null if invalid. */
export function parseEndpoint(text: string): IpEndpoint | null {
  if (typeof text !== "string") return null;
  const colon = text.lastIndexOf(":");
  if (colon < 0) return null;
  const portText = text.slice(colon + 1);
  if (!PORT_RE.test(portText)) return null;
  const port = Number(portText);
  if (port < 1 || port > 0xffff) return null;
  let host = text.slice(0, colon);
  if (host.startsWith("[") && host.endsWith("]")) {
    host = host.slice(1, -1);
    if (!host.includes(":")) return null;
  } else if (host.includes(":")) {
    return null;
  }
  const ip = ipFromText(host);
  return ip === null ? null : { ip, port };
}
