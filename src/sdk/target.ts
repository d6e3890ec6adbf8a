// Targets as CLI.md §1.5 defines them: an address is used as given, all digits is a backbone node id, anything else
// is a hostname the daemon resolves (`resolve`, PROTOCOL-BRIEF §8.3). Checked locally first, so bad input is
// `invalid_argument` without a round trip.
import { parseHostname, parseNodeId } from "../config/mod.ts";
import type { IpcClient } from "../ipc/mod.ts";
import { InvalidArgumentError } from "../util/errors.ts";
import { type Addr, broadcastAddr, formatAddr, NETWORK_BACKBONE, parseAddr } from "../wire/mod.ts";
import type { ResolvedNode } from "./types.ts";

export interface Target {
  readonly addr: Addr;
  /** Address text, upper-case hex. */
  readonly address: string;
}

/** The address a target names without asking anyone, or null for a hostname. */
export function localTarget(text: string): Target | null {
  if (typeof text !== "string") throw new InvalidArgumentError(`invalid target ${JSON.stringify(text)}`);
  // Only an address has a colon.
  if (text.includes(":")) {
    const addr = parseAddr(text);
    return { addr, address: formatAddr(addr) };
  }
  if (/^\d+$/.test(text)) {
    const addr = { network: NETWORK_BACKBONE, node: parseNodeId(text) };
    return { addr, address: formatAddr(addr) };
  }
  parseHostname(text);
  return null;
}

/** The daemon's `resolve` answer in SDK form. */
export async function resolveNode(ipc: IpcClient, text: string): Promise<ResolvedNode> {
  localTarget(text);
  const r = await ipc.request("resolve", { name: text });
  return { nodeId: r.node_id, address: r.address, hostname: r.hostname ?? null, public: r.public };
}

/** A target as an address: locally when possible, else through the daemon. */
export async function resolveTarget(ipc: IpcClient, text: string): Promise<Target> {
  const local = localTarget(text);
  if (local !== null) return local;
  const found = await resolveNode(ipc, text);
  const addr = parseAddr(found.address);
  return { addr, address: formatAddr(addr) };
}

/** `N:NNNN.FFFF.FFFF`, the datagram broadcast address of network N (PROTOCOL-BRIEF §1.3, §7.10). */
export function broadcastAddress(network: number): string {
  if (!Number.isInteger(network) || network < 1 || network > 0xfffe) {
    throw new InvalidArgumentError(`invalid network id "${network}": broadcast needs 1 to 65534`);
  }
  return formatAddr(broadcastAddr(network));
}
