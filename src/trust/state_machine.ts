// The trust machine over all peers: the receiver checks of PROTOCOL-BRIEF §6.2 (recipient, tunnel peer, time window,
// replay, one request per 60 s, ≤ 256 incoming pending), outgoing timestamps strictly increasing per peer (§6.1), the
// 7-day lapse of outgoing requests and of `none` rows (§6.5). Pure: time comes in as `nowMs`, nothing is signed here.
import {
  DIRECT_MESSAGE_LIFETIME_MS,
  MAX_CLOCK_SKEW_MS,
  MAX_INCOMING_PENDING,
  MAX_JUSTIFICATION_BYTES,
  MAX_REASON_BYTES,
  MAX_TOMBSTONES,
  RELAY_MESSAGE_LIFETIME_MS,
  REQUEST_MIN_INTERVAL_MS,
  TOMBSTONE_LIFETIME_MS,
} from "./constants.ts";
import { isPeerNodeId, type TrustMessage, type TrustMessageDraft, utf8Length } from "./message.ts";
import { emptyRecord, type PeerRecord, toNone, type TrustAck, type TrustAction, type TrustRefusal } from "./record.ts";
import { applyLocal, applyReceived, type LocalEvent, type LocalStatus, type PeerIntent } from "./transitions.ts";
import { InvalidArgumentError, NotFoundError } from "../util/errors.ts";

export type Delivery = "direct" | "registry";

export interface Refusal {
  readonly code: TrustRefusal;
  readonly message: string;
}

export interface MachineReceiveResult {
  readonly ack: TrustAck;
  readonly actions: readonly TrustAction[];
}

export interface MachineLocalResult {
  readonly status: LocalStatus;
  readonly actions: readonly TrustAction[];
}

/** Opaque copy of the machine's state (records are immutable, so copying the maps is enough). */
export interface MachineSnapshot {
  readonly records: ReadonlyMap<number, PeerRecord>;
  readonly lastRequestAtMs: ReadonlyMap<number, number>;
}

export class TrustMachine {
  readonly selfId: number;
  #records = new Map<number, PeerRecord>();
  /** Volatile: when the last request from each peer was accepted (the 60 s limit restarts with the daemon). */
  #lastRequestAtMs = new Map<number, number>();

  constructor(selfId: number, records: Iterable<PeerRecord> = []) {
    if (!isPeerNodeId(selfId)) throw new InvalidArgumentError(`invalid node id "${selfId}"`);
    this.selfId = selfId;
    for (const r of records) this.#records.set(r.nodeId, r);
  }

  get(peer: number): PeerRecord | undefined {
    return this.#records.get(peer);
  }

