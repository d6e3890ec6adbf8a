// `pilotctl version` (CLI.md §3.10): the version of pilotctl and of the Deno runtime it was built with.
import { buildInfo } from "../build_info.ts";
import type { CommandContext, CommandResult, CommandSpec } from "../spec.ts";

export function runVersion(_ctx: CommandContext): Promise<CommandResult> {
  const info = buildInfo();
  return Promise.resolve({
    data: { version: info.version, deno: info.deno, os: info.os, arch: info.arch },
    human: `pilotctl ${info.version} (deno ${info.deno}, ${info.os}-${info.arch})`,
  });
}

export const versionCommand: CommandSpec = {
  name: "version",
  summary: "Show the version",
  description: "Shows the version of pilotctl, the Deno runtime it runs on, and the platform.",
  args: [],
  flags: [],
  returns: ["version", "deno", "os", "arch"],
  needsDaemon: false,
  run: runVersion,
};
