// Tunnel traffic totals for `pilot_tunnel_bytes_total` / `pilot_tunnel_packets_total` (CLI.md §3.1 `--metrics`).
// The tunnel counts per peer entry, and those counts restart when the entry is recycled (a full peer table) or the
// whole tunnel is replaced (rotate-key). Counters must never go down, so at each scrape this adds, per peer, what
// grew since the previous scrape. Reading the tunnel's own counters costs nothing on the packet path; the price is a
// small undercount when a peer entry is recycled or the tunnel replaced between two scrapes. Totals never decrease.
import type { PeerInfo } from "../tunnel/mod.ts";

/** Peers remembered between scrapes; past this the least recently seen is forgotten (the tunnel holds 4096). */
export const TRAFFIC_PEERS_MAX = 8192;

export interface Traffic {
  readonly bytesSent: number;
  readonly bytesRecv: number;
  readonly pktsSent: number;
  readonly pktsRecv: number;
}

const ZERO: Traffic = { bytesSent: 0, bytesRecv: 0, pktsSent: 0, pktsRecv: 0 };

function rowTraffic(p: PeerInfo): Traffic {
  return { bytesSent: p.bytes_sent, bytesRecv: p.bytes_recv, pktsSent: p.pkts_sent, pktsRecv: p.pkts_recv };
}

/** What grew from `before` to `now`; a counter below its previous value restarted from 0. */
function growth(before: number, now: number): number {
  return now >= before ? now - before : now;
}

export class TrafficTotals {
  readonly #last = new Map<number, Traffic>();
  #tunnel: object | null = null;
  #totals: Traffic = ZERO;

  /** Folds the peer rows of `tunnel` (identity compared to spot a replacement) into the totals and returns them. */
  update(tunnel: object, rows: readonly PeerInfo[]): Traffic {
    if (tunnel !== this.#tunnel) {
      this.#tunnel = tunnel;
      this.#last.clear();
    }
    let { bytesSent, bytesRecv, pktsSent, pktsRecv } = this.#totals;
    for (const row of rows) {
      const now = rowTraffic(row);
      const before = this.#last.get(row.node_id) ?? ZERO;
      bytesSent += growth(before.bytesSent, now.bytesSent);
      bytesRecv += growth(before.bytesRecv, now.bytesRecv);
      pktsSent += growth(before.pktsSent, now.pktsSent);
      pktsRecv += growth(before.pktsRecv, now.pktsRecv);
      // Re-inserting keeps the map in least-recently-seen order for the cap below.
      this.#last.delete(row.node_id);
      this.#last.set(row.node_id, now);
    }
    while (this.#last.size > TRAFFIC_PEERS_MAX) this.#last.delete(this.#last.keys().next().value!);
    this.#totals = { bytesSent, bytesRecv, pktsSent, pktsRecv };
    return this.#totals;
  }
}
