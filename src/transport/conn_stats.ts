// Per-connection statistics in exactly the shape of a CLI.md `connections` row (transport fields only; the daemon
// adds `id`, `local_port`, `remote_addr`, `remote_port`). Byte counts in bytes, durations in ms (3 decimals).
import type { ConnOutput } from "./conn_output.ts";
import type { Receiver } from "./receiver.ts";
import type { Sender } from "./sender.ts";
import type { ConnState, ConnStats } from "./types.ts";

export interface ConnCounters {
  readonly segsRecv: number;
  readonly sackRecv: number;
  readonly synRetransmits: number;
}

function ms3(v: number | null): number | null {
  return v === null ? null : Math.round(v * 1000) / 1000;
}

export function connStats(state: ConnState, snd: Sender, rcv: Receiver, out: ConnOutput, c: ConnCounters): ConnStats {
  const synced = state !== "CLOSED" && state !== "SYN_SENT" && state !== "LISTEN";
  return {
    state,
    srtt_ms: ms3(snd.rtt.srttMs),
    rttvar_ms: ms3(snd.rtt.rttvarMs),
    cong_win: snd.cc.cwnd,
    ssthresh: snd.cc.ssthresh,
    in_flight: Math.max(0, snd.pipe()),
    unacked: snd.flight,
    ooo_buf: rcv.oooBytes,
    recv_win: synced ? rcv.windowBytes() : 0,
    peer_recv_win: snd.wnd,
    bytes_sent: snd.bytesSent,
    bytes_recv: rcv.bytesReceived,
    segs_sent: out.segsSent,
    segs_recv: c.segsRecv,
    retransmits: snd.retransmits + c.synRetransmits,
    fast_retx: snd.fastRetx,
    sack_sent: out.sackSent,
    sack_recv: c.sackRecv,
    dup_acks: snd.dupAcksTotal,
  };
}
