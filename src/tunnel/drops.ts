// Silent drops of the tunnel layer, counted by reason (PROTOCOL-BRIEF preamble: every drop increments
// `pilot_drops_total{reason}`; §3.1, §3.3, §3.5, §3.6, §3.9, §5.4, §10). The reason names are the metric labels.

export const TUNNEL_DROP_REASONS = [
  // §3.1 demultiplexing
  "runt",
  "bad_len",
  "bad_magic",
  "beacon_spoof",
  "beacon_no_handler",
  // §3.5 / §3.6 transport frames
  "unknown_index",
  "bad_counter",
  "too_old",
  "replay",
  "auth_fail",
  "bad_plaintext",
  "keyset_expired",
  // §3.3 / §3.4 handshakes
  "bad_mac1",
  "bad_mac2",
  "hs_cookie",
  "hs_rate",
  "hs_decrypt",
  "hs_bad_payload",
  "hs_replay",
  "hs_unknown_key",
  "hs_bad_binding",
  "hs_stale_binding",
  "hs_lookup_full",
  "hs_lookup_timeout",
  "hs_limit",
  "hs_unexpected",
  "peer_limit",
  "cookie_rate",
  "bad_cookie",
  // §3.3 outbound queue, §3.5 sizes
  "queue_full",
  "too_large",
  "no_path",
  // §5.4 relay
  "relay_mismatch",
  "relay_bad_inner",
  "relay_too_large",
  "relay_no_handler",
  // §5.6 path validation
  "path_unknown_token",
  // socket errors while sending; input that escaped every typed check (a bug, logged)
  "send_error",
  "malformed",
] as const;

export type TunnelDropReason = typeof TUNNEL_DROP_REASONS[number];

/** Drop counters; reading is a snapshot so callers can diff two reads. */
export class DropCounter {
  readonly #counts = new Map<TunnelDropReason, number>();

  add(reason: TunnelDropReason, n = 1): void {
    this.#counts.set(reason, (this.#counts.get(reason) ?? 0) + n);
  }

  get(reason: TunnelDropReason): number {
    return this.#counts.get(reason) ?? 0;
  }

  /** Every reason counted so far, with its count. */
  snapshot(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [reason, n] of this.#counts) out[reason] = n;
    return out;
  }

  total(): number {
    let sum = 0;
    for (const n of this.#counts.values()) sum += n;
    return sum;
  }
}
