// The shape of one entry of the command table (CLI.md §1.2, §3.10): the single declaration that drives argument
// parsing, `help`, usage errors and the `context` catalogue, plus the context a command's handler runs with.
import type { ConfigKey, Env } from "../config/mod.ts";
import type { ArgValues, FlagValues } from "./parsed.ts";
import type { Io } from "./io.ts";

export type FlagType = "string" | "boolean" | "int" | "duration";

export interface FlagSpec {
  /** Without the dashes: `"log-level"`. */
  readonly name: string;
  readonly type: FlagType;
  readonly description: string;
  /** Applied when the flag is absent (after `env`). Durations as text (`"30s"`). */
  readonly default?: string | number | boolean;
  /** Environment variable read when the flag is absent. */
  readonly env?: string;
  /** Every occurrence is kept, in order (`--tag`, `--set`). */
  readonly repeatable?: boolean;
  /** The config key this flag overrides: its default and environment variable come from the key table. */
  readonly configKey?: ConfigKey;
  /** Placeholder in usage lines: `--set <key=value>`. */
  readonly valueName?: string;
}

export interface ArgSpec {
  readonly name: string;
  readonly description: string;
  /** Optional arguments are shown as `[name]`; a required one as `<name>`. */
  readonly required: boolean;
  /** Takes every remaining positional (must be last). */
  readonly variadic?: boolean;
  /** Used when an optional argument is absent (`[size_mb=1]`). */
  readonly default?: string;
}

/** What a handler produced; the framework prints it in the selected mode (CLI.md §1.3). */
export interface CommandResult {
  /** The envelope's `data`; always an object. */
  readonly data: Record<string, unknown>;
  /** The human layout (without a final newline); absent: `data` as 2-space-indented JSON. */
  readonly human?: string;
  /** The command already wrote its output (a stream, a silent check): print nothing more. */
  readonly silent?: boolean;
  /** Exit status when not 0 without an error (`daemon status --check`). */
  readonly exitCode?: number;
}

export interface CommandContext {
  readonly spec: CommandSpec;
  readonly args: ArgValues;
  readonly flags: FlagValues;
  /** `--json` was given. */
  readonly json: boolean;
  readonly io: Io;
  readonly env: Env;
  /** The whole table, for `help` and `context`. */
  readonly table: CommandTable;
}

export interface CommandSpec {
  /** As typed, words separated by one space: `"config"`, `"daemon start"`. */
  readonly name: string;
  /** One line, for the command list. */
  readonly summary: string;
  /** What it does; shown by `help <command>` and in `context`. */
  readonly description: string;
  readonly args: readonly ArgSpec[];
  readonly flags: readonly FlagSpec[];
  /** The fields of `data`. */
  readonly returns: readonly string[];
  readonly needsDaemon: boolean;
  run(ctx: CommandContext): Promise<CommandResult>;
}

export type CommandTable = readonly CommandSpec[];