  /** Every row, sorted by node id. */
  records(): PeerRecord[] {
    return [...this.#records.values()].sort((a, b) => a.nodeId - b.nodeId);
  }

  snapshot(): MachineSnapshot {
    return { records: new Map(this.#records), lastRequestAtMs: new Map(this.#lastRequestAtMs) };
  }

  /** Puts back a snapshot after a failed write, so memory never runs ahead of disk. */
  restore(snapshot: MachineSnapshot): void {
    this.#records = new Map(snapshot.records);
    this.#lastRequestAtMs = new Map(snapshot.lastRequestAtMs);
  }

  /** The §6.2 checks that need no key, in the order of the brief; null when the message may be verified. */
  precheck(msg: TrustMessage, via: Delivery, tunnelPeer: number | undefined, nowMs: number): Refusal | null {
    if (msg.to !== this.selfId) {
      return {
        code: "wrong_recipient",
        message: `trust message for node ${msg.to} refused: this is node ${this.selfId}`,
      };
    }
    if (msg.from === this.selfId) return { code: "self_message", message: "trust message from this node refused" };
    if (via === "direct" && msg.from !== tunnelPeer) {
      return {
        code: "from_mismatch",
        message: `trust message from node ${msg.from} refused: tunnel peer is node ${tunnelPeer ?? "unknown"}`,
      };
    }
    if (msg.ts > nowMs + MAX_CLOCK_SKEW_MS) {
      return { code: "clock_skew", message: `trust message refused: ts ${msg.ts} is more than 300 s ahead` };
    }
    if (nowMs > msg.exp) return { code: "expired", message: `trust message refused: expired at ${msg.exp}` };
    const last = this.#records.get(msg.from)?.lastRxTs ?? 0;
    if (msg.ts <= last) {
      return { code: "replay", message: `trust message refused: ts ${msg.ts} not after last accepted ${last}` };
    }
    return null;
  }

  /** Whether the auto-approve policy could apply: a request from a peer with no relationship yet. */
  wantsPolicyAnswer(msg: TrustMessage): boolean {
    return msg.type === "trust_request" && (this.#records.get(msg.from)?.state ?? "none") === "none";
  }

  /** Applies a message that passed precheck() and verified with `publicKey` (base64). */
  receive(msg: TrustMessage, publicKey: string, autoNetwork: number | null, nowMs: number): MachineReceiveResult {
    const refusal = this.precheck(msg, "registry", undefined, nowMs);
    if (refusal !== null) return { ack: errorAck(refusal), actions: [] };
    const peer = msg.from;
    // Every authentic message advances last_rx_ts, even one refused below, so it can never be replayed.
    const record: PeerRecord = { ...(this.#records.get(peer) ?? emptyRecord(peer, nowMs)), lastRxTs: msg.ts };
    this.#records.set(peer, record);
    if (msg.type === "trust_request") {
      const last = this.#lastRequestAtMs.get(peer);
      if (last !== undefined && nowMs - last < REQUEST_MIN_INTERVAL_MS) {
        const message = `trust request from node ${peer} refused: more than one per 60 s`;
        return { ack: errorAck({ code: "rate_limited", message }), actions: [] };
      }
      this.#lastRequestAtMs.set(peer, nowMs);
    }
    const outcome = applyReceived(record, {
      type: msg.type,
      justification: msg.justification,
      reason: msg.reason,
      publicKey,
      autoNetwork,
    }, nowMs);
    const actions = this.#commit(outcome.record, outcome.intents, nowMs);
    if (outcome.record.state === "pending_in" && record.state !== "pending_in") {
      actions.push(...this.#enforcePendingCap(peer, nowMs));
    }
    const ack: TrustAck = outcome.code === undefined
      ? { type: "trust_ack", status: outcome.status }
      : { type: "trust_ack", status: outcome.status, code: outcome.code };
    return { ack, actions };
  }

  /** A local decision; throws InvalidArgumentError / NotFoundError as CLI.md §3.5 lists. */
  local(peer: number, event: LocalEvent, nowMs: number): MachineLocalResult {
    if (!isPeerNodeId(peer)) {
      throw new InvalidArgumentError(`invalid node id "${peer}"`, { hint: "use a NODE ID from: pilotctl pending" });
    }
    if (event.kind === "request") {
      if (peer === this.selfId) throw new InvalidArgumentError("cannot handshake with yourself");
      checkText("justification", event.justification, MAX_JUSTIFICATION_BYTES);
    } else if (event.kind !== "approve" && event.reason !== undefined) {
      checkText("reason", event.reason, MAX_REASON_BYTES);
    }
    const outcome = applyLocal(this.#records.get(peer) ?? emptyRecord(peer, nowMs), event, nowMs);
    if (!outcome.ok) {
      if (outcome.refusal === "not_trusted") throw new NotFoundError(`node ${peer} is not trusted`);
      throw new NotFoundError(`no pending request from node ${peer}`, { hint: "pilotctl pending" });
    }
    return { status: outcome.status, actions: this.#commit(outcome.record, outcome.intents, nowMs) };
  }

  /** Replaces the pin of a trusted peer after its key change was verified through the key chain. */
  repin(peer: number, publicKey: string): void {
    const record = this.#records.get(peer);
    if (record === undefined || record.state !== "trusted") return;
    this.#records.set(peer, { ...record, publicKey });
  }

  /** Lapses outgoing requests after 7 days and forgets `none` rows whose replay protection is no longer needed. */
  expire(nowMs: number): void {
    for (const record of [...this.#records.values()]) {
      if (record.state === "pending_out" && record.expiresMs !== undefined && record.expiresMs <= nowMs) {
        this.#records.set(record.nodeId, toNone(record, nowMs));
      }
    }
    const tombstones: PeerRecord[] = [];
    for (const record of this.#records.values()) {
      if (record.state !== "none") continue;
      if (tombstoneAge(record) + TOMBSTONE_LIFETIME_MS <= nowMs) this.#records.delete(record.nodeId);
      else tombstones.push(record);
    }
    if (tombstones.length > MAX_TOMBSTONES) {
      tombstones.sort((a, b) => tombstoneAge(a) - tombstoneAge(b) || a.nodeId - b.nodeId);
      for (const r of tombstones.slice(0, tombstones.length - MAX_TOMBSTONES)) this.#records.delete(r.nodeId);
    }
    for (const [peer, at] of this.#lastRequestAtMs) {
      if (nowMs - at >= REQUEST_MIN_INTERVAL_MS) this.#lastRequestAtMs.delete(peer);
    }
  }

  /** Stores the new record, turning send intents into draft pairs with fresh timestamps. */
  #commit(record: PeerRecord, intents: readonly PeerIntent[], nowMs: number): TrustAction[] {
    let current = record;
    const actions: TrustAction[] = [];
    for (const intent of intents) {
      if (intent.kind !== "send") {
        actions.push(intent);
        continue;
      }
      // Strictly increasing per (from, to): the relay copy is signed one millisecond after the direct one.
      const directTs = Math.max(nowMs, current.lastTxTs + 1);
      const relayTs = directTs + 1;
      const extras = {
        ...(intent.justification !== undefined ? { justification: intent.justification } : {}),
        ...(intent.reason !== undefined ? { reason: intent.reason } : {}),
      };
      const draft = (ts: number, lifetimeMs: number): TrustMessageDraft => ({
        type: intent.type,
        from: this.selfId,
        to: current.nodeId,
        ts,
        exp: ts + lifetimeMs,
        ...extras,
      });
      actions.push({
        kind: "send",
        peer: current.nodeId,
        type: intent.type,
        direct: draft(directTs, DIRECT_MESSAGE_LIFETIME_MS),
        relay: draft(relayTs, RELAY_MESSAGE_LIFETIME_MS),
      });
      current = { ...current, lastTxTs: relayTs };
    }
    this.#records.set(current.nodeId, current);
    return actions;
  }

  #enforcePendingCap(newPeer: number, nowMs: number): TrustAction[] {
    const pending = [...this.#records.values()].filter((r) => r.state === "pending_in" && r.nodeId !== newPeer);
    const excess = pending.length + 1 - MAX_INCOMING_PENDING;
    if (excess <= 0) return [];
    pending.sort((a, b) => a.sinceMs - b.sinceMs || a.nodeId - b.nodeId);
    return pending.slice(0, excess).map((r) => {
      this.#records.set(r.nodeId, toNone(r, nowMs));
      return { kind: "pending_dropped", peer: r.nodeId } as const;
    });
  }
}

export function errorAck(refusal: Refusal): TrustAck {
  return { type: "trust_ack", status: "error", code: refusal.code, message: refusal.message };
}

/** The newest timestamp a `none` row protects; it may go TOMBSTONE_LIFETIME_MS after that. */
function tombstoneAge(record: PeerRecord): number {
  return Math.max(record.lastRxTs, record.lastTxTs);
}

function checkText(field: "justification" | "reason", text: string, maxBytes: number): void {
  const length = utf8Length(text);
  if (length < 0) throw new InvalidArgumentError(`invalid ${field}: not valid Unicode text`);
  if (length > maxBytes) throw new InvalidArgumentError(`${field} too long (max ${maxBytes} bytes)`);
}
