// Carrying out what the TrustManager decides (PROTOCOL-BRIEF §6.2, §6.3): a message goes directly on port 444 and,
// if that fails, through the registry (`handshake_request` for requests, `handshake_respond` for the rest, with the
// copy signed for 7 days); a new pin drops cached keys; `report_trust` / `revoke_trust` keep the registry's edges
// (retried after a failure, since they decide visibility); leaving trust resets the peer's connections.
import type { Logger } from "../log/logger.ts";
import type { RegistryClient } from "../registry/mod.ts";
import type { TrustAck, TrustAction, TrustMessage } from "../trust/mod.ts";
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
}

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
  #closed = false;

  constructor(deps: TrustActionDeps) {
    this.#d = deps;
  }

  /** Performs the actions in order; the outcome of the last message sent (if any). Delivery failures throw. */
  async perform(actions: readonly TrustAction<TrustMessage>[]): Promise<DeliveryOutcome> {
    let queued = false;
    for (const action of actions) {
      switch (action.kind) {
        case "send":
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
          this.#d.webhook?.(action.event, action.data);
          break;
      }
    }
    return { queued };
  }

  /** perform() without a waiting caller: failures are logged. */
  background(actions: readonly TrustAction<TrustMessage>[]): void {
    if (actions.length === 0 || this.#closed) return;
    const task = this.perform(actions).then(
      () => {},
      (err) => this.#d.log.warn("trust action failed", { error: toPilotError(err).message }),
    );
    this.#tasks.add(task);
    task.finally(() => this.#tasks.delete(task));
  }

  /** Re-sends registry edges that failed earlier (call after each registration and heartbeat). */
  retryEdges(): void {
    if (this.#edges.size === 0 || this.#closed) return;
    for (const [peer, edge] of [...this.#edges]) {
      const task = this.#edge(peer, edge);
      this.#tasks.add(task);
      task.finally(() => this.#tasks.delete(task));
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
