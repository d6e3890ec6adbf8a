// `pilotctl peers [--search q]` (CLI.md §3.8): the daemon's tunnel peers from `info` (PROTOCOL-BRIEF §8.3), as a
// table `NODE ID  ADDRESS  HOSTNAME  PATH  ENDPOINT  AUTH` or `data.peers`. `info` shows the same rows.
import type { PeerInfo } from "../../ipc/mod.ts";
import { withDaemon } from "../daemon_client.ts";
import { formatTable, rfc3339 } from "../format.ts";
import type { CommandContext, CommandResult, CommandSpec } from "../spec.ts";

/** One row of `peers` (and of `info.peer_list`). */
export interface PeerRow {
  readonly node_id: number;
  readonly address: string;
  readonly hostname: string;
  readonly endpoint: string | null;
  readonly path: string;
  readonly encrypted: boolean;
  readonly authenticated: boolean;
  readonly last_seen: string | null;
}

export function peerRow(p: PeerInfo): PeerRow {
  return {
    node_id: p.node_id,
    address: p.address,
    hostname: p.hostname ?? "",
    endpoint: p.endpoint === undefined || p.endpoint === "" ? null : p.endpoint,
    path: p.path,
    encrypted: p.encrypted === true,
    authenticated: p.authenticated === true,
    last_seen: typeof p.last_seen_ms === "number" && p.last_seen_ms > 0 ? rfc3339(p.last_seen_ms) : null,
  };
}

/** `--search`: ID, address, hostname or endpoint contains `query`, ignoring case. */
export function matchesPeer(row: PeerRow, query: string): boolean {
  const q = query.toLowerCase();
  return [String(row.node_id), row.address, row.hostname, row.endpoint ?? ""].some((f) => f.toLowerCase().includes(q));
}

export function peersTable(rows: readonly PeerRow[]): string {
  return formatTable(
    ["NODE ID", "ADDRESS", "HOSTNAME", "PATH", "ENDPOINT", "AUTH"],
    rows.map((r) => [
      r.node_id,
      r.address,
      r.hostname || "-",
      r.path,
      r.endpoint ?? "-",
      r.authenticated ? "yes" : "no",
    ]),
    "No peers",
  );
}

export function runPeers(ctx: CommandContext): Promise<CommandResult> {
  return withDaemon(ctx, async (session) => {
    const info = await session.request("info", {});
    const search = ctx.flags.string("search");
    const rows = (info.peer_list ?? []).map(peerRow).filter((r) => search === undefined || matchesPeer(r, search));
    return { data: { peers: rows, total: rows.length }, human: peersTable(rows) };
  });
}

export const peersCommand: CommandSpec = {
  name: "peers",
  summary: "List tunnel peers",
  description: "Tunnel peers of the daemon. --search keeps peers whose ID, address, hostname or endpoint contains " +
    "the text (case-insensitive).",
  args: [],
  flags: [{ name: "search", type: "string", valueName: "q", description: "Keep only peers matching this text" }],
  returns: ["peers", "total"],
  needsDaemon: true,
  run: runPeers,
};
