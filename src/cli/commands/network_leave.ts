// `pilotctl network leave <network>` (CLI.md §3.4): leaves a network and drops the address on it (`network_leave`,
// PROTOCOL-BRIEF §4.4). The backbone cannot be left.
import { InvalidArgumentError } from "../../util/errors.ts";
import { withDaemon } from "../daemon_client.ts";
import type { CommandContext, CommandResult, CommandSpec } from "../spec.ts";
import { BACKBONE, parseNetworkRef, resolveNetwork } from "./network_common.ts";

export async function runNetworkLeave(ctx: CommandContext): Promise<CommandResult> {
  const ref = parseNetworkRef(ctx.args.require("network"));
  if (ref.id === BACKBONE) throw new InvalidArgumentError("cannot leave the backbone");
  return await withDaemon(ctx, async (session) => {
    const { id } = await resolveNetwork(session, ref);
    const result = await session.request("network_leave", { network_id: id });
    const networkId = result.network_id ?? id;
    return { data: { network_id: networkId }, human: `Left network ${networkId}` };
  });
}

export const networkLeaveCommand: CommandSpec = {
  name: "network leave",
  summary: "Leave a network",
  description: "Leaves a network and drops the address on it. The backbone (0) cannot be left.",
  args: [{ name: "network", description: "Network id or name", required: true }],
  flags: [],
  returns: ["network_id"],
  needsDaemon: true,
  run: runNetworkLeave,
};
