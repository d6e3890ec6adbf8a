// `pilotctl help [command]` (CLI.md §1.2, §3.10): usage on stdout; an unknown command is a usage error (exit 2).
import { PILOTCTL_VERSION } from "../build_info.ts";
import type { CommandContext, CommandResult, CommandSpec } from "../spec.ts";
import { usageFor } from "../usage.ts";

export function runHelp(ctx: CommandContext): Promise<CommandResult> {
  const topic = ctx.args.list("command").join(" ");
  const usage = usageFor(ctx.table, topic === "" ? null : topic, PILOTCTL_VERSION);
  return Promise.resolve({ data: { command: topic, usage }, human: usage });
}

export const helpCommand: CommandSpec = {
  name: "help",
  summary: "Show usage of pilotctl or of one command",
  description:
    "Shows the list of commands, or the arguments and flags of one command (for example: help daemon start).",
  args: [{ name: "command", description: "A command, as typed.", required: false, variadic: true }],
  flags: [],
  returns: ["command", "usage"],
  needsDaemon: false,
  run: runHelp,
};
