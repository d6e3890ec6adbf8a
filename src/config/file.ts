// config.json on disk (CLI.md §1.7, §1.8): read strictly, written atomically with mode 0600 in a 0700 directory.
// A file that cannot be read or parsed is an error naming it, and is never overwritten.
import { InvalidArgumentError } from "../util/errors.ts";
import { randomBytes, toHex } from "../util/bytes.ts";
import { dirName, PRIVATE_DIR_MODE, PRIVATE_FILE_MODE } from "./paths.ts";

/** The raw contents of config.json: a JSON object, unknown keys included, in file order. */
export type ConfigObject = Record<string, unknown>;

export interface ConfigFile {
  readonly path: string;
  readonly exists: boolean;
  readonly object: ConfigObject;
}

const TEMP_SUFFIX_BYTES = 6;

/** Reads config.json; a missing file is an empty object, anything unreadable or not a JSON object is an error. */
export async function readConfigFile(path: string): Promise<ConfigFile> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return { path, exists: false, object: {} };
    const reason = err instanceof Error ? err.message : String(err);
    throw new InvalidArgumentError(`cannot read config file ${path}: ${reason}`, {
      hint: "fix its permissions or set PILOT_HOME",
    });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new InvalidArgumentError(`invalid config file ${path}: ${reason}`, { hint: `fix or remove ${path}` });
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new InvalidArgumentError(`invalid config file ${path}: not a JSON object`, { hint: `fix or remove ${path}` });
  }
  return { path, exists: true, object: parsed as ConfigObject };
}

/** Creates a directory (and its parents) with mode 0700 when it is missing; an existing one is left as it is. */
export async function ensurePrivateDir(path: string): Promise<boolean> {
  try {
    const info = await Deno.stat(path);
    if (!info.isDirectory) throw new InvalidArgumentError(`cannot create directory ${path}: a file is in the way`);
    return false;
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  await Deno.mkdir(path, { recursive: true, mode: PRIVATE_DIR_MODE });
  // mkdir applies the umask; the state directory must be exactly 0700.
  if (Deno.build.os !== "windows") await Deno.chmod(path, PRIVATE_DIR_MODE);
  return true;
}

/**
 * Writes text to `path` atomically: a temporary file beside it (mode 0600) is written, flushed to disk and renamed
 * over the target, so readers see the old or the new contents, never a torn file.
 */
export async function writeFileAtomic(path: string, text: string, mode = PRIVATE_FILE_MODE): Promise<void> {
  const temp = `${path}.tmp-${toHex(randomBytes(TEMP_SUFFIX_BYTES))}`;
  const file = await Deno.open(temp, { write: true, createNew: true, mode });
  try {
    try {
      const bytes = new TextEncoder().encode(text);
      let offset = 0;
      while (offset < bytes.length) offset += await file.write(bytes.subarray(offset));
      await file.sync();
    } finally {
      file.close();
    }
    if (Deno.build.os !== "windows") await Deno.chmod(temp, mode);
    await Deno.rename(temp, path);
  } catch (err) {
    await Deno.remove(temp).catch(() => {});
    throw err;
  }
}

/** Writes config.json with a 2-space indent and a final newline, creating its directory (0700) if needed. */
export async function writeConfigFile(path: string, object: ConfigObject): Promise<void> {
  await ensurePrivateDir(dirName(path));
  await writeFileAtomic(path, JSON.stringify(object, null, 2) + "\n");
}
