// Effective settings (CLI.md §1.7): flag > environment variable > config file > default, for every key, with the
// source of each value recorded so `config` can show where it came from.
import { InvalidArgumentError } from "../util/errors.ts";
import { readConfigFile } from "./file.ts";
import type { ConfigObject } from "./file.ts";
import { CONFIG_KEY_NAMES, CONFIG_KEYS, isConfigKey } from "./keys.ts";
import type { ConfigKey, ConfigValues } from "./keys.ts";
import { envValue, pilotPaths, resolveHome } from "./paths.ts";
import type { Env } from "./paths.ts";

export type ConfigSource = "flag" | "env" | "config" | "default";

/** Values given on the command line, keyed by config key: text as typed, or an already typed value. */
export type ConfigOverrides = { readonly [K in ConfigKey]?: string | ConfigValues[K] };

export interface ResolveOptions {
  readonly env: Env;
  /** `--config`: an alternative config file. */
  readonly configPath?: string;
  readonly flags?: ConfigOverrides;
}

export interface ResolvedConfig {
  readonly home: string;
  readonly configPath: string;
  readonly fileExists: boolean;
  /** config.json as read, unknown keys included. */
  readonly file: ConfigObject;
  readonly values: ConfigValues;
  readonly sources: { readonly [K in ConfigKey]: ConfigSource };
  readonly unknownKeys: string[];
}

/** Reads config.json and applies the precedence rule to every key. */
export async function resolveConfig(options: ResolveOptions): Promise<ResolvedConfig> {
  const home = resolveHome(options.env);
  const configPath = options.configPath ?? pilotPaths(home).config;
  const file = await readConfigFile(configPath);
  const values: Partial<Record<ConfigKey, unknown>> = {};
  const sources: Partial<Record<ConfigKey, ConfigSource>> = {};
  for (const key of CONFIG_KEY_NAMES) {
    const [value, source] = resolveKey(key, home, configPath, file.object, options);
    values[key] = value;
    sources[key] = source;
  }
  return {
    home,
    configPath,
    fileExists: file.exists,
    file: file.object,
    values: values as ConfigValues,
    sources: sources as Record<ConfigKey, ConfigSource>,
    unknownKeys: Object.keys(file.object).filter((k) => !isConfigKey(k)),
  };
}

function resolveKey<K extends ConfigKey>(
  key: K,
  home: string,
  configPath: string,
  file: ConfigObject,
  options: ResolveOptions,
): [ConfigValues[K], ConfigSource] {
  const spec = CONFIG_KEYS[key];
  const flag = options.flags?.[key];
  if (flag !== undefined) {
    return [typeof flag === "string" ? spec.fromText(flag) : spec.fromJson(flag), "flag"];
  }
  const fromEnv = spec.env === undefined ? undefined : envValue(options.env, spec.env);
  if (fromEnv !== undefined) {
    try {
      return [spec.fromText(fromEnv), "env"];
    } catch (err) {
      throw rethrowWithHint(err, `check the ${spec.env} environment variable`);
    }
  }
  if (Object.hasOwn(file, key)) return [parseFileValue(key, file[key], configPath), "config"];
  return [spec.default(home), "default"];
}

/** Validates one value of config.json; the error names the file and the key. */
export function parseFileValue<K extends ConfigKey>(key: K, value: unknown, configPath: string): ConfigValues[K] {
  try {
    return CONFIG_KEYS[key].fromJson(value);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new InvalidArgumentError(`invalid config file ${configPath}: "${key}": ${reason}`, {
      hint: `pilotctl config --set ${key}=<value>, or --unset ${key}`,
    });
  }
}

function rethrowWithHint(err: unknown, hint: string): unknown {
  if (err instanceof InvalidArgumentError && err.hint === "") return new InvalidArgumentError(err.message, { hint });
  return err;
}
