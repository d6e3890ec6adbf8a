// `pilotctl connections` (CLI.md §3.8): the daemon's stream connections with their transport counters, from `info`
// (PROTOCOL-BRIEF §8.3, states of §7.2), as a table `ID  LOCAL  REMOTE  STATE  RTT  SENT  RECV` or `data`.
import type { ConnInfo } from "../../ipc/mod.ts";
import { withDaemon } from "../daemon_client.ts";
import { formatSize, formatTable } from "../format.ts";
import type { CommandContext, CommandResult, CommandSpec } from "../spec.ts";

/** The fields of one connection, in the order of CLI.md §3.8. */
export const CONNECTION_FIELDS = [
  "id",
  "local_port",
  "remote_addr",
  "remote_port",
  "state",
  "srtt_ms",
  "rttvar_ms",
  "cong_win",
  "ssthresh",
  "in_flight",
  "unacked",
  "ooo_buf",
  "recv_win",
  "peer_recv_win",
  "bytes_sent",
  "bytes_recv",
  "segs_sent",
  "segs_recv",
  "retransmits",
  "fast_retx",
  "sack_sent",
  "sack_recv",
  "dup_acks",
] as const satisfies readonly (keyof ConnInfo)[];

export type ConnectionRow = { readonly [K in typeof CONNECTION_FIELDS[number]]: ConnInfo[K] | null };

/** Every field present, in order; one the daemon left out is null. */
export function connectionRow(c: ConnInfo): ConnectionRow {
  const row: Record<string, unknown> = {};
  for (const field of CONNECTION_FIELDS) row[field] = c[field] ?? null;
  return row as ConnectionRow;
}

function rtt(ms: number | null): string {
  return ms === null ? "-" : `${ms.toFixed(1)}ms`;
}

export function connectionsTable(rows: readonly ConnectionRow[]): string {
  return formatTable(
    ["ID", "LOCAL", "REMOTE", "STATE", "RTT", "SENT", "RECV"],
    rows.map((r) => [
      r.id,
      r.local_port,
      `${r.remote_addr}:${r.remote_port}`,
      r.state,
      rtt(r.srtt_ms),
      formatSize(r.bytes_sent ?? 0),
      formatSize(r.bytes_recv ?? 0),
    ]),
    "No connections",
  );
}

export function runConnections(ctx: CommandContext): Promise<CommandResult> {
  return withDaemon(ctx, async (session) => {
    const info = await session.request("info", {});
    const rows = (info.conn_list ?? []).map(connectionRow);
    return { data: { connections: rows, total: rows.length }, human: connectionsTable(rows) };
  });
}

export const connectionsCommand: CommandSpec = {
  name: "connections",
  summary: "List stream connections",
  description: "Stream connections of the daemon with their state (LISTEN … TIME_WAIT, CLOSED) and transport " +
    "counters: RTT, windows, bytes and segments, retransmissions and SACK.",
  args: [],
  flags: [],
  returns: ["connections", "total"],
  needsDaemon: true,
  run: runConnections,
};
