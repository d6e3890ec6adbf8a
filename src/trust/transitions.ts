// The per-peer trust state machine: the table of PROTOCOL-BRIEF §6.3 as two pure functions over one PeerRecord.
// Receiver checks (§6.2), limits and timestamps are the caller's (state_machine.ts); this file only knows states.
import type { TrustMessageType } from "./message.ts";
import { PENDING_OUT_LIFETIME_MS } from "./constants.ts";
import {
  type LocalRequestStatus,
  type PeerRecord,
  toNone,
  type TrustAckStatus,
  type TrustAction,
  type TrustOrigin,
} from "./record.ts";

export type LocalEvent =
  | { readonly kind: "request"; readonly justification: string }
  | { readonly kind: "approve" }
  | { readonly kind: "reject"; readonly reason?: string }
  | { readonly kind: "revoke"; readonly reason?: string };

/** A message that passed every receiver check and verified; the record already carries its `ts`. */
export interface ReceivedEvent {
  readonly type: TrustMessageType;
  readonly justification?: string;
  readonly reason?: string;
  /** Base64 key that verified the message (the pin when trusted). */
  readonly publicKey: string;
  /** For a request in `none`: the shared non-zero network when the auto-approve policy applies, else null. */
  readonly autoNetwork: number | null;
}

/** A message the machine should sign and send; it adds addresses, timestamps and lifetimes. */
export interface SendIntent {
  readonly kind: "send";
  readonly type: TrustMessageType;
  readonly justification?: string;
  readonly reason?: string;
}

export type PeerIntent = SendIntent | Exclude<TrustAction, { readonly kind: "send" }>;

export interface PeerStep<S> {
  readonly record: PeerRecord;
  readonly intents: readonly PeerIntent[];
  readonly status: S;
}

export type LocalStatus = LocalRequestStatus | "approved" | "rejected" | "revoked";
export type LocalOutcome =
  | ({ readonly ok: true } & PeerStep<LocalStatus>)
  | { readonly ok: false; readonly refusal: "not_pending" | "not_trusted" };

export interface ReceivedOutcome extends PeerStep<TrustAckStatus> {
  /** Set with status `ignored`: why nothing happened. */
  readonly code?: string;
}

/** §6.3 rows driven by the local user (CLI `handshake`, `approve`, `reject`, `untrust`). */
export function applyLocal(record: PeerRecord, event: LocalEvent, nowMs: number): LocalOutcome {
  const peer = record.nodeId;
  switch (event.kind) {
    case "request": {
      const send: SendIntent = { kind: "send", type: "trust_request", justification: event.justification };
      if (record.state === "none" || record.state === "pending_out") {
        // Asking again re-sends and restarts the 7-day wait.
        const next: PeerRecord = {
          ...toNone(record, nowMs),
          state: "pending_out",
          expiresMs: nowMs + PENDING_OUT_LIFETIME_MS,
        };
        return { ok: true, record: next, intents: [send], status: "sent" };
      }
      if (record.state === "pending_in") {
        const entered = enterTrusted(record, nowMs, "mutual", requireKey(record));
        return {
          ok: true,
          record: entered.record,
          intents: [
            approveIntent(),
            ...entered.intents,
            webhook("handshake.auto_approved", peer, { reason: "mutual" }),
          ],
          status: "trusted",
        };
      }
      return { ok: true, record, intents: [], status: "already_trusted" };
    }
    case "approve": {
      if (record.state !== "pending_in") return { ok: false, refusal: "not_pending" };
      const entered = enterTrusted(record, nowMs, "approved", requireKey(record));
      return {
        ok: true,
        record: entered.record,
        intents: [approveIntent(), ...entered.intents, webhook("handshake.approved", peer)],
        status: "approved",
      };
    }
    case "reject": {
      if (record.state !== "pending_in") return { ok: false, refusal: "not_pending" };
      const send: SendIntent = { kind: "send", type: "trust_reject", ...optionalReason(event.reason) };
      return {
        ok: true,
        record: toNone(record, nowMs),
        intents: [send, webhook("handshake.rejected", peer, optionalReason(event.reason))],
        status: "rejected",
      };
    }
    case "revoke": {
      if (record.state !== "trusted") return { ok: false, refusal: "not_trusted" };
      const send: SendIntent = { kind: "send", type: "trust_revoke", ...optionalReason(event.reason) };
      return {
        ok: true,
        record: toNone(record, nowMs),
        intents: [send, ...leaveTrustedIntents(peer), webhook("trust.revoked", peer)],
        status: "revoked",
      };
    }
  }
}

