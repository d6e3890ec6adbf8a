// `pilotctl set-public [node_id]` and `set-private [node_id]` (CLI.md §3.3, PROTOCOL-BRIEF §4.3): sets the node's
// visibility in the registry (`set_visibility`) and saves it to config.json. The optional argument exists for
// scripts that name the node; it must be this node's own id or address.
import { parseNodeId, updateConfigFile } from "../../config/mod.ts";
import { InvalidArgumentError } from "../../util/errors.ts";
import { parseAddr } from "../../wire/mod.ts";
import { withDaemon } from "../daemon_client.ts";
import type { CommandContext, CommandResult, CommandSpec } from "../spec.ts";

/** The node named by `[node_id]`: a decimal id or an address (its node part). */
export function parseOwnNodeArg(text: string): number {
  return text.includes(":") ? parseAddr(text).node : parseNodeId(text);
}

function runner(isPublic: boolean): (ctx: CommandContext) => Promise<CommandResult> {
  return async (ctx) => {
    const given = ctx.args.get("node_id");
    const named = given === undefined ? null : parseOwnNodeArg(given);
    return await withDaemon(ctx, async (session) => {
      if (named !== null && named !== session.self.nodeId) {
        throw new InvalidArgumentError("can only change your own visibility", { hint: "pilotctl info" });
      }
      const result = await session.request("set_visibility", { public: isPublic });
      const now = typeof result.public === "boolean" ? result.public : isPublic;
      await updateConfigFile(session.config.configPath, { public: now });
      return {
        data: { node_id: session.self.nodeId, public: now },
        human: `Visibility: ${now ? "public" : "private"}`,
      };
    });
  };
}

const NODE_ARG = { name: "node_id", description: "Your own node ID or address (optional)", required: false };

export const setPublicCommand: CommandSpec = {
  name: "set-public",
  summary: "Make the node visible to everyone",
  description: "Makes the node public and saves it to config. Public nodes can be found and looked up by anyone; " +
    "traffic still needs mutual trust.",
  args: [NODE_ARG],
  flags: [],
  returns: ["node_id", "public"],
  needsDaemon: true,
  run: runner(true),
};

export const setPrivateCommand: CommandSpec = {
  name: "set-private",
  summary: "Make the node visible only to trusted peers",
  description: "Makes the node private (the default) and saves it to config. Only peers a private node trusts, " +
    "or that share a network with it, can find it, look it up or reach it.",
  args: [NODE_ARG],
  flags: [],
  returns: ["node_id", "public"],
  needsDaemon: true,
  run: runner(false),
};
