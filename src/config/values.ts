// Numeric and network value parsers of CLI.md §1.5: durations, ports, node ids, integers and host:port addresses.
// Flags, environment variables and config.json all go through these, so one input gives one answer everywhere.
import { InvalidArgumentError } from "../util/errors.ts";
import { ipFromText } from "../wire/mod.ts";

export const PORT_MAX = 65535;
export const NODE_ID_MAX = 0xffff_ffff;

const MS_PER_UNIT: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const PLAIN_SECONDS_RE = /^\d+(?:\.\d+)?$/;
const DURATION_RE = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h))+$/;
const DURATION_PART_RE = /(\d+(?:\.\d+)?)(ms|s|m|h)/g;

/** `500ms`, `10s`, `1m`, `1m30s`, `2h` or plain seconds (`10`, `0.5`) → whole milliseconds. */
export function parseDurationMs(text: string): number {
  let total: number;
  if (PLAIN_SECONDS_RE.test(text)) {
    total = Number(text) * 1000;
  } else if (DURATION_RE.test(text)) {
    total = 0;
    // matchAll works on a copy of the regex, so the shared /g pattern keeps no state between calls.
    for (const m of text.matchAll(DURATION_PART_RE)) total += Number(m[1]) * MS_PER_UNIT[m[2]];
  } else {
    total = NaN;
  }
  if (!Number.isFinite(total)) {
    throw new InvalidArgumentError(`invalid duration "${text}" (use 500ms, 10s, 1m30s or seconds)`);
  }
  return Math.round(total);
}

/** The inverse of parseDurationMs for messages: 500 → `500ms`, 10000 → `10s`, 90000 → `1m30s`. */
export function formatDurationMs(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms % 1000 !== 0) return `${Number((ms / 1000).toFixed(3))}s`;
  let secs = ms / 1000;
  const hours = Math.floor(secs / 3600);
  secs -= hours * 3600;
  const mins = Math.floor(secs / 60);
  secs -= mins * 60;
  let out = "";
  if (hours > 0) out += `${hours}h`;
  if (mins > 0) out += `${mins}m`;
  if (secs > 0 || out === "") out += `${secs}s`;
  return out;
}

/** A port `1`–`65535`, or `0` too when `allowZero` (listen addresses: an ephemeral port). */
export function parsePort(text: string, options: { allowZero?: boolean } = {}): number {
  if (!/^\d{1,5}$/.test(text)) throw new InvalidArgumentError("port must be 1-65535");
  const port = Number(text);
  const min = options.allowZero ? 0 : 1;
  if (port < min || port > PORT_MAX) throw new InvalidArgumentError("port must be 1-65535");
  return port;
}

/** A node id `1`–`4294967295` in decimal: no sign, no zero. */
export function parseNodeId(text: string): number {
  if (!/^\d{1,10}$/.test(text)) throw new InvalidArgumentError(`invalid node id "${text}"`);
  const id = Number(text);
  if (id < 1 || id > NODE_ID_MAX) throw new InvalidArgumentError(`invalid node id "${text}"`);
  return id;
}

/** A non-negative decimal integer; `what` names the value in the error (`--count`). */
export function parseNonNegativeInt(text: string, what: string): number {
  if (!/^\d{1,15}$/.test(text)) throw new InvalidArgumentError(`invalid number "${text}" for ${what}`);
  return Number(text);
}

/** A host and port; `host` is a name, an IPv4 literal or a bare IPv6 literal (brackets removed), or `""`. */
export interface HostPort {
  readonly host: string;
  readonly port: number;
}

export interface HostPortOptions {
  /** Port 0 (an ephemeral port) is accepted: listen addresses. */
  readonly listen?: boolean;
  /** An empty host (`:9000`, all interfaces) is accepted. */
  readonly allowEmptyHost?: boolean;
}

const HOST_NAME_RE =
  /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/** `host:port`, `[v6]:port`; the port is checked with parsePort. */
export function parseHostPort(text: string, options: HostPortOptions = {}): HostPort {
  const bad = () => new InvalidArgumentError(`invalid host:port "${text}"`);
  let host: string;
  let portText: string;
  if (text.startsWith("[")) {
    const close = text.indexOf("]");
    if (close < 0 || text[close + 1] !== ":") throw bad();
    host = text.slice(1, close);
    portText = text.slice(close + 2);
    if (!isIpv6(host)) throw bad();
  } else {
    const colon = text.lastIndexOf(":");
    if (colon < 0) throw bad();
    host = text.slice(0, colon);
    portText = text.slice(colon + 1);
    if (host === "" ? !options.allowEmptyHost : !(isIpv4(host) || HOST_NAME_RE.test(host))) throw bad();
  }
  if (portText === "") throw bad();
  return { host, port: parsePort(portText, { allowZero: options.listen }) };
}

/** Formats a HostPort back to text, bracketing IPv6 literals. */
export function formatHostPort(hp: HostPort): string {
  return hp.host.includes(":") ? `[${hp.host}]:${hp.port}` : `${hp.host}:${hp.port}`;
}

/** An `ip:port` (no names): endpoints and LAN dial candidates. */
export function parseIpPort(text: string): HostPort {
  const hp = parseHostPort(text);
  if (!isIpv4(hp.host) && !isIpv6(hp.host)) throw new InvalidArgumentError(`invalid ip:port "${text}"`);
  return hp;
}

export interface RegistryAddress {
  readonly tls: boolean;
  readonly host: string;
  readonly port: number;
}

const TLS_SCHEME = "tls://";

/** `host:port`, or `tls://host:port` for a TLS registry. */
export function parseRegistryAddress(text: string): RegistryAddress {
  const tls = text.startsWith(TLS_SCHEME);
  try {
    const hp = parseHostPort(tls ? text.slice(TLS_SCHEME.length) : text);
    return { tls, host: hp.host, port: hp.port };
  } catch (err) {
    if (err instanceof InvalidArgumentError && err.message.startsWith("port")) throw err;
    throw new InvalidArgumentError(`invalid registry address "${text}" (use host:port or tls://host:port)`);
  }
}

/** A dotted IPv4 literal. */
function isIpv4(text: string): boolean {
  return !text.includes(":") && ipFromText(text) !== null;
}

/** An IPv6 literal without brackets or zone. */
function isIpv6(text: string): boolean {
  return text.includes(":") && ipFromText(text) !== null;
}
