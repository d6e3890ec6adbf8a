// Command-line parsing driven by the command table, exactly per CLI.md §1.2: `--json` anywhere, `--name value` and
// `--name=value`, booleans that never consume the next token, `--` ending flags, single-dash tokens as positionals
// (except `-h`), last-wins for repeated flags unless repeatable, and the usage errors (exit 2) of that section.
import { UsageError } from "../util/errors.ts";
import type { RawFlagValue } from "./parsed.ts";
import type { CommandSpec, CommandTable } from "./spec.ts";

export const JSON_FLAG = "--json";
export const HELP_FLAGS: readonly string[] = ["--help", "-h"];
export const VERSION_FLAG = "--version";
export const VERSION_COMMAND = "version";

export type ParseOutcome =
  /** `pilotctl` alone: usage on stderr, exit 2. */
  | { readonly kind: "none" }
  /** `--help` / `-h`: usage of a command, a command group (`daemon`) or everything (`null`), on stdout. */
  | { readonly kind: "help"; readonly topic: string | null }
  | {
    readonly kind: "command";
    readonly spec: CommandSpec;
    readonly args: ReadonlyMap<string, string | string[]>;
    readonly flags: ReadonlyMap<string, RawFlagValue>;
  };

export interface ParsedArgv {
  readonly json: boolean;
  readonly outcome: ParseOutcome;
}

/** Splits argv into the JSON switch and the outcome; throws UsageError (exit 2) for every usage error. */
export function parseArgv(argv: readonly string[], table: CommandTable): ParsedArgv {
  const json = argv.includes(JSON_FLAG);
  const tokens = argv.filter((t) => t !== JSON_FLAG);
  return { json, outcome: parseTokens(tokens, table) };
}

/** The first word of every multi-word command: `daemon`, `gateway`, … */
export function commandGroups(table: CommandTable): Set<string> {
  const groups = new Set<string>();
  for (const spec of table) {
    const words = spec.name.split(" ");
    if (words.length > 1) groups.add(words[0]);
  }
  return groups;
}

/** The longest command whose words start `tokens`. */
export function matchCommand(tokens: readonly string[], table: CommandTable): CommandSpec | undefined {
  let best: CommandSpec | undefined;
  let bestWords = 0;
  for (const spec of table) {
    const words = spec.name.split(" ");
    if (words.length > bestWords && words.every((w, i) => tokens[i] === w)) {
      best = spec;
      bestWords = words.length;
    }
  }
  return best;
}

function parseTokens(tokens: readonly string[], table: CommandTable): ParseOutcome {
  if (tokens.length === 0) return { kind: "none" };
  const first = tokens[0];
  if (HELP_FLAGS.includes(first)) return { kind: "help", topic: null };
  const version = table.find((s) => s.name === VERSION_COMMAND);
  if (first === VERSION_FLAG && version !== undefined) return parseCommandTokens(version, tokens.slice(1));
  if (first.startsWith("--")) throw new UsageError(`unknown flag "${first}"`);
  const spec = matchCommand(tokens, table);
  if (spec === undefined) return unmatched(tokens, table);
  return parseCommandTokens(spec, tokens.slice(spec.name.split(" ").length));
}

function unmatched(tokens: readonly string[], table: CommandTable): ParseOutcome {
  const [first, second] = tokens;
  if (!commandGroups(table).has(first)) throw new UsageError(`unknown command "${first}"`);
  if (second !== undefined && HELP_FLAGS.includes(second)) return { kind: "help", topic: first };
  if (second === undefined || second.startsWith("-")) throw new UsageError(`missing subcommand for ${first}`, first);
  throw new UsageError(`unknown subcommand "${first} ${second}"`, first);
}

function parseCommandTokens(spec: CommandSpec, tokens: readonly string[]): ParseOutcome {
  const flags = new Map<string, RawFlagValue>();
  const positionals: string[] = [];
  let help = false;
  // The first usage error is thrown only after the whole line is read, so `--help` anywhere still wins.
  let error: UsageError | undefined;
  const fail = (message: string) => {
    error ??= new UsageError(message, spec.name);
  };

  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i];
    if (token === "--") {
      positionals.push(...tokens.slice(i + 1));
      break;
    }
    if (HELP_FLAGS.includes(token)) {
      help = true;
      continue;
    }
    if (!token.startsWith("--")) {
      positionals.push(token);
      continue;
    }
    const eq = token.indexOf("=");
    const name = token.slice(2, eq < 0 ? undefined : eq);
    const flag = spec.flags.find((f) => f.name === name);
    if (flag === undefined) {
      fail(`unknown flag "--${name}"`);
      continue;
    }
    let value: string | true;
    if (eq >= 0) {
      value = token.slice(eq + 1);
    } else if (flag.type === "boolean") {
      value = true;
    } else {
      const next = tokens[i + 1];
      if (next === undefined || next.startsWith("--")) {
        fail(`flag --${name} needs a value`);
        continue;
      }
      value = next;
      i++;
    }
    if (flag.repeatable) {
      const list = flags.get(name);
      const text = value === true ? "true" : value;
      flags.set(name, Array.isArray(list) ? [...list, text] : [text]);
    } else {
      flags.set(name, value);
    }
  }

  if (help) return { kind: "help", topic: spec.name };
  if (error !== undefined) throw error;
  return { kind: "command", spec, args: assignPositionals(spec, positionals), flags };
}

function assignPositionals(spec: CommandSpec, positionals: readonly string[]): Map<string, string | string[]> {
  const args = new Map<string, string | string[]>();
  let next = 0;
  for (const arg of spec.args) {
    if (arg.variadic) {
      const all = positionals.slice(next);
      next = positionals.length;
      if (all.length === 0 && arg.required) throw new UsageError(`missing argument <${arg.name}>`, spec.name);
      args.set(arg.name, all);
      continue;
    }
    if (next < positionals.length) {
      args.set(arg.name, positionals[next++]);
    } else if (arg.required) {
      throw new UsageError(`missing argument <${arg.name}>`, spec.name);
    }
  }
  if (next < positionals.length) throw new UsageError(`unexpected argument "${positionals[next]}"`, spec.name);
  return args;
}
