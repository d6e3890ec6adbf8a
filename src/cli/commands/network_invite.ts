// `pilotctl network invite <network> <target>` (CLI.md §3.4): the admin invites a node, which then runs
// `network join` (`network_invite`, PROTOCOL-BRIEF §4.4; the invitation lasts 7 days).
import { parseTarget, withDaemon } from "../daemon_client.ts";
import type { CommandContext, CommandResult, CommandSpec } from "../spec.ts";
import { parseNetworkRef, resolveNetwork } from "./network_common.ts";

export async function runNetworkInvite(ctx: CommandContext): Promise<CommandResult> {
  const ref = parseNetworkRef(ctx.args.require("network"));
  const given = parseTarget(ctx.args.require("target"));
  return await withDaemon(ctx, async (session) => {
    const target = await session.resolveTarget(given);
    const { id } = await resolveNetwork(session, ref);
    const result = await session.request("network_invite", { network_id: id, invitee: target.address });
    return { data: { network_id: result.network_id ?? id, node_id: target.nodeId, status: "invited" } };
  });
}

export const networkInviteCommand: CommandSpec = {
  name: "network invite",
  summary: "Invite a node to a network",
  description: "The admin invites a node, which then runs pilotctl network join. The invitation lasts 7 days.",
  args: [
    { name: "network", description: "Network id or name", required: true },
    { name: "target", description: "Address, node ID or hostname", required: true },
  ],
  flags: [],
  returns: ["network_id", "node_id", "status"],
  needsDaemon: true,
  run: runNetworkInvite,
};
