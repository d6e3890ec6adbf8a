// `pilotctl gateway list` (CLI.md §3.9): the running gateway's subnet, ports and mappings with their open
// connections, as the table `LOCAL IP  PILOT ADDRESS  HOSTNAME  CONNS` or `data`. Gateway down: not_running.
import type { CommandContext, CommandResult, CommandSpec } from "../spec.ts";
import { listTable, openControl } from "./gateway_common.ts";

export async function runGatewayList(ctx: CommandContext): Promise<CommandResult> {
  await using control = await openControl(ctx.env);
  const state = await control.list();
  const data = {
    subnet: state.subnet,
    ports: state.ports,
    mappings: state.mappings.map((m) => ({
      local_ip: m.local_ip,
      pilot_addr: m.pilot_addr,
      hostname: m.hostname,
      connections: m.connections,
    })),
    total: state.total,
  };
  return { data, human: listTable(data) };
}

export const gatewayListCommand: CommandSpec = {
  name: "gateway list",
  summary: "Show the running gateway's mappings",
  description: "The running gateway's subnet, ports and mappings, with the connections open on each.",
  args: [],
  flags: [],
  returns: ["subnet", "ports", "mappings", "total"],
  needsDaemon: true,
  run: runGatewayList,
};
