// The TrustManager: the trust layer's facade for the daemon (PROTOCOL-BRIEF §6). It runs the machine, verifies
// signatures against pinned keys or the registry's keys (following key chains), signs outgoing messages, persists
// every change before returning, and hands back the actions the daemon performs. It does no network I/O itself.
import { fromBase64Exact, randomBytes, toBase64 } from "../util/bytes.ts";
import type { Clock } from "../util/clock.ts";
import { InternalError, PilotError } from "../util/errors.ts";
import { ED25519_KEY_BYTES, TRUST_NONCE_BYTES } from "./constants.ts";
import { keyReachableFromPin, type PeerKeys, type PeerKeySource } from "./key_pins.ts";
import {
  parseTrustMessage,
  signTrustMessage,
  type TrustMessage,
  type TrustMessageDraft,
  type TrustSigner,
  verifyTrustMessage,
} from "./message.ts";
import type {
  AutoApprovePolicy,
  LocalRequestStatus,
  PeerRecord,
  TrustAck,
  TrustAction,
  TrustOrigin,
} from "./record.ts";
import { type Delivery, errorAck, type Refusal, TrustMachine } from "./state_machine.ts";
import type { LocalEvent } from "./transitions.ts";
import type { TrustStore } from "./store.ts";

export interface TrustManagerOptions {
  /** This node's id. */
  readonly selfId: number;
  readonly signer: TrustSigner;
  readonly store: TrustStore;
  readonly keys: PeerKeySource;
  readonly clock: Clock;
  /** Config `trust_auto_approve`. */
  readonly policy: AutoApprovePolicy;
  /** With policy `network`: a non-zero network shared with the peer, or null. */
  readonly sharesNetwork?: (peer: number) => Promise<number | null>;
  readonly randomBytes?: (n: number) => Uint8Array;
}

export interface TrustResult<S> {
  readonly status: S;
  readonly actions: readonly TrustAction<TrustMessage>[];
}

export interface TrustReceiveResult {
  /** The reply for port 444; for the relay, status `error` means a counted drop with reason `ack.code`. */
  readonly ack: TrustAck;
  readonly actions: readonly TrustAction<TrustMessage>[];
}

export interface TrustedPeerView {
  readonly nodeId: number;
  readonly origin: TrustOrigin;
  readonly network: number | null;
  readonly approvedAtMs: number;
  readonly publicKey: string;
}

export interface PendingView {
  readonly incoming: readonly {
    readonly nodeId: number;
    readonly justification: string;
    readonly receivedAtMs: number;
  }[];
  readonly outgoing: readonly { readonly nodeId: number; readonly sentAtMs: number; readonly expiresAtMs: number }[];
}

export class TrustManager {
  readonly selfId: number;
  readonly #opts: TrustManagerOptions;
  readonly #machine: TrustMachine;
  /** Operations run one at a time, so a check and the change it guards never interleave with another message. */
  #tail: Promise<unknown> = Promise.resolve();

  private constructor(opts: TrustManagerOptions, records: PeerRecord[]) {
    this.#opts = opts;
    this.selfId = opts.selfId;
    this.#machine = new TrustMachine(opts.selfId, records);
  }

  /** Loads the store (a corrupt one throws PilotError `internal` and is left untouched). */
  static async open(opts: TrustManagerOptions): Promise<TrustManager> {
    const manager = new TrustManager(opts, await opts.store.load());
    await manager.expire();
    return manager;
  }

  /** Traffic to and from P is allowed ⇔ P is self or trusted (§6.4). */
  isTrusted(peer: number): boolean {
    return peer === this.selfId || this.#machine.get(peer)?.state === "trusted";
  }

  /** The pinned key of a trusted peer, else null. */
  pinnedKey(peer: number): Uint8Array | null {
    const record = this.#machine.get(peer);
    if (record?.state !== "trusted" || record.publicKey === null) return null;
    return fromBase64Exact(record.publicKey, ED25519_KEY_BYTES);
  }

  record(peer: number): PeerRecord | undefined {
    return this.#machine.get(peer);
  }

