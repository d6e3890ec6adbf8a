// Carrying out what the TrustManager decides (PROTOCOL-BRIEF §6.2, §6.3): a message goes directly on port 444 and,
// if that fails, through the registry (`handshake_request` for requests, `handshake_respond` for the rest, with the
// copy signed for 7 days); a new pin drops cached keys; `report_trust` / `revoke_trust` keep the registry's edges
// (retried after a failure, since they decide visibility); leaving trust resets the peer's connections.
// A trust request also reports the edge to the peer before it is sent: asking is consent to be seen by the peer
// (docs/PROTOCOL.md §5.4), so its `pending` shows our hostname. The edge is withdrawn once the request ends without
// trust (rejected, lapsed, cancelled by the peer); the last rejection and its reason are kept for `handshake --wait`.
import type { Logger } from "../log/logger.ts";
import type { RegistryClient } from "../registry/mod.ts";
import type { PendingView, TrustAck, TrustAction, TrustMessage, TrustState } from "../trust/mod.ts";
import type { Clock } from "../util/clock.ts";
import { toPilotError } from "../util/errors.ts";
import type { DropRegistry } from "./drops.ts";

export interface TrustActionDeps {
  /** The registry connection; throws while unreachable. */
  readonly registry: () => RegistryClient;
  /** Delivers one message on port 444 and returns the peer's ack; throws when there is no path. */
  readonly sendDirect: (peer: number, message: TrustMessage) => Promise<TrustAck>;
  /** Resets every connection with the peer (RST 2). */
  readonly closeConnections: (peer: number) => void;
  /** The peer's pin changed: forget cached keys. */
  readonly forgetKey: (peer: number) => void;
  /** §9.5 events (`handshake.*`, `trust.*`, `security.*`). */
  readonly webhook?: (event: string, data: Readonly<Record<string, unknown>>) => void;
  readonly drops: DropRegistry;
  readonly log: Logger;
  /** The trust states (the TrustManager). */
  readonly view: TrustStateView;
  /** For the time of a rejection. */
  readonly clock: Clock;
}

/** What TrustActions reads of the trust store: a peer's state and our outgoing requests. */
export interface TrustStateView {
  record(peer: number): { readonly state: TrustState } | undefined;
  pending(): PendingView;
}

/** A rejection of our request, as the peer sent it. */
export interface Rejection {
  readonly peer: number;
  /** "" when the peer gave no reason. */
  readonly reason: string;
  readonly atMs: number;
}

/** Rejections remembered (the oldest goes first); each lasts until we ask that peer again. */
const REJECTIONS_MAX = 256;

export interface DeliveryOutcome {
  /** True when the registry holds the message for the peer (it was not acknowledged on port 444). */
  readonly queued: boolean;
}

type Edge = "report" | "revoke";

export class TrustActions implements AsyncDisposable {
  readonly #d: TrustActionDeps;
  readonly #tasks = new Set<Promise<void>>();
  /** Registry edges that still have to be sent (the last wish per peer wins). */
  readonly #edges = new Map<number, Edge>();
  /** Peers whose registry edge stands for our request to them (state pending_out), not for trust. */
  readonly #requested = new Set<number>();
  readonly #rejections = new Map<number, Rejection>();
  #closed = false;

  constructor(deps: TrustActionDeps) {
    this.#d = deps;
  }

  /** Performs the actions in order; the outcome of the last message sent (if any). Delivery failures throw. */
  async perform(actions: readonly TrustAction<TrustMessage>[]): Promise<DeliveryOutcome> {
    let queued = false;
    try {
      queued = await this.#performAll(actions);
    } finally {
      await this.#settleRequests();
    }
    return { queued };
  }

