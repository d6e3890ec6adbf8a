// `pilotctl disconnect <conn_id>` (CLI.md §3.8): resets one stream connection of the daemon with `conn_abort`
// (PROTOCOL-BRIEF §8.3, RST reason 5), whichever client owns it.
import { InvalidArgumentError, NotFoundError, toPilotError } from "../../util/errors.ts";
import { withDaemon } from "../daemon_client.ts";
import type { CommandContext, CommandResult, CommandSpec } from "../spec.ts";

const CONN_ID_MAX = 0xffff_ffff;

export function parseConnId(text: string): number {
  const id = /^\d{1,10}$/.test(text) ? Number(text) : NaN;
  if (!(id >= 0 && id <= CONN_ID_MAX)) {
    throw new InvalidArgumentError(`invalid connection id "${text}"`, { hint: "use an ID from: pilotctl connections" });
  }
  return id;
}

export async function runDisconnect(ctx: CommandContext): Promise<CommandResult> {
  const id = parseConnId(ctx.args.require("conn_id"));
  return await withDaemon(ctx, async (session) => {
    try {
      await session.request("conn_abort", { conn: id });
    } catch (err) {
      if (toPilotError(err).code === "not_found") {
        throw new NotFoundError(`connection ${id} not found`, { hint: "pilotctl connections", detail: "conn" });
      }
      throw err;
    }
    return { data: { conn_id: id }, human: `Disconnected ${id}` };
  });
}

export const disconnectCommand: CommandSpec = {
  name: "disconnect",
  summary: "Reset one stream connection",
  description: "Resets one stream connection (an ID from pilotctl connections).",
  args: [{ name: "conn_id", description: "Connection ID", required: true }],
  flags: [],
  returns: ["conn_id"],
  needsDaemon: true,
  run: runDisconnect,
};
