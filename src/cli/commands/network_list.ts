// `pilotctl network list` (CLI.md §3.4): every network with your membership (`network_list`, PROTOCOL-BRIEF §4.4),
// as a table `ID  NAME  RULE  MEMBERS  JOINED  ADDRESS` or `data.networks`.
import { withDaemon } from "../daemon_client.ts";
import { formatTable } from "../format.ts";
import type { CommandContext, CommandResult, CommandSpec } from "../spec.ts";
import { listNetworks } from "./network_common.ts";

export function runNetworkList(ctx: CommandContext): Promise<CommandResult> {
  return withDaemon(ctx, async (session) => {
    const networks = await listNetworks(session);
    const human = formatTable(
      ["ID", "NAME", "RULE", "MEMBERS", "JOINED", "ADDRESS"],
      networks.map((n) => [n.network_id, n.name, n.join_rule, n.members, n.member ? "yes" : "no", n.address ?? "-"]),
      "No networks",
    );
    return { data: { networks, total: networks.length }, human };
  });
}

export const networkListCommand: CommandSpec = {
  name: "network list",
  summary: "List networks and your membership",
  description: "All networks, with their join rule, member count, and whether you are a member (and your address " +
    "on it) or its admin.",
  args: [],
  flags: [],
  returns: ["networks", "total"],
  needsDaemon: true,
  run: runNetworkList,
};
