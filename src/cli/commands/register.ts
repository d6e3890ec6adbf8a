// `pilotctl register` (CLI.md §3.3): re-registers the node now (PROTOCOL-BRIEF §4.2 challenge–response, run by the
// daemon's `register`), for use after `deregister`. The same key always gets the same node id.
import { withDaemon } from "../daemon_client.ts";
import type { CommandContext, CommandResult, CommandSpec } from "../spec.ts";

export function runRegister(ctx: CommandContext): Promise<CommandResult> {
  return withDaemon(ctx, async (session) => {
    const result = await session.request("register", {});
    return { data: { node_id: result.node_id, address: result.address, hostname: result.hostname ?? "" } };
  });
}

export const registerCommand: CommandSpec = {
  name: "register",
  summary: "Register the node with the registry now",
  description: "Re-registers now, proving possession of the key; used after deregister. The same key always gets " +
    "the same node ID.",
  args: [],
  flags: [],
  returns: ["node_id", "address", "hostname"],
  needsDaemon: true,
  run: runRegister,
};
