// The relay path, receive side (PROTOCOL-BRIEF §5.4 last paragraph): a RELAY_DELIVER's inner frame is processed
// exactly like a direct datagram, except that only handshake and transport frames may ride the relay and the
// authenticated peer must equal the relay header's source node (checked where each frame authenticates:
// `relay_mismatch`). Replies go back through the relay (replyPath of a relay source).
import { classifyDatagram, RELAY_INNER_MAX_BYTES } from "../wire/mod.ts";
import type { TunnelDropReason } from "./drops.ts";
import { isPeerNodeId } from "./handshake.ts";

/** The frame kinds the tunnel dispatches, directly or from the relay. */
export type TunnelFrameKind = "handshake_init" | "handshake_response" | "cookie_reply" | "transport";

export type RelayedVerdict =
  | { readonly ok: true; readonly kind: TunnelFrameKind }
  | { readonly ok: false; readonly reason: TunnelDropReason };

/** Decides whether a relayed inner frame from `srcNode` may be processed, and as what. */
export function classifyRelayed(srcNode: number, inner: Uint8Array): RelayedVerdict {
  if (inner.length > RELAY_INNER_MAX_BYTES) return { ok: false, reason: "relay_too_large" };
  if (!isPeerNodeId(srcNode)) return { ok: false, reason: "relay_mismatch" };
  const cls = classifyDatagram(inner);
  switch (cls.kind) {
    case "handshake_init":
    case "handshake_response":
    case "cookie_reply":
    case "transport":
      return { ok: true, kind: cls.kind };
    default:
      // Beacon messages, PILP and malformed frames never travel inside RELAY.
      return { ok: false, reason: "relay_bad_inner" };
  }
}
