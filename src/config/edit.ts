// Edits of config.json (`config --set k=v` / `--unset k`, `init`, `set-hostname`, `set-webhook`, …):
// every value is typed and validated per key before the file is rewritten; unknown keys already there are kept.
import { InvalidArgumentError } from "../util/errors.ts";
import { readConfigFile, writeConfigFile } from "./file.ts";
import type { ConfigObject } from "./file.ts";
import { CONFIG_KEYS, isConfigKey } from "./keys.ts";
import type { ConfigKey, ConfigValues } from "./keys.ts";

/** One change: the new value, or null when the key was removed. */
export interface ConfigChange {
  readonly key: string;
  readonly value: ConfigValues[ConfigKey] | null;
}

function unknownKey(key: string): InvalidArgumentError {
  return new InvalidArgumentError(`unknown config key "${key}"`, { hint: "pilotctl config" });
}

/** Parses `key=value` from `config --set`; the value is typed per key (`public=true` → true, `lan_addrs=a,b`). */
export function parseSetting(text: string): { key: ConfigKey; value: ConfigValues[ConfigKey] } {
  const eq = text.indexOf("=");
  if (eq < 0) {
    throw new InvalidArgumentError(`invalid setting "${text}" (use key=value)`, { hint: "pilotctl config --help" });
  }
  const key = text.slice(0, eq);
  if (!isConfigKey(key)) throw unknownKey(key);
  return { key, value: CONFIG_KEYS[key].fromText(text.slice(eq + 1)) };
}

/**
 * Applies `--set` texts, then `--unset` keys, to a copy of the file object. An unknown key may be unset only when it
 * is in the file (that is how one removes it). A key set twice keeps its last value.
 */
export function applyConfigEdits(
  object: ConfigObject,
  sets: readonly string[],
  unsets: readonly string[],
): { object: ConfigObject; changed: ConfigChange[] } {
  const next: ConfigObject = { ...object };
  const changed = new Map<string, ConfigChange>();
  for (const text of sets) {
    const { key, value } = parseSetting(text);
    next[key] = value;
    changed.delete(key);
    changed.set(key, { key, value });
  }
  for (const key of unsets) {
    if (!isConfigKey(key) && !Object.hasOwn(object, key)) throw unknownKey(key);
    delete next[key];
    changed.delete(key);
    changed.set(key, { key, value: null });
  }
  return { object: next, changed: [...changed.values()] };
}

/** Sets typed values in a config file: reads it strictly (a corrupt file is never overwritten), then rewrites it. */
export async function updateConfigFile(
  path: string,
  values: { readonly [K in ConfigKey]?: ConfigValues[K] },
): Promise<{ created: boolean }> {
  const file = await readConfigFile(path);
  const next: ConfigObject = { ...file.object };
  for (const [key, value] of Object.entries(values)) if (value !== undefined) next[key] = value;
  await writeConfigFile(path, next);
  return { created: !file.exists };
}

/** Removes keys from an existing config file; a missing file stays missing. */
export async function removeConfigKeys(path: string, keys: readonly ConfigKey[]): Promise<void> {
  const file = await readConfigFile(path);
  if (!file.exists) return;
  const next: ConfigObject = { ...file.object };
  for (const key of keys) delete next[key];
  await writeConfigFile(path, next);
}
