// Types shared across the tunnel: paths and frame sources (PROTOCOL-BRIEF §3.8, §5.4, §5.6), the key material a
// resolver supplies (§3.2), events for metrics and webhooks, and the peers() snapshot rows (CLI.md `peers`, `info`).
import type { NetAddr } from "../net/packet_conn.ts";

/** A UDP endpoint: an IP literal (IPv4-mapped IPv6 normalised) and a port. */
export type Endpoint = NetAddr;

/** How frames to a peer travel: straight to its endpoint, or through the beacon's relay. */
export type PeerPath =
  | { readonly kind: "direct"; readonly endpoint: Endpoint }
  | { readonly kind: "relay" };

/** Where an inbound frame came from: a datagram's source, or a RELAY_DELIVER naming its source node. */
export type FrameSource =
  | { readonly kind: "direct"; readonly endpoint: Endpoint }
  | { readonly kind: "relay"; readonly node: number };

export type PathKind = "direct" | "relay";

/**
 * A node's published keys: the Ed25519 identity key (from the trust-store pin or the registry `get_keys`) and the
 * X25519 static key with its binding signature.
 */
export interface PeerKeys {
  readonly publicKey: Uint8Array;
  readonly noisePublicKey: Uint8Array;
  readonly noiseIssuedAt: number;
  readonly noiseSig: Uint8Array;
}

/** Why a lookup is made again: the peer presented a binding issued at `minNoiseIssuedAt`, newer than what we hold. */
export interface KeyLookupHint {
  readonly minNoiseIssuedAt: number;
}

/**
 * Looks a node's keys up; null when the node is unknown. May answer synchronously (a pinned key) or with a promise
 * (a registry round trip). It should not throw; a throw or rejection counts as "unknown". With a hint, an answer
 * cached by the resolver that is older than the hinted binding should be fetched again.
 */
export type KeyResolver = (nodeId: number, hint?: KeyLookupHint) => PeerKeys | null | Promise<PeerKeys | null>;

/** Sends an inner frame (PILH / PILR / PILC / PILS) to `dstNode` as a beacon RELAY message (§5.4). */
export type RelaySender = (dstNode: number, innerFrame: Uint8Array) => void | Promise<void>;

export type TunnelEvent =
  | { readonly type: "established"; readonly peer: number; readonly path: PathKind; readonly rekeyed: boolean }
  | {
    readonly type: "path_changed";
    readonly peer: number;
    readonly path: PathKind;
    readonly endpoint: Endpoint | null;
  }
  | { readonly type: "handshake_failed"; readonly peer: number }
  | { readonly type: "keys_wiped"; readonly peer: number; readonly reason: "bye" | "unused" | "expired" };

/** One row of peers(); field names as in the IPC `info.peer_list` (§8.3). */
export interface PeerInfo {
  readonly node_id: number;
  /** `ip:port` of the direct endpoint, or null (relay, or not known yet). */
  readonly endpoint: string | null;
  readonly path: PathKind | null;
  /** A keyset exists (confirmed or not). */
  readonly encrypted: boolean;
  /** A confirmed keyset exists: the peer proved its identity key in a completed handshake. */
  readonly authenticated: boolean;
  /** Unix ms of the last authenticated frame, or null. */
  readonly last_seen_ms: number | null;
  readonly bytes_sent: number;
  readonly bytes_recv: number;
  readonly pkts_sent: number;
  readonly pkts_recv: number;
}
