// `pilotctl pending` (CLI.md §3.5): incoming trust requests awaiting your decision and your unanswered outgoing
// ones (`trust_pending`, PROTOCOL-BRIEF §8.3), as `NODE ID  ADDRESS  HOSTNAME  RECEIVED  JUSTIFICATION` and an
// `Outgoing: 258, 265` line.
import type { IpcJson } from "../../ipc/mod.ts";
import { withDaemon } from "../daemon_client.ts";
import { formatTable, formatTime } from "../format.ts";
import type { CommandContext, CommandResult, CommandSpec } from "../spec.ts";
import { rowAddress, rowNodeId, rowString, rowTime } from "./trust_common.ts";

export interface PendingRow {
  readonly node_id: number;
  readonly address: string;
  readonly hostname: string;
  readonly justification: string;
  readonly received_at: string | null;
}

export interface OutgoingRow {
  readonly node_id: number;
  readonly address: string;
  readonly sent_at: string | null;
}

function rows<T>(list: unknown, map: (row: IpcJson, nodeId: number) => T): T[] {
  if (!Array.isArray(list)) return [];
  const out: T[] = [];
  for (const row of list as IpcJson[]) {
    const id = rowNodeId(row);
    if (id !== null) out.push(map(row, id));
  }
  return out;
}

export function pendingHuman(pending: readonly PendingRow[], outgoing: readonly OutgoingRow[]): string {
  const table = formatTable(
    ["NODE ID", "ADDRESS", "HOSTNAME", "RECEIVED", "JUSTIFICATION"],
    pending.map((p) => [
      p.node_id,
      p.address,
      p.hostname || "-",
      p.received_at === null ? "-" : formatTime(p.received_at),
      p.justification,
    ]),
    "No pending requests",
  );
  if (outgoing.length === 0) return table;
  return `${table}\nOutgoing: ${outgoing.map((o) => o.node_id).join(", ")}`;
}

export function runPending(ctx: CommandContext): Promise<CommandResult> {
  return withDaemon(ctx, async (session) => {
    const result = await session.request("trust_pending", {});
    const pending: PendingRow[] = rows(result.incoming, (r, id) => ({
      node_id: id,
      address: rowAddress(r, id),
      hostname: rowString(r, "hostname"),
      justification: rowString(r, "justification"),
      received_at: rowTime(r, "received_at"),
    }));
    const outgoing: OutgoingRow[] = rows(result.outgoing, (r, id) => ({
      node_id: id,
      address: rowAddress(r, id),
      sent_at: rowTime(r, "sent_at"),
    }));
    return { data: { pending, outgoing, total: pending.length }, human: pendingHuman(pending, outgoing) };
  });
}

export const pendingCommand: CommandSpec = {
  name: "pending",
  summary: "List trust requests awaiting an answer",
  description: "Incoming trust requests that await your decision (approve or reject them by NODE ID), and your " +
    "unanswered outgoing requests.",
  args: [],
  flags: [],
  returns: ["pending", "outgoing", "total"],
  needsDaemon: true,
  run: runPending,
};
