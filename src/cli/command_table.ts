// The command table (CLI.md §3): the one declaration of every command, driving parsing, `help`, usage errors and
// `context`. Adding a command = one file in commands/ exporting its spec + one line here.
import { configCommand } from "./commands/config.ts";
import { contextCommand } from "./commands/context.ts";
import { helpCommand } from "./commands/help.ts";
import { initCommand } from "./commands/init.ts";
import { registryRunCommand } from "./commands/registry_run.ts";
import { versionCommand } from "./commands/version.ts";
import type { CommandTable } from "./spec.ts";

export const COMMAND_TABLE: CommandTable = [
  registryRunCommand,
  initCommand,
  configCommand,
  contextCommand,
  versionCommand,
  helpCommand,
];
