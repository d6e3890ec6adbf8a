// `pilotctl context` (CLI.md §3.10): the machine-readable catalogue for agents, built from the same command table as
// the parser, so it can never list a command or flag the parser does not accept.
import { CONFIG_KEY_NAMES, CONFIG_KEYS, ENVIRONMENT, pilotPaths, resolveHome } from "../../config/mod.ts";
import type { ErrorCode } from "../../util/errors.ts";
import { PILOTCTL_VERSION } from "../build_info.ts";
import { EXIT_CODES } from "../output.ts";
import type { CommandContext, CommandResult, CommandSpec, CommandTable } from "../spec.ts";
import { flagDefault, flagEnv, GLOBAL_FLAGS } from "../usage.ts";

/** CLI.md §2: what each code means and whether retrying can help. */
export const ERROR_CODE_DOCS: { readonly [C in ErrorCode]: { readonly meaning: string; readonly retry: string } } = {
  invalid_argument: {
    meaning: "Wrong input: syntax, a value, a limit exceeded, an unknown command or flag.",
    retry: "Never. Fix the input (see the hint).",
  },
  not_found: {
    meaning: "Absent, or not visible to you: node, hostname, network, file, pending request, connection, mapping.",
    retry: "Only after something changes (the peer registers, or trust is granted).",
  },
  already_exists: {
    meaning: "Already there: daemon or gateway running, name taken, port bound or exposed, already a member.",
    retry: "No. Use the existing one, or stop it first.",
  },
  not_running: {
    meaning: "The daemon or gateway is not running, or its socket does not answer.",
    retry: "After starting it (pilotctl daemon start).",
  },
  connection_failed: {
    meaning: "The registry, beacon or peer cannot be reached, or the connection was refused, reset or rate-limited.",
    retry: "Yes, with backoff.",
  },
  timeout: {
    meaning: "Nothing answered within --timeout, or the daemon was not ready in time.",
    retry: "Yes, possibly with a longer --timeout.",
  },
  unauthorized: {
    meaning: "Refused for lack of standing: no mutual trust, a rejected signature or key, a wrong network token, " +
      "no invitation, not a network admin, a missing OS privilege.",
    retry: "Not until trust or permission exists (see the hint).",
  },
  internal: {
    meaning: "Unexpected failure: a bug, corrupt local state, a full disk.",
    retry: "No. Report it with pilot.log.",
  },
};

function describeCommand(spec: CommandSpec): Record<string, unknown> {
  const flags: Record<string, unknown> = {};
  for (const flag of spec.flags) {
    flags[`--${flag.name}`] = {
      type: flag.type,
      default: flagDefault(flag),
      description: flag.description,
      env: flagEnv(flag),
      repeatable: flag.repeatable ?? false,
    };
  }
  return {
    args: spec.args.map((a) => ({
      name: a.name,
      required: a.required,
      variadic: a.variadic ?? false,
      default: a.default ?? null,
      description: a.description,
    })),
    flags,
    description: spec.description,
    returns: [...spec.returns],
    needs_daemon: spec.needsDaemon,
  };
}

function configKeysDoc(): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of CONFIG_KEY_NAMES) {
    const spec = CONFIG_KEYS[key];
    out[key] = { values: spec.values, default: spec.defaultLabel, env: spec.env ?? null, read_by: spec.readBy };
  }
  return out;
}

/** The whole catalogue; `configPath` is where this invocation would read config.json. */
export function buildContext(table: CommandTable, configPath: string): Record<string, unknown> {
  const commands: Record<string, unknown> = {};
  for (const spec of table) commands[spec.name] = describeCommand(spec);
  return {
    version: PILOTCTL_VERSION,
    commands,
    error_codes: ERROR_CODE_DOCS,
    exit_codes: EXIT_CODES,
    global_flags: GLOBAL_FLAGS,
    environment: ENVIRONMENT,
    config_keys: configKeysDoc(),
    config_file: {
      path: configPath,
      format: "one JSON object, 2-space indent, mode 0600; unknown keys are kept",
      precedence: "flag > environment variable > config file > default",
    },
  };
}

export function runContext(ctx: CommandContext): Promise<CommandResult> {
  let configPath = "<home>/config.json";
  try {
    configPath = pilotPaths(resolveHome(ctx.env)).config;
  } catch {
    // No HOME and no PILOT_HOME: the catalogue is still useful with the documented path.
  }
  return Promise.resolve({ data: buildContext(ctx.table, configPath) });
}

export const contextCommand: CommandSpec = {
  name: "context",
  summary: "Machine-readable catalogue of commands, errors and settings",
  description: "Lists every command with its arguments, flags, returned fields and whether it needs the daemon, " +
    "plus error codes, exit codes, global flags, environment variables and config keys. For agents.",
  args: [],
  flags: [],
  returns: [
    "version",
    "commands",
    "error_codes",
    "exit_codes",
    "global_flags",
    "environment",
    "config_keys",
    "config_file",
  ],
  needsDaemon: false,
  run: runContext,
};
