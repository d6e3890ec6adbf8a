// Target resolution of CLI.md §1.5, the local part: a `<target>` is an address (used as given), all digits (a
// backbone node id), or otherwise a hostname for the daemon to resolve.
import { parseHostname, parseNodeId } from "../config/mod.ts";
import { formatAddr, NETWORK_BACKBONE, parseAddr } from "../wire/mod.ts";
import type { Addr } from "../wire/mod.ts";

export type Target =
  | { readonly kind: "address"; readonly addr: Addr; readonly text: string }
  | { readonly kind: "node"; readonly addr: Addr; readonly text: string }
  | { readonly kind: "hostname"; readonly hostname: string };

/** Throws InvalidArgumentError with the parser's exact text for a malformed address, node id or hostname. */
export function classifyTarget(text: string): Target {
  // Only an address contains a colon, so `0:9999.9999.9999` fails as an address (network mismatch).
  if (text.includes(":")) {
    const addr = parseAddr(text);
    return { kind: "address", addr, text: formatAddr(addr) };
  }
  if (/^\d+$/.test(text)) {
    const addr = { network: NETWORK_BACKBONE, node: parseNodeId(text) };
    return { kind: "node", addr, text: formatAddr(addr) };
  }
  return { kind: "hostname", hostname: parseHostname(text) };
}
