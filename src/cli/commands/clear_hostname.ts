// `pilotctl clear-hostname` (CLI.md §3.3): releases the hostname (`set_hostname` with "", PROTOCOL-BRIEF §4.4) and
// removes it from config.json.
import { removeConfigKeys } from "../../config/mod.ts";
import { withDaemon } from "../daemon_client.ts";
import type { CommandContext, CommandResult, CommandSpec } from "../spec.ts";

export function runClearHostname(ctx: CommandContext): Promise<CommandResult> {
  return withDaemon(ctx, async (session) => {
    await session.request("set_hostname", { hostname: "" });
    await removeConfigKeys(session.config.configPath, ["hostname"]);
    return { data: { node_id: session.self.nodeId, hostname: "" }, human: "Hostname cleared" };
  });
}

export const clearHostnameCommand: CommandSpec = {
  name: "clear-hostname",
  summary: "Release the hostname",
  description: "Releases the hostname and removes it from config.",
  args: [],
  flags: [],
  returns: ["node_id", "hostname"],
  needsDaemon: true,
  run: runClearHostname,
};
