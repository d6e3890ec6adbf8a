// The per-peer trust record (one row of trust.json, PROTOCOL-BRIEF §6.5) and the vocabulary shared by the state
// machine, the store and the facade: states, origins, actions for the daemon and the port-444 acknowledgement.
import type { TrustMessageDraft, TrustMessageType } from "./message.ts";

export const TRUST_STATES = ["none", "pending_out", "pending_in", "trusted"] as const;
export type TrustState = typeof TRUST_STATES[number];

/** How trust began: we approved their request, they approved ours, both asked, or the auto-approve policy. */
export const TRUST_ORIGINS = ["approved", "accepted", "mutual", "auto"] as const;
export type TrustOrigin = typeof TRUST_ORIGINS[number];

/** Config `trust_auto_approve`. */
export type AutoApprovePolicy = "none" | "network";

export interface PeerRecord {
  readonly nodeId: number;
  readonly state: TrustState;
  /**
   * Base64 Ed25519 key: the pinned key in `trusted`; otherwise the key that last verified a message from the peer
   * (null when none did yet).
   */
  readonly publicKey: string | null;
  /** When the current state was entered: received_at (pending_in), sent_at (pending_out), approved_at (trusted). */
  readonly sinceMs: number;
  /** Their request's justification (pending_in, and kept once trusted). */
  readonly justification?: string;
  /** Set in `trusted` only. */
  readonly origin: TrustOrigin | null;
  /** The shared network that triggered an `auto` approval. */
  readonly network?: number;
  /** Highest `ts` accepted from the peer; 0 before any. */
  readonly lastRxTs: number;
  /** Highest `ts` we signed for the peer; 0 before any. */
  readonly lastTxTs: number;
  /** pending_out only: when the request lapses to `none`. */
  readonly expiresMs?: number;
}

export function emptyRecord(nodeId: number, nowMs: number): PeerRecord {
  return { nodeId, state: "none", publicKey: null, sinceMs: nowMs, origin: null, lastRxTs: 0, lastTxTs: 0 };
}

/** The record moved to `none`: replay state (`lastRxTs`, `lastTxTs`) and the last known key survive. */
export function toNone(record: PeerRecord, nowMs: number): PeerRecord {
  return {
    nodeId: record.nodeId,
    state: "none",
    publicKey: record.publicKey,
    sinceMs: nowMs,
    origin: null,
    lastRxTs: record.lastRxTs,
    lastTxTs: record.lastTxTs,
  };
}

export type WebhookEvent =
  | "handshake.received"
  | "handshake.pending"
  | "handshake.auto_approved"
  | "handshake.approved"
  | "handshake.rejected"
  | "trust.revoked"
  | "trust.revoked_by_peer"
  | "security.handshake_rejected"
  | "security.replay";

/**
 * What the daemon must do after a trust operation. `M` is the message form: drafts inside the pure machine, signed
 * messages out of the TrustManager. Actions are listed in the order they should be performed.
 */
export type TrustAction<M = TrustMessageDraft> =
  /** Deliver on port 444 (`direct`); if that fails, hand `relay` to the registry (handshake_request / _respond). */
  | {
    readonly kind: "send";
    readonly peer: number;
    readonly type: TrustMessageType;
    readonly direct: M;
    readonly relay: M;
  }
  /** The peer's key is now pinned (already persisted); the tunnel layer may bind to it. */
  | { readonly kind: "pin_key"; readonly peer: number; readonly publicKey: string }
  /** Registry `report_trust` {peer}. */
  | { readonly kind: "report_trust"; readonly peer: number }
  /** Registry `revoke_trust` {peer}. */
  | { readonly kind: "revoke_trust"; readonly peer: number }
  /** Reset every connection to the peer (it is no longer trusted). */
  | { readonly kind: "close_connections"; readonly peer: number }
  /** Deliver a webhook (§9.5). */
  | { readonly kind: "webhook"; readonly event: WebhookEvent; readonly data: Readonly<Record<string, unknown>> }
  /** An incoming request was dropped to respect MAX_INCOMING_PENDING (count it). */
  | { readonly kind: "pending_dropped"; readonly peer: number };

export const TRUST_ACK_STATUSES = ["pending", "trusted", "rejected", "revoked", "ignored", "error"] as const;
export type TrustAckStatus = typeof TRUST_ACK_STATUSES[number];

/** The reply to every message received on port 444 (§6.2). */
export interface TrustAck {
  readonly type: "trust_ack";
  readonly status: TrustAckStatus;
  readonly code?: string;
  readonly message?: string;
}

/** Why a received message was refused: the `trust_ack` code (direct) or the drop reason (relay). */
export type TrustRefusal =
  | "bad_message"
  | "self_message"
  | "wrong_recipient"
  | "from_mismatch"
  | "clock_skew"
  | "expired"
  | "replay"
  | "unknown_sender"
  | "bad_signature"
  | "key_not_chained"
  | "rate_limited"
  | "storage_failed";

/** `handshake` status of CLI.md §3.5; `approve` / `reject` / `untrust` report their fixed words. */
export type LocalRequestStatus = "sent" | "trusted" | "already_trusted";
