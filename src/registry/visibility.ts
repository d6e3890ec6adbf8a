// Directory visibility (PROTOCOL-BRIEF §4.3): visible(R, X) ⇔ R = X, X is public, R and X have mutual trust in the
// registry, or they share a non-zero network. Lookups, hostname resolution, tag search, endpoint disclosure,
// punching and relaying all go through here.
import type { NodeRecord, StoreTx } from "./store.ts";

/** Mutual trust or a shared non-zero network: the symmetric part of visibility. */
async function related(tx: StoreTx, a: number, b: number): Promise<boolean> {
  if (await tx.hasTrustEdge(a, b) && await tx.hasTrustEdge(b, a)) return true;
  return (await tx.sharedNetworks(a, b)).length > 0;
}

/** Whether requester `r` may see node `x`. */
export async function visible(tx: StoreTx, r: number, x: NodeRecord): Promise<boolean> {
  if (r === x.nodeId || x.public) return true;
  return await related(tx, r, x.nodeId);
}

/** visible(a, b) or visible(b, a): the rule for punching and relaying. */
export async function visibleEitherWay(tx: StoreTx, a: NodeRecord, b: NodeRecord): Promise<boolean> {
  if (a.nodeId === b.nodeId || a.public || b.public) return true;
  return await related(tx, a.nodeId, b.nodeId);
}
