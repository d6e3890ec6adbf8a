// `pilotctl trust` (CLI.md §3.5): trusted peers (`trust_list`, PROTOCOL-BRIEF §6.5 origins), as a table
// `NODE ID  ADDRESS  HOSTNAME  ORIGIN  SINCE` or `data.trusted`.
import type { IpcJson } from "../../ipc/mod.ts";
import { withDaemon } from "../daemon_client.ts";
import { formatTable, formatTime } from "../format.ts";
import type { CommandContext, CommandResult, CommandSpec } from "../spec.ts";
import { rowAddress, rowNodeId, rowString, rowTime } from "./trust_common.ts";

export interface TrustedRow {
  readonly node_id: number;
  readonly address: string;
  readonly hostname: string;
  readonly origin: string;
  readonly network: number | null;
  readonly approved_at: string | null;
}

export function trustedRows(list: unknown): TrustedRow[] {
  if (!Array.isArray(list)) return [];
  const out: TrustedRow[] = [];
  for (const row of list as IpcJson[]) {
    const id = rowNodeId(row);
    if (id === null) continue;
    out.push({
      node_id: id,
      address: rowAddress(row, id),
      hostname: rowString(row, "hostname"),
      origin: rowString(row, "origin") || "approved",
      network: typeof row.network === "number" ? row.network : null,
      approved_at: rowTime(row, "approved_at", "since"),
    });
  }
  return out;
}

export function trustHuman(rows: readonly TrustedRow[]): string {
  return formatTable(
    ["NODE ID", "ADDRESS", "HOSTNAME", "ORIGIN", "SINCE"],
    rows.map((r) => [
      r.node_id,
      r.address,
      r.hostname || "-",
      r.origin,
      r.approved_at === null ? "-" : formatTime(r.approved_at),
    ]),
    "No trusted peers",
  );
}

export function runTrust(ctx: CommandContext): Promise<CommandResult> {
  return withDaemon(ctx, async (session) => {
    const rows = trustedRows((await session.request("trust_list", {})).trusted);
    return { data: { trusted: rows, total: rows.length }, human: trustHuman(rows) };
  });
}

export const trustCommand: CommandSpec = {
  name: "trust",
  summary: "List trusted peers",
  description: "Trusted peers, with how trust began (approved, accepted, mutual or auto) and since when.",
  args: [],
  flags: [],
  returns: ["trusted", "total"],
  needsDaemon: true,
  run: runTrust,
};
