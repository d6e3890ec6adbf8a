// `pilotctl clear-tags` (CLI.md §3.3): removes every tag (`set_tags` with [], PROTOCOL-BRIEF §4.4).
import { withDaemon } from "../daemon_client.ts";
import type { CommandContext, CommandResult, CommandSpec } from "../spec.ts";

export function runClearTags(ctx: CommandContext): Promise<CommandResult> {
  return withDaemon(ctx, async (session) => {
    await session.request("set_tags", { tags: [] });
    return { data: { node_id: session.self.nodeId, tags: [] } };
  });
}

export const clearTagsCommand: CommandSpec = {
  name: "clear-tags",
  summary: "Remove all tags",
  description: "Removes all tags.",
  args: [],
  flags: [],
  returns: ["node_id", "tags"],
  needsDaemon: true,
  run: runClearTags,
};
