// `pilotctl deregister` (CLI.md §3.3): leaves the directory (PROTOCOL-BRIEF §4.4 `deregister` with `release: true`):
// the node goes offline and its hostname and tags are released; the node id stays bound to the key.
import { withDaemon } from "../daemon_client.ts";
import type { CommandContext, CommandResult, CommandSpec } from "../spec.ts";

export function runDeregister(ctx: CommandContext): Promise<CommandResult> {
  return withDaemon(ctx, async (session) => {
    await session.request("deregister", { release: true });
    return { data: { node_id: session.self.nodeId, deregistered: true } };
  });
}

export const deregisterCommand: CommandSpec = {
  name: "deregister",
  summary: "Leave the directory until register or a restart",
  description: "The node goes offline and its hostname and tags are released. The daemon keeps running, " +
    "unregistered, until register or a restart. The node ID stays bound to the key.",
  args: [],
  flags: [],
  returns: ["node_id", "deregistered"],
  needsDaemon: true,
  run: runDeregister,
};
