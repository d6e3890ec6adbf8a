// The webhook events of connections and of refused peers (PROTOCOL-BRIEF §9.5): `conn.syn_received`,
// `conn.established`, `conn.fin`, `conn.rst`, `conn.idle_timeout` with {remote_addr, remote_port, local_port, conn_id},
// and `security.untrusted_dropped` / `security.syn_rate_limited` with {peer_node_id, reason}. A peer can send packets
// faster than webhooks should fire, so each security event is reported at most once per peer every 10 s (a bounded
// table, oldest peer forgotten first); the drop counters (`pilot_drops_total`) still count every packet.
import type { ConnEvent, StreamConn } from "../transport/mod.ts";
import type { Clock } from "../util/clock.ts";
import { formatAddr } from "../wire/mod.ts";

export type SecurityEvent = "untrusted_dropped" | "syn_rate_limited";
export type WebhookEmit = (event: string, data: Readonly<Record<string, unknown>>) => void;

/** One security webhook per (event, peer) in this window. */
export const SECURITY_EVENT_INTERVAL_MS = 10_000;
/** Peers remembered for that window, at most. */
const SECURITY_EVENT_PEERS_MAX = 1024;
/** The drop reason each security event stands for (the key of `pilot_drops_total`). */
const SECURITY_REASON: Record<SecurityEvent, string> = { untrusted_dropped: "untrusted", syn_rate_limited: "syn_rate" };

/** `conn.<event>` for a connection. */
export function connWebhook(emit: WebhookEmit, event: ConnEvent, sc: StreamConn): void {
  const c = sc.conn;
  emit(`conn.${event}`, {
    remote_addr: formatAddr(c.remote.addr),
    remote_port: c.remote.port,
    local_port: c.local.port,
    conn_id: sc.id,
  });
}

export class SecurityWebhooks {
  readonly #emit: WebhookEmit;
  readonly #clock: Clock;
  readonly #last = new Map<string, number>();

  constructor(emit: WebhookEmit, clock: Clock) {
    this.#emit = emit;
    this.#clock = clock;
  }

  /** Reports `security.<event>` for `peer` unless it was reported within the window. */
  report(event: SecurityEvent, peer: number): void {
    const key = `${event}/${peer}`;
    const now = this.#clock.monotonic();
    const last = this.#last.get(key);
    if (last !== undefined && now - last < SECURITY_EVENT_INTERVAL_MS) return;
    this.#last.delete(key);
    this.#last.set(key, now);
    if (this.#last.size > SECURITY_EVENT_PEERS_MAX) {
      const oldest = this.#last.keys().next().value;
      if (oldest !== undefined) this.#last.delete(oldest);
    }
    this.#emit(`security.${event}`, { peer_node_id: peer, reason: SECURITY_REASON[event] });
  }
}
