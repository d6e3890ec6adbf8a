// Endpoint identity for the tunnel (PROTOCOL-BRIEF §3.1, §3.9): one canonical form per UDP source so comparisons,
// the beacon source check, cookies and per-source rate limits agree. IPv4-mapped IPv6 is normalised to IPv4.
import { cookieSourceForEndpoint, cookieSourceForRelay } from "../crypto/mod.ts";
import { concatBytes, u16be, utf8 } from "../util/bytes.ts";
import { ipFromText, ipToText } from "../wire/mod.ts";
import type { Endpoint, FrameSource, PeerPath } from "./types.ts";

/** The endpoint with its host in canonical text (dotted IPv4, RFC 5952 IPv6); other host names are kept. */
export function canonicalEndpoint(ep: Endpoint): Endpoint {
  const ip = ipFromText(stripBrackets(ep.hostname));
  return ip === null ? { hostname: ep.hostname, port: ep.port } : { hostname: ipToText(ip), port: ep.port };
}

function stripBrackets(host: string): string {
  return host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
}

/** `1.2.3.4:9001` or `[2001:db8::1]:9001`; the key under which endpoints compare. */
export function endpointKey(ep: Endpoint): string {
  const c = canonicalEndpoint(ep);
  return c.hostname.includes(":") ? `[${c.hostname}]:${c.port}` : `${c.hostname}:${c.port}`;
}

export function endpointsEqual(a: Endpoint, b: Endpoint): boolean {
  return endpointKey(a) === endpointKey(b);
}

/**
 * The §3.9 cookie input for a frame source: ip ‖ port, or the relay source node id. A host that is not an IP
 * literal (only in simulations) contributes its name's bytes instead.
 */
export function cookieSource(source: FrameSource): Uint8Array {
  if (source.kind === "relay") return cookieSourceForRelay(source.node);
  const host = stripBrackets(source.endpoint.hostname);
  const ip = ipFromText(host);
  if (ip !== null) return cookieSourceForEndpoint(ip, source.endpoint.port);
  return concatBytes(utf8(host), u16be(source.endpoint.port));
}

/** The per-source rate limit key: the source IP (not its port), or the relay source node. */
export function rateLimitKey(source: FrameSource): string {
  if (source.kind === "relay") return `relay:${source.node}`;
  return canonicalEndpoint(source.endpoint).hostname;
}

/** The path a reply to `source` takes: back to the address, or back through the relay. */
export function replyPath(source: FrameSource): PeerPath {
  return source.kind === "relay" ? { kind: "relay" } : { kind: "direct", endpoint: source.endpoint };
}

export function pathsEqual(a: PeerPath | null, b: PeerPath | null): boolean {
  if (a === null || b === null) return a === b;
  if (a.kind === "relay" || b.kind === "relay") return a.kind === b.kind;
  return endpointsEqual(a.endpoint, b.endpoint);
}
