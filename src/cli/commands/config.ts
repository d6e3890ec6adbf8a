// `pilotctl config [--set k=v]… [--unset k]` (CLI.md §3.10, §1.7): shows the effective settings and where each one
// comes from, or edits config.json (typed and validated per key; a corrupt file is reported, never overwritten).
import {
  applyConfigEdits,
  CONFIG_KEY_NAMES,
  CONFIG_KEYS,
  pilotPaths,
  readConfigFile,
  resolveConfig,
  resolveHome,
  tildePath,
  writeConfigFile,
} from "../../config/mod.ts";
import type { ConfigChange, ConfigKey, ResolvedConfig } from "../../config/mod.ts";
import type { CommandContext, CommandResult, CommandSpec } from "../spec.ts";

export const SECRET_MASK = "***";

function isSecret(key: string): boolean {
  return Object.hasOwn(CONFIG_KEYS, key) && CONFIG_KEYS[key as ConfigKey].secret === true;
}

/** A secret is shown as `***` once set; unset it stays `""`. */
function shown(key: string, value: unknown): unknown {
  return isSecret(key) && value !== "" && value !== null ? SECRET_MASK : value;
}

/** One value in human form: strings bare (`""` when empty), lists comma-separated. */
export function humanValue(value: unknown): string {
  if (value === "") return '""';
  if (Array.isArray(value)) return value.length === 0 ? "[]" : value.join(", ");
  return typeof value === "string" ? value : JSON.stringify(value);
}

async function showConfig(ctx: CommandContext): Promise<CommandResult> {
  const cfg: ResolvedConfig = await resolveConfig({ env: ctx.env });
  const paths = pilotPaths(cfg.home);
  const values: Record<string, unknown> = {};
  for (const key of CONFIG_KEY_NAMES) values[key] = shown(key, cfg.values[key]);
  const lines = CONFIG_KEY_NAMES.map((key) => `${key} = ${humanValue(values[key])}  (${cfg.sources[key]})`);
  if (!ctx.json) {
    for (const key of cfg.unknownKeys) {
      await ctx.io.stderr.write(`warning: unknown key "${key}" in ${cfg.configPath} (kept)\n`);
    }
  }
  return {
    data: {
      config_path: cfg.configPath,
      home: cfg.home,
      pid_file: paths.pidFile,
      log_file: paths.logFile,
      values,
      sources: { ...cfg.sources },
      unknown_keys: cfg.unknownKeys,
    },
    human: lines.join("\n"),
  };
}

async function editConfig(ctx: CommandContext, sets: string[], unsets: string[]): Promise<CommandResult> {
  const path = pilotPaths(resolveHome(ctx.env)).config;
  const file = await readConfigFile(path);
  const { object, changed } = applyConfigEdits(file.object, sets, unsets);
  await writeConfigFile(path, object);
  const masked: ConfigChange[] = changed.map((c) => ({
    key: c.key,
    value: shown(c.key, c.value) as ConfigChange["value"],
  }));
  const lines = masked.map((c) => c.value === null ? `Unset ${c.key}` : `Set ${c.key} = ${humanValue(c.value)}`);
  lines.push(`Saved ${tildePath(path, ctx.env)}`);
  return { data: { config_path: path, changed: masked }, human: lines.join("\n") };
}

export function runConfig(ctx: CommandContext): Promise<CommandResult> {
  const sets = ctx.flags.list("set");
  const unset = ctx.flags.string("unset");
  if (sets.length === 0 && unset === undefined) return showConfig(ctx);
  return editConfig(ctx, sets, unset === undefined ? [] : [unset]);
}

export const configCommand: CommandSpec = {
  name: "config",
  summary: "Show or edit the settings in config.json",
  description: "With no flags, shows the effective settings (webhook_secret as ***) and where each one comes from: " +
    "flag, env, config or default. --set and --unset edit config.json; the daemon reads the change at its next start.",
  args: [],
  flags: [
    {
      name: "set",
      type: "string",
      valueName: "key=value",
      repeatable: true,
      description: "Set a key in config.json; lists are comma-separated",
    },
    { name: "unset", type: "string", valueName: "key", description: "Remove a key from config.json" },
  ],
  returns: ["config_path", "home", "pid_file", "log_file", "values", "sources", "unknown_keys", "changed"],
  needsDaemon: false,
  run: runConfig,
};