  list(): TrustedPeerView[] {
    return this.#machine.records().filter((r) => r.state === "trusted").map((r) => ({
      nodeId: r.nodeId,
      origin: r.origin ?? "approved",
      network: r.network ?? null,
      approvedAtMs: r.sinceMs,
      publicKey: r.publicKey ?? "",
    }));
  }

  pending(): PendingView {
    const records = this.#machine.records();
    return {
      incoming: records.filter((r) => r.state === "pending_in")
        .sort((a, b) => a.sinceMs - b.sinceMs || a.nodeId - b.nodeId)
        .map((r) => ({ nodeId: r.nodeId, justification: r.justification ?? "", receivedAtMs: r.sinceMs })),
      outgoing: records.filter((r) => r.state === "pending_out").map((r) => ({
        nodeId: r.nodeId,
        sentAtMs: r.sinceMs,
        expiresAtMs: r.expiresMs ?? r.sinceMs,
      })),
    };
  }

  request(peer: number, justification = ""): Promise<TrustResult<LocalRequestStatus>> {
    return this.#local(peer, { kind: "request", justification }) as Promise<TrustResult<LocalRequestStatus>>;
  }

  approve(peer: number): Promise<TrustResult<"approved">> {
    return this.#local(peer, { kind: "approve" }) as Promise<TrustResult<"approved">>;
  }

  reject(peer: number, reason?: string): Promise<TrustResult<"rejected">> {
    return this.#local(peer, { kind: "reject", reason }) as Promise<TrustResult<"rejected">>;
  }

  revoke(peer: number, reason?: string): Promise<TrustResult<"revoked">> {
    return this.#local(peer, { kind: "revoke", reason }) as Promise<TrustResult<"revoked">>;
  }

  /**
   * A message from port 444 (`direct`, with the tunnel-authenticated peer) or from `handshake_poll` (`registry`).
   * Never throws for bad input; a storage failure is returned as an error ack after rolling back.
   */
  onMessage(value: unknown, via: Delivery, tunnelPeer?: number): Promise<TrustReceiveResult> {
    return this.#exclusive(() => this.#receive(value, via, tunnelPeer));
  }

  /**
   * A trusted peer presented a new key (e.g. in a tunnel handshake): re-pins it when `keys` chains from the pin.
   * Returns whether `keys.publicKey` is now the pin.
   */
  acceptKeyChange(peer: number, keys: PeerKeys): Promise<boolean> {
    return this.#exclusive(async () => {
      const pinned = this.pinnedKey(peer);
      if (pinned === null || !keyReachableFromPin(peer, pinned, keys)) return false;
      await this.#persisting(() => this.#machine.repin(peer, toBase64(keys.publicKey)));
      return true;
    });
  }

  /** Lapses old outgoing requests and replay rows; call it periodically (e.g. every minute). */
  expire(): Promise<void> {
    return this.#exclusive(() => this.#persisting(() => this.#machine.expire(this.#opts.clock.now())));
  }

  #local(peer: number, event: LocalEvent): Promise<TrustResult<string>> {
    return this.#exclusive(async () => {
      const now = this.#opts.clock.now();
      const result = await this.#persisting(() => {
        this.#machine.expire(now);
        return this.#machine.local(peer, event, now);
      });
      return { status: result.status, actions: this.#sign(result.actions) };
    });
  }

  async #receive(value: unknown, via: Delivery, tunnelPeer: number | undefined): Promise<TrustReceiveResult> {
    const parsed = parseTrustMessage(value);
    if (!parsed.ok) return this.#refused({ code: "bad_message", message: parsed.reason }, claimedFrom(value));
    const msg = parsed.message;
    const now = this.#opts.clock.now();
    const pre = this.#machine.precheck(msg, via, tunnelPeer, now);
    if (pre !== null) return this.#refused(pre, msg.from);
    try {
      const key = await this.#verifyingKey(msg);
      if (typeof key !== "string") return this.#refused(key, msg.from);
      const autoNetwork = await this.#policyAnswer(msg);
      const result = await this.#persisting(() => this.#machine.receive(msg, key, autoNetwork, now));
      const actions = this.#sign(result.actions);
      if (result.ack.status !== "error") return { ack: result.ack, actions };
      return { ack: result.ack, actions: [...actions, securityWebhook(result.ack.code ?? "", msg.from)] };
    } catch (err) {
      const message = err instanceof PilotError ? err.message : "trust store write failed";
      return this.#refused({ code: "storage_failed", message }, msg.from);
    }
  }

  /** The key that verifies `msg` (base64), re-pinning along a valid key chain; or why there is none. */
  async #verifyingKey(msg: TrustMessage): Promise<string | Refusal> {
    const from = msg.from;
    const badSignature: Refusal = {
      code: "bad_signature",
      message: `trust message from node ${from} refused: bad signature`,
    };
    const pinned = this.pinnedKey(from);
    if (pinned !== null && verifyTrustMessage(msg, pinned)) return toBase64(pinned);
    let keys: PeerKeys | null;
    try {
      keys = await this.#opts.keys.getKeys(from);
    } catch {
      keys = null;
    }
    if (keys === null) {
      return { code: "unknown_sender", message: `cannot verify trust message: no key for node ${from}` };
    }
    if (pinned !== null && !keyReachableFromPin(from, pinned, keys)) {
      return {
        code: "key_not_chained",
        message: `trust message from node ${from} refused: its key changed without a chain from the pinned key`,
      };
    }
    if (!verifyTrustMessage(msg, keys.publicKey)) return badSignature;
    const current = toBase64(keys.publicKey);
    if (pinned !== null) await this.#persisting(() => this.#machine.repin(from, current));
    return current;
  }

  async #policyAnswer(msg: TrustMessage): Promise<number | null> {
    const ask = this.#opts.sharesNetwork;
    if (this.#opts.policy !== "network" || ask === undefined || !this.#machine.wantsPolicyAnswer(msg)) return null;
    try {
      const network = await ask(msg.from);
      return network !== null && Number.isInteger(network) && network > 0 ? network : null;
    } catch {
      return null; // without an answer the request simply waits for a human decision
    }
  }

  #refused(refusal: Refusal, from: number | undefined): TrustReceiveResult {
    return { ack: errorAck(refusal), actions: from === undefined ? [] : [securityWebhook(refusal.code, from)] };
  }

  /** Runs a machine change and writes the store; on a failed write the change is undone and the error rethrown. */
  async #persisting<T>(change: () => T): Promise<T> {
    const before = this.#machine.snapshot();
    let result: T;
    try {
      result = change();
    } catch (err) {
      this.#machine.restore(before);
      throw err;
    }
    try {
      await this.#opts.store.save(this.#machine.records());
    } catch (err) {
      this.#machine.restore(before);
      throw err instanceof PilotError ? err : new InternalError(`trust store write failed: ${err}`, { cause: err });
    }
    return result;
  }

  #sign(actions: readonly TrustAction<TrustMessageDraft>[]): TrustAction<TrustMessage>[] {
    const random = this.#opts.randomBytes ?? randomBytes;
    const sign = (draft: TrustMessageDraft): TrustMessage =>
      signTrustMessage({ ...draft, nonce: toBase64(random(TRUST_NONCE_BYTES)) }, this.#opts.signer);
    return actions.map((a) => a.kind === "send" ? { ...a, direct: sign(a.direct), relay: sign(a.relay) } : a);
  }

  #exclusive<T>(task: () => Promise<T>): Promise<T> {
    const run = this.#tail.then(task);
    this.#tail = run.catch(() => undefined);
    return run;
  }
}

function securityWebhook(code: string, peer: number): TrustAction<TrustMessage> {
  const event = code === "replay" ? "security.replay" : "security.handshake_rejected";
  return { kind: "webhook", event, data: { peer_node_id: peer, reason: code } };
}

/** The `from` of a malformed message, when it at least names a plausible node (for the security webhook). */
function claimedFrom(value: unknown): number | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const from = (value as Record<string, unknown>).from;
  return typeof from === "number" && Number.isSafeInteger(from) && from > 0 ? from : undefined;
}
