// NAT lab support: the address plan, the per-run names, and the iptables rule sets of the lab's routers (pure
// functions, no I/O). Addresses come only from 198.18.0.0/15 (RFC 2544 benchmarking range) so lab traffic can never be
// mistaken for, or routed to, a real network.
//
//   "public" segment 198.18.0.0/24: public (bridge, registry + beacon) .1, routerA WAN .10, routerB WAN .20
//   LAN A 198.18.1.0/24: routerA .1, hostA .2          LAN B 198.18.2.0/24: routerB .1, hostB .2

export type NatKind = "none" | "cone" | "symmetric";
export type LabRouter = "routerA" | "routerB";
export type LabHost = "hostA" | "hostB";
export type LabNode = "public" | LabRouter | LabHost;

export const PUBLIC_PREFIX_LEN = 24;
export const PUBLIC_NET = "198.18.0";
export const PUBLIC_ADDR = "198.18.0.1";
export const INITIAL_WAN_ADDR: Readonly<Record<LabRouter, string>> = { routerA: "198.18.0.10", routerB: "198.18.0.20" };
/** Host numbers on the public segment that setWanAddress() picks from when not told an address. */
export const REBIND_FIRST_HOST = 100;
export const REBIND_LAST_HOST = 199;

export interface LanPlan {
  readonly subnet: string;
  readonly routerAddr: string;
  readonly hostAddr: string;
  readonly prefixLen: number;
}

export const LAN: Readonly<Record<LabRouter, LanPlan>> = {
  routerA: { subnet: "198.18.1.0/24", routerAddr: "198.18.1.1", hostAddr: "198.18.1.2", prefixLen: 24 },
  routerB: { subnet: "198.18.2.0/24", routerAddr: "198.18.2.1", hostAddr: "198.18.2.2", prefixLen: 24 },
};

export const HOST_ROUTER: Readonly<Record<LabHost, LabRouter>> = { hostA: "routerA", hostB: "routerB" };
export const OTHER_ROUTER: Readonly<Record<LabRouter, LabRouter>> = { routerA: "routerB", routerB: "routerA" };

/** Namespace and interface names of one lab run; every one carries the run's random prefix. */
export interface LabNames {
  readonly ns: Readonly<Record<LabNode, string>>;
  /** Bridge in the public namespace forming the public segment. */
  readonly bridge: string;
  /** Each router's WAN leg (same name in both router namespaces). */
  readonly wan: string;
  /** The public-namespace end of each router's WAN veth, enslaved to the bridge. */
  readonly bridgePort: Readonly<Record<LabRouter, string>>;
  /** Each router's LAN leg. */
  readonly lan: string;
  /** Each host's only interface. */
  readonly hostEth: string;
}

export function labNames(prefix: string): LabNames {
  return {
    ns: {
      public: `${prefix}-pub`,
      routerA: `${prefix}-ra`,
      routerB: `${prefix}-rb`,
      hostA: `${prefix}-ha`,
      hostB: `${prefix}-hb`,
    },
    bridge: `${prefix}-br`,
    wan: `${prefix}-wan`,
    bridgePort: { routerA: `${prefix}-pa`, routerB: `${prefix}-pb` },
    lan: `${prefix}-lan`,
    hostEth: `${prefix}-eth`,
  };
}

/** Chain in each router's filter table holding the "no direct UDP between the sites" drops (empty when off). */
export const DIRECT_CHAIN = "PL_DIRECT";
/** Comment tagging the rules that drop unsolicited inbound UDP, so their counters can be read back. */
export const UNSOLICITED_COMMENT = "pl-unsolicited";

/**
 * iptables-restore input for a fresh router namespace. "cone" is Linux MASQUERADE, which keeps one mapping per
 * internal socket whatever the destination (endpoint-independent mapping); "symmetric" adds --random-fully so each
 * new destination gets a fresh random port. Both drop unsolicited inbound UDP like a home router. The INPUT drop
 * matters beyond realism: without it conntrack confirms a peer's early punch packet as local traffic to the router
 * and the host's own outbound flow is then remapped to another port, so simultaneous open fails where real NATs
 * succeed.
 */
export function routerRuleset(kind: NatKind, wan: string): string {
  const lines: string[] = [];
  if (kind !== "none") {
    const random = kind === "symmetric" ? " --random-fully" : "";
    lines.push("*nat", `-A POSTROUTING -o ${wan} -j MASQUERADE${random}`, "COMMIT");
  }
  lines.push("*filter", `:${DIRECT_CHAIN} - [0:0]`);
  for (const chain of ["INPUT", "FORWARD", "OUTPUT"]) lines.push(`-A ${chain} -j ${DIRECT_CHAIN}`);
  if (kind !== "none") {
    for (const chain of ["INPUT", "FORWARD"]) {
      lines.push(
        `-A ${chain} -i ${wan} -p udp -m conntrack --ctstate NEW -m comment --comment ${UNSOLICITED_COMMENT} -j DROP`,
      );
    }
  }
  lines.push("COMMIT", "");
  return lines.join("\n");
}

/**
 * iptables-restore --noflush input replacing a router's DIRECT_CHAIN: when blocked, all UDP to or from the other
 * site (its WAN address and its LAN) is dropped, so only paths through the public namespace (the beacon's relay)
 * remain.
 */
export function directBlockRuleset(blocked: boolean, peerWanAddr: string, peerLanSubnet: string): string {
  const lines = ["*filter", `-F ${DIRECT_CHAIN}`];
  if (blocked) {
    for (const peer of [peerWanAddr, peerLanSubnet]) {
      lines.push(`-A ${DIRECT_CHAIN} -p udp -d ${peer} -j DROP`, `-A ${DIRECT_CHAIN} -p udp -s ${peer} -j DROP`);
    }
  }
  lines.push("COMMIT", "");
  return lines.join("\n");
}

/** Sums the packet counters of the UNSOLICITED_COMMENT rules in `iptables -L <chain> -v -x -n` output. */
export function sumTaggedPackets(listing: string): number {
  let total = 0;
  for (const line of listing.split("\n")) {
    if (!line.includes(UNSOLICITED_COMMENT)) continue;
    const packets = Number(line.trim().split(/\s+/)[0]);
    if (Number.isFinite(packets)) total += packets;
  }
  return total;
}

/** Validates a new WAN address: on the public segment, a usable host number, not one already taken. */
export function checkWanAddress(addr: string, taken: readonly string[]): void {
  const m = /^198\.18\.0\.(\d{1,3})$/.exec(addr);
  const host = m ? Number(m[1]) : NaN;
  if (!(host >= 2 && host <= 254)) throw new Error(`set wan address "${addr}": not a host on ${PUBLIC_NET}.0/24`);
  if (taken.includes(addr)) throw new Error(`set wan address "${addr}": already in use`);
}
