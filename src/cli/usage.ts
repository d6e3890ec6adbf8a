// Usage text, generated from the command table (CLI.md §1.2): the overview, one command, or one command group.
import { CONFIG_KEYS } from "../config/mod.ts";
import { UsageError } from "../util/errors.ts";
import { commandGroups } from "./parse.ts";
import type { ArgSpec, CommandSpec, CommandTable, FlagSpec } from "./spec.ts";

export interface GlobalFlagDoc {
  readonly type: "boolean";
  readonly description: string;
}

/** Flags every command accepts. */
export const GLOBAL_FLAGS: Readonly<Record<string, GlobalFlagDoc>> = {
  "--json": {
    type: "boolean",
    description: 'Machine-readable output: one {"status":…} envelope line. Accepted anywhere on the line.',
  },
  "--help": { type: "boolean", description: "Show usage on stdout (also -h)." },
  "--version": { type: "boolean", description: "Show the version (as the first argument)." },
};

function argUsage(arg: ArgSpec): string {
  const name = arg.default === undefined ? arg.name : `${arg.name}=${arg.default}`;
  const base = arg.required ? `<${name}>` : `[${name}]`;
  return arg.variadic ? `${base}…` : base;
}

function flagUsage(flag: FlagSpec): string {
  if (flag.type === "boolean") return `--${flag.name}`;
  return `--${flag.name} <${flag.valueName ?? flag.type}>`;
}

/** `pilotctl config [--set <key=value>]… [--unset <key>]` */
export function usageLine(spec: CommandSpec): string {
  const parts = [`pilotctl ${spec.name}`, ...spec.args.map(argUsage)];
  for (const flag of spec.flags) parts.push(`[${flagUsage(flag)}]${flag.repeatable ? "…" : ""}`);
  return parts.join(" ");
}

/** Two columns, the first padded to the widest entry plus two spaces. */
function columns(rows: readonly (readonly [string, string])[], indent = "  "): string[] {
  const width = Math.max(0, ...rows.map(([left]) => left.length));
  return rows.map(([left, right]) => right === "" ? indent + left : `${indent}${left.padEnd(width)}  ${right}`);
}

/** The default and environment variable of a flag as help shows them. */
export function flagDefault(flag: FlagSpec): string | number | boolean | null {
  if (flag.default !== undefined) return flag.default;
  if (flag.configKey !== undefined) return CONFIG_KEYS[flag.configKey].defaultLabel;
  return null;
}

export function flagEnv(flag: FlagSpec): string | null {
  return flag.env ?? (flag.configKey === undefined ? null : CONFIG_KEYS[flag.configKey].env ?? null);
}

function flagNote(flag: FlagSpec): string {
  const notes: string[] = [];
  const env = flagEnv(flag);
  if (env !== null) notes.push(`env ${env}`);
  const def = flagDefault(flag);
  if (def !== null && def !== "" && flag.type !== "boolean") notes.push(`default ${def}`);
  if (flag.repeatable) notes.push("repeatable");
  return notes.length === 0 ? flag.description : `${flag.description} (${notes.join(", ")})`;
}

/** Usage of one command. */
export function commandUsage(spec: CommandSpec): string {
  const lines = [`Usage: ${usageLine(spec)}`, "", spec.description];
  if (spec.args.length > 0) {
    lines.push("", "Arguments:", ...columns(spec.args.map((a) => [argUsage(a), a.description])));
  }
  if (spec.flags.length > 0) {
    lines.push("", "Flags:", ...columns(spec.flags.map((f) => [flagUsage(f), flagNote(f)])));
  }
  lines.push("", "Global flags:", ...columns(globalFlagRows()));
  if (spec.needsDaemon) lines.push("", "Needs a running daemon (pilotctl daemon start).");
  return lines.join("\n");
}

function globalFlagRows(): [string, string][] {
  return [
    ["--json", GLOBAL_FLAGS["--json"].description],
    ["-h, --help", "Show usage on stdout."],
  ];
}

function commandRows(specs: readonly CommandSpec[]): [string, string][] {
  return specs.map((s) => [s.name, s.summary]);
}

/** The overview: every command with its summary. */
export function overviewUsage(table: CommandTable, version: string): string {
  return [
    `pilotctl ${version}: an overlay network for AI agents`,
    "",
    "Usage: pilotctl <command> [arguments] [flags]",
    "",
    "Commands:",
    ...columns(commandRows(table)),
    "",
    "Global flags:",
    ...columns([...globalFlagRows(), ["--version", GLOBAL_FLAGS["--version"].description]]),
    "",
    "Run 'pilotctl help <command>' for the arguments and flags of a command.",
  ].join("\n");
}

/** Usage of a command group: its subcommands. */
export function groupUsage(table: CommandTable, group: string): string {
  const specs = table.filter((s) => s.name.startsWith(group + " "));
  return [
    `Usage: pilotctl ${group} <subcommand> [arguments] [flags]`,
    "",
    "Subcommands:",
    ...columns(commandRows(specs)),
    "",
    `Run 'pilotctl ${group} <subcommand> --help' for details.`,
  ].join("\n");
}

/** Usage for `help [command…]` and `--help`: a command, a group, or the overview; unknown → UsageError (exit 2). */
export function usageFor(table: CommandTable, topic: string | null, version: string): string {
  if (topic === null || topic === "") return overviewUsage(table, version);
  const spec = table.find((s) => s.name === topic);
  if (spec !== undefined) return commandUsage(spec);
  if (commandGroups(table).has(topic)) return groupUsage(table, topic);
  throw new UsageError(`unknown command "${topic}"`);
}
