// The `--to` of `expose` (CLI.md §3.9, PROTOCOL-BRIEF §8.3): where an exposed pilot port's connections go. Accepted
// forms: `host:port`, `[ipv6]:port`, or a bare port meaning `127.0.0.1:<port>`. The host is an IPv4 or IPv6 literal
// or a DNS name; it is resolved at each connection, not here.
import { InvalidArgumentError } from "../util/errors.ts";

/** Host used for a bare port. */
export const EXPOSE_DEFAULT_HOST = "127.0.0.1";
/** Longest accepted `--to` text (a full DNS name plus `:65535`, with room for brackets). */
export const EXPOSE_TARGET_MAX_CHARS = 300;
const DNS_NAME_MAX_CHARS = 253;
const PORT_MAX = 65_535;

export interface ExposeTarget {
  /** For Deno.connect: an IPv6 literal without brackets. */
  readonly hostname: string;
  readonly port: number;
  /** Canonical text: `127.0.0.1:3000`, `[::1]:3000`, `db.internal:5432`. */
  readonly text: string;
}

const DNS_LABEL_RE = /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;
const IPV4_RE = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;
const IPV6_RE = /^[0-9A-Fa-f:.]{2,45}$/;

function badTarget(text: string, why: string): InvalidArgumentError {
  const shown = text.length > 64 ? `${text.slice(0, 64)}…` : text;
  return new InvalidArgumentError(`invalid expose target "${shown}": ${why}`, {
    hint: "use host:port, or a port for 127.0.0.1",
    detail: "bad_address",
  });
}

function parseTargetPort(text: string, whole: string): number {
  const port = /^\d{1,5}$/.test(text) ? Number(text) : NaN;
  if (!(port >= 1 && port <= PORT_MAX)) throw badTarget(whole, "port must be 1-65535");
  return port;
}

function isHostName(host: string): boolean {
  if (host.length > DNS_NAME_MAX_CHARS) return false;
  const m = IPV4_RE.exec(host);
  if (m !== null) return m.slice(1).every((octet) => Number(octet) <= 255);
  // A dotted all-numeric name that is not a valid IPv4 literal (`1.2.3.999`) is a typo, not a DNS name.
  if (/^[\d.]+$/.test(host)) return false;
  return host.split(".").every((label) => DNS_LABEL_RE.test(label));
}

/** Parses `host:port`, `[ipv6]:port` or `port`; a bad form is `invalid_argument` detail `bad_address`. */
export function parseExposeTarget(text: string): ExposeTarget {
  if (text.length === 0) throw badTarget(text, "empty");
  if (text.length > EXPOSE_TARGET_MAX_CHARS) throw badTarget(text, "too long");
  if (/^\d+$/.test(text)) {
    const port = parseTargetPort(text, text);
    return { hostname: EXPOSE_DEFAULT_HOST, port, text: `${EXPOSE_DEFAULT_HOST}:${port}` };
  }
  if (text.startsWith("[")) {
    const close = text.indexOf("]");
    const host = close < 0 ? "" : text.slice(1, close);
    if (close < 0 || text[close + 1] !== ":" || !IPV6_RE.test(host) || !host.includes(":")) {
      throw badTarget(text, "want [ipv6]:port");
    }
    const port = parseTargetPort(text.slice(close + 2), text);
    return { hostname: host, port, text: `[${host}]:${port}` };
  }
  const colon = text.lastIndexOf(":");
  if (colon < 0) throw badTarget(text, "want host:port");
  const host = text.slice(0, colon);
  if (host.includes(":")) throw badTarget(text, "put an IPv6 address in brackets: [::1]:port");
  if (!isHostName(host)) throw badTarget(text, "bad host");
  const port = parseTargetPort(text.slice(colon + 1), text);
  return { hostname: host, port, text: `${host}:${port}` };
}
