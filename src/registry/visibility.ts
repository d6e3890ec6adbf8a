// Directory visibility (PROTOCOL-BRIEF §4.3, extended): visible(R, X) ⇔ R = X, X is public, R and X have mutual trust
// in the registry, they share a non-zero network, or X has a trust edge X → R. That last one is X's consent: a daemon
// reports the edge when it asks R for trust (and withdraws it when the request is rejected, lapses or is revoked), so
// R can see who is asking (its hostname in `pending`) while a stranger, who holds no edge, still sees nothing.
// Lookups, hostname resolution, tag search, endpoint disclosure, punching and relaying all go through here.
import type { NodeRecord, StoreTx } from "./store.ts";

/** Whether requester `r` may see node `x`. Mutual trust needs no test of its own: it includes the edge x → r. */
export async function visible(tx: StoreTx, r: number, x: NodeRecord): Promise<boolean> {
  if (r === x.nodeId || x.public) return true;
  if (await tx.hasTrustEdge(x.nodeId, r)) return true;
  return (await tx.sharedNetworks(r, x.nodeId)).length > 0;
}

/** visible(a, b) or visible(b, a): the rule for punching and relaying. */
export async function visibleEitherWay(tx: StoreTx, a: NodeRecord, b: NodeRecord): Promise<boolean> {
  if (a.nodeId === b.nodeId || a.public || b.public) return true;
  if (await tx.hasTrustEdge(a.nodeId, b.nodeId) || await tx.hasTrustEdge(b.nodeId, a.nodeId)) return true;
  return (await tx.sharedNetworks(a.nodeId, b.nodeId)).length > 0;
}
