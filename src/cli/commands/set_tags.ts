// `pilotctl set-tags <tag>…` (CLI.md §3.3): replaces the node's tags in the registry (`set_tags`, PROTOCOL-BRIEF
// §4.4); tags are checked and deduplicated here first (§1.5: at most 10, a leading # dropped).
import { parseTags } from "../../config/mod.ts";
import { withDaemon } from "../daemon_client.ts";
import type { CommandContext, CommandResult, CommandSpec } from "../spec.ts";

export async function runSetTags(ctx: CommandContext): Promise<CommandResult> {
  const tags = parseTags(ctx.args.list("tags"));
  return await withDaemon(ctx, async (session) => {
    const result = await session.request("set_tags", { tags });
    const saved = Array.isArray(result.tags) ? [...result.tags] : tags;
    return { data: { node_id: session.self.nodeId, tags: saved }, human: `Tags: ${saved.join(", ")}` };
  });
}

export const setTagsCommand: CommandSpec = {
  name: "set-tags",
  summary: "Replace the node's tags",
  description: "Replaces the tags (deduplicated, at most 10). Tags persist in the registry.",
  args: [{ name: "tags", description: "Tags: 1-32 of a-z, 0-9 and -", required: true, variadic: true }],
  flags: [],
  returns: ["node_id", "tags"],
  needsDaemon: true,
  run: runSetTags,
};