/** §6.3 rows driven by a verified message from the peer. */
export function applyReceived(record: PeerRecord, event: ReceivedEvent, nowMs: number): ReceivedOutcome {
  const peer = record.nodeId;
  const base: PeerRecord = { ...record, publicKey: event.publicKey };
  switch (event.type) {
    case "trust_request": {
      const justification = event.justification ?? "";
      const received = webhook("handshake.received", peer, { justification });
      if (base.state === "none") {
        if (event.autoNetwork !== null) {
          const entered = enterTrusted(base, nowMs, "auto", event.publicKey, event.autoNetwork, justification);
          return {
            record: entered.record,
            intents: [
              received,
              approveIntent(),
              ...entered.intents,
              webhook("handshake.auto_approved", peer, { reason: "policy" }),
            ],
            status: "trusted",
          };
        }
        const pending: PeerRecord = { ...toNone(base, nowMs), state: "pending_in", justification };
        return {
          record: pending,
          intents: [received, webhook("handshake.pending", peer, { justification })],
          status: "pending",
        };
      }
      if (base.state === "pending_out") {
        const entered = enterTrusted(base, nowMs, "mutual", event.publicKey, undefined, justification);
        return {
          record: entered.record,
          intents: [
            received,
            approveIntent(),
            ...entered.intents,
            webhook("handshake.auto_approved", peer, { reason: "mutual" }),
          ],
          status: "trusted",
        };
      }
      if (base.state === "pending_in") {
        return { record: { ...base, justification }, intents: [received], status: "pending" };
      }
      // Already trusted: the peer lost our approval; answering again is idempotent.
      return { record: base, intents: [approveIntent()], status: "trusted" };
    }
    case "trust_approve": {
      if (base.state !== "pending_out") {
        return { record: base, intents: [], status: "ignored", code: "unsolicited_approve" };
      }
      const entered = enterTrusted(base, nowMs, "accepted", event.publicKey);
      return {
        record: entered.record,
        intents: [...entered.intents, webhook("handshake.approved", peer)],
        status: "trusted",
      };
    }
    case "trust_reject": {
      if (base.state !== "pending_out") {
        return { record: base, intents: [], status: "ignored", code: "unsolicited_reject" };
      }
      return {
        record: toNone(base, nowMs),
        intents: [webhook("handshake.rejected", peer, optionalReason(event.reason))],
        status: "rejected",
      };
    }
    case "trust_revoke": {
      if (base.state === "none") return { record: base, intents: [], status: "ignored", code: "not_trusted" };
      if (base.state !== "trusted") {
        // A revoke cancels whatever was pending between us: the peer has withdrawn from the relationship.
        return { record: toNone(base, nowMs), intents: [], status: "revoked" };
      }
      return {
        record: toNone(base, nowMs),
        intents: [...leaveTrustedIntents(peer), webhook("trust.revoked_by_peer", peer)],
        status: "revoked",
      };
    }
  }
}

function enterTrusted(
  record: PeerRecord,
  nowMs: number,
  origin: TrustOrigin,
  publicKey: string,
  network?: number,
  justification?: string,
): { record: PeerRecord; intents: PeerIntent[] } {
  const keptJustification = justification ?? record.justification;
  const next: PeerRecord = {
    nodeId: record.nodeId,
    state: "trusted",
    publicKey,
    sinceMs: nowMs,
    origin,
    lastRxTs: record.lastRxTs,
    lastTxTs: record.lastTxTs,
    ...(keptJustification !== undefined ? { justification: keptJustification } : {}),
    ...(network !== undefined ? { network } : {}),
  };
  return {
    record: next,
    intents: [{ kind: "pin_key", peer: record.nodeId, publicKey }, { kind: "report_trust", peer: record.nodeId }],
  };
}

/** A pending_in row always holds the key that verified the request (the store refuses rows without one). */
function requireKey(record: PeerRecord): string {
  if (record.publicKey === null) throw new Error(`trust record of node ${record.nodeId} has no key`);
  return record.publicKey;
}

function leaveTrustedIntents(peer: number): PeerIntent[] {
  return [{ kind: "close_connections", peer }, { kind: "revoke_trust", peer }];
}

function approveIntent(): SendIntent {
  return { kind: "send", type: "trust_approve" };
}

function optionalReason(reason: string | undefined): { reason?: string } {
  return reason === undefined || reason === "" ? {} : { reason };
}

function webhook(
  event: Extract<PeerIntent, { kind: "webhook" }>["event"],
  peer: number,
  extra: Record<string, unknown> = {},
): PeerIntent {
  return { kind: "webhook", event, data: { peer_node_id: peer, ...extra } };
}
