// Binding the node's one UDP socket (PROTOCOL-BRIEF §3.1; CLI.md §3.1 `--listen`, default 0.0.0.0:0) and the LAN
// dial candidates announced at registration (§4.4: the bound address when it is not a wildcard, then config
// `lan_addrs`; interfaces are never enumerated).
import { parseHostPort } from "../config/mod.ts";
import type { NetAddr } from "../net/packet_conn.ts";
import { UdpPacketConn } from "../net/udp.ts";
import { AlreadyExistsError, InvalidArgumentError, PilotError } from "../util/errors.ts";

const WILDCARDS = new Set(["0.0.0.0", "::", ""]);

/** Binds `listen` (`host:port`); `port` overrides the port (a rebind after key rotation). */
export function bindUdp(listen: string, port?: number): UdpPacketConn {
  const hp = parseHostPort(listen, { listen: true, allowEmptyHost: true });
  const hostname = hp.host === "" ? "0.0.0.0" : hp.host;
  try {
    return UdpPacketConn.listen({ hostname, port: port ?? hp.port });
  } catch (err) {
    if (err instanceof Deno.errors.AddrInUse) {
      throw new AlreadyExistsError(`cannot listen on ${listen} (udp): address already in use`, {
        detail: "port_bound",
        hint: "choose another --listen port, or stop the program using it",
      });
    }
    if (err instanceof PilotError) throw err;
    throw new InvalidArgumentError(`cannot listen on ${listen} (udp): ${err instanceof Error ? err.message : err}`);
  }
}

/** The bound address (unless a wildcard) followed by the configured ones, at most `max`, without duplicates. */
export function lanAddrs(bound: NetAddr, configured: readonly string[], max: number): string[] {
  const out: string[] = [];
  if (!WILDCARDS.has(bound.hostname)) {
    out.push(bound.hostname.includes(":") ? `[${bound.hostname}]:${bound.port}` : `${bound.hostname}:${bound.port}`);
  }
  for (const a of configured) if (!out.includes(a)) out.push(a);
  return out.slice(0, max);
}