  async #performAll(actions: readonly TrustAction<TrustMessage>[]): Promise<boolean> {
    let queued = false;
    for (const action of actions) {
      switch (action.kind) {
        case "send":
          if (action.type === "trust_request") await this.#requesting(action.peer);
          queued = await this.#deliver(action);
          break;
        case "pin_key":
          this.#d.forgetKey(action.peer);
          break;
        case "report_trust":
          await this.#edge(action.peer, "report");
          break;
        case "revoke_trust":
          await this.#edge(action.peer, "revoke");
          break;
        case "close_connections":
          this.#d.closeConnections(action.peer);
          break;
        case "pending_dropped":
          this.#d.drops.add("trust_pending_dropped");
          break;
        case "webhook":
          if (action.event === "handshake.rejected") this.#noteRejection(action.data, actions);
          this.#d.webhook?.(action.event, action.data);
          break;
      }
    }
    return queued;
  }

  /** The peer's last rejection of our request, until we ask it again. */
  rejection(peer: number): Rejection | null {
    return this.#rejections.get(peer) ?? null;
  }

  /** Every remembered rejection, oldest first. */
  rejections(): Rejection[] {
    return [...this.#rejections.values()];
  }

  /** perform() without a waiting caller: failures are logged. */
  background(actions: readonly TrustAction<TrustMessage>[]): void {
    // Even no action may end a request (a peer's revoke while we wait): settle our edges then.
    if (this.#closed || (actions.length === 0 && this.#requested.size === 0)) return;
    const task = this.perform(actions).then(
      () => {},
      (err) => this.#d.log.warn("trust action failed", { error: toPilotError(err).message }),
    );
    this.#tasks.add(task);
    task.finally(() => this.#tasks.delete(task));
  }

  /**
   * Re-sends registry edges that failed earlier and withdraws the edges of requests that ended without a message
   * (lapsed after 7 days); call after each registration and heartbeat.
   */
  retryEdges(): void {
    if (this.#closed) return;
    for (const o of this.#d.view.pending().outgoing) this.#requested.add(o.nodeId);
    for (const [peer, edge] of [...this.#edges]) this.#track(this.#edge(peer, edge));
    if (this.#requested.size > 0) this.#track(this.#settleRequests());
  }

  #track(task: Promise<void>): void {
    this.#tasks.add(task);
    task.finally(() => this.#tasks.delete(task));
  }

  /** Before a request goes out: the edge to the peer, and any earlier rejection forgotten. */
  async #requesting(peer: number): Promise<void> {
    this.#rejections.delete(peer);
    this.#requested.add(peer);
    await this.#edge(peer, "report");
  }

  /** A requested peer that is neither pending_out nor trusted any more gets its edge withdrawn. */
  async #settleRequests(): Promise<void> {
    const view = this.#d.view;
    for (const peer of [...this.#requested]) {
      const state = view.record(peer)?.state;
      if (state === "pending_out") continue;
      this.#requested.delete(peer);
      // Trusted: the edge now stands for trust, and leaving trust withdraws it.
      if (state !== "trusted") await this.#edge(peer, "revoke");
    }
  }

  /** `handshake.rejected` is ours to remember only when the peer rejected us (we sent no trust_reject to it). */
  #noteRejection(data: Readonly<Record<string, unknown>>, batch: readonly TrustAction<TrustMessage>[]): void {
    const peer = data.peer_node_id;
    if (typeof peer !== "number") return;
    if (batch.some((a) => a.kind === "send" && a.peer === peer && a.type === "trust_reject")) return;
    const reason = typeof data.reason === "string" ? data.reason : "";
    this.#rejections.delete(peer);
    this.#rejections.set(peer, { peer, reason, atMs: this.#d.clock.now() });
    if (this.#rejections.size > REJECTIONS_MAX) {
      const oldest = this.#rejections.keys().next().value;
      if (oldest !== undefined) this.#rejections.delete(oldest);
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all(this.#tasks);
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #deliver(action: Extract<TrustAction<TrustMessage>, { kind: "send" }>): Promise<boolean> {
    const log = this.#d.log;
    try {
      const ack = await this.#d.sendDirect(action.peer, action.direct);
      if (ack.status !== "error") return false;
      log.info("peer refused a trust message on port 444", { peer: action.peer, code: ack.code ?? "" });
    } catch (err) {
      log.debug("no direct trust delivery; using the registry", {
        peer: action.peer,
        error: toPilotError(err).message,
      });
    }
    const registry = this.#d.registry();
    const message = action.relay as unknown as Record<string, unknown>;
    if (action.type === "trust_request") await registry.handshakeRequest(action.peer, message);
    else await registry.handshakeRespond(action.peer, message);
    return true;
  }

  async #edge(peer: number, edge: Edge): Promise<void> {
    this.#edges.set(peer, edge);
    try {
      const registry = this.#d.registry();
      if (edge === "report") await registry.reportTrust(peer);
      else await registry.revokeTrust(peer);
      if (this.#edges.get(peer) === edge) this.#edges.delete(peer);
    } catch (err) {
      this.#d.log.warn(`cannot ${edge} trust in the registry; will retry`, {
        peer,
        error: toPilotError(err).message,
      });
    }
  }
}
