// IPC trust commands (PROTOCOL-BRIEF §6, §8.3; CLI.md §3.5): request / approve / reject / revoke run the
// TrustManager and then deliver what it decided (port 444, else the registry) before answering, so `approve` returns
// once the requester acknowledged it directly or the registry queued it (`queued`). The lists read the trust store;
// `trust_pending` also looks up the hostnames of requesters it does not know yet (a requester is visible to us while
// it asks, docs/PROTOCOL.md §5.4) and lists the rejections of our own requests with the peers' reasons.
import type { IpcArgs, IpcCommandHandler, IpcResult } from "../ipc/mod.ts";
import type { TrustManager } from "../trust/mod.ts";
import type { Clock } from "../util/clock.ts";
import { optStrArg } from "./ipc_args.ts";
import type { NodeState } from "./node_state.ts";
import { backbone, parseNodeArg } from "./targets.ts";
import type { TrustActions } from "./trust_actions.ts";

/** Room for the 1024-byte justification in any encoding; the TrustManager enforces the byte limit. */
const TEXT_MAX_CHARS = 4096;
/** Requesters whose hostname one `trust_pending` looks up at most (in parallel, each bounded by the lookup). */
const PENDING_LOOKUPS_MAX = 16;
/** A requester whose lookup showed no hostname is not asked again for this long. */
export const PENDING_HOSTNAME_RETRY_MS = 10_000;
const HOSTNAME_MISSES_MAX = 1024;

export interface IpcTrustDeps {
  readonly trust: TrustManager;
  readonly actions: TrustActions;
  readonly state: NodeState;
  /** A trust request was sent: poll the registry for the answer more often. */
  readonly onRequestSent: () => void;
  /** Throws `not_found` for a node the registry does not know (checked before a request changes any state). */
  readonly checkKnown: (peer: number) => Promise<void>;
  /** A bounded registry lookup of the node's hostname ("" when it has none or is not visible to us). */
  readonly lookupHostname: (node: number) => Promise<string>;
  readonly clock: Clock;
}

export function trustCommands(d: IpcTrustDeps): Record<string, IpcCommandHandler> {
  const peerOf = (args: IpcArgs) => parseNodeArg(args.node);
  const row = (node: number) => ({ node_id: node, address: backbone(node), hostname: d.state.peerHostname(node) });
  const learnHostnames = requesterHostnames(d);
  return {
    async trust_request(args): Promise<IpcResult> {
      const peer = peerOf(args);
      const justification = optStrArg(args, "justification", TEXT_MAX_CHARS) ?? "";
      if (peer !== d.state.nodeId && d.trust.record(peer)?.state !== "trusted") await d.checkKnown(peer);
      const result = await d.trust.request(peer, justification);
      const { queued } = await d.actions.perform(result.actions);
      if (result.status === "sent") d.onRequestSent();
      return { node_id: peer, address: backbone(peer), status: result.status, queued };
    },
    async trust_approve(args): Promise<IpcResult> {
      const peer = peerOf(args);
      const result = await d.trust.approve(peer);
      const { queued } = await d.actions.perform(result.actions);
      return { node_id: peer, address: backbone(peer), status: "approved", queued };
    },
    async trust_reject(args): Promise<IpcResult> {
      const peer = peerOf(args);
      const result = await d.trust.reject(peer, optStrArg(args, "reason", TEXT_MAX_CHARS));
      const { queued } = await d.actions.perform(result.actions);
      return { node_id: peer, status: "rejected", queued };
    },
    async trust_revoke(args): Promise<IpcResult> {
      const peer = peerOf(args);
      const result = await d.trust.revoke(peer, optStrArg(args, "reason", TEXT_MAX_CHARS));
      const { queued } = await d.actions.perform(result.actions);
      return { node_id: peer, status: "revoked", queued };
    },
    trust_list(): Promise<IpcResult> {
      const trusted = d.trust.list().map((t) => ({
        ...row(t.nodeId),
        origin: t.origin,
        network: t.network,
        approved_at_ms: t.approvedAtMs,
        approved_at: rfc3339(t.approvedAtMs),
        public_key: t.publicKey,
      }));
      return Promise.resolve({ trusted });
    },
    async trust_pending(): Promise<IpcResult> {
      await learnHostnames(d.trust.pending().incoming.map((p) => p.nodeId));
      const view = d.trust.pending();
      const answered = (node: number) => {
        const state = d.trust.record(node)?.state;
        return state === undefined || state === "none" || state === "pending_in";
      };
      return {
        incoming: view.incoming.map((p) => ({
          ...row(p.nodeId),
          justification: p.justification,
          received_at_ms: p.receivedAtMs,
          received_at: rfc3339(p.receivedAtMs),
        })),
        outgoing: view.outgoing.map((o) => ({
          ...row(o.nodeId),
          sent_at_ms: o.sentAtMs,
          sent_at: rfc3339(o.sentAtMs),
          expires_at_ms: o.expiresAtMs,
        })),
        rejected: d.actions.rejections().filter((r) => answered(r.peer)).map((r) => ({
          node_id: r.peer,
          address: backbone(r.peer),
          reason: r.reason,
          rejected_at_ms: r.atMs,
          rejected_at: rfc3339(r.atMs),
        })),
      };
    },
  };
}

/** Looks up requesters without a known hostname (a few per call; a miss waits 10 s before the next try). */
function requesterHostnames(d: IpcTrustDeps): (nodes: readonly number[]) => Promise<void> {
  const missed = new Map<number, number>();
  return async (nodes) => {
    const now = d.clock.monotonic();
    const wanted = nodes.filter((n) =>
      d.state.peerHostname(n) === "" && now - (missed.get(n) ?? -Infinity) >= PENDING_HOSTNAME_RETRY_MS
    ).slice(0, PENDING_LOOKUPS_MAX);
    await Promise.all(wanted.map(async (node) => {
      const hostname = await d.lookupHostname(node).catch(() => "");
      if (hostname !== "") {
        d.state.rememberHostname(node, hostname);
        missed.delete(node);
        return;
      }
      missed.delete(node);
      missed.set(node, now);
      if (missed.size > HOSTNAME_MISSES_MAX) missed.delete(missed.keys().next().value!);
    }));
  };
}

/** `2025-06-01T12:00:01.123Z` (CLI.md §1.3). */
function rfc3339(ms: number): string {
  return new Date(ms).toISOString();
}
