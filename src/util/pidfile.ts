// Pid files (CLI.md §1.8: `pilot.pid`, `gateway.pid`): the pid in decimal without a newline, mode 0600, written
// atomically; a file naming a dead process is stale. Shared by the daemon and the gateway.
import { InternalError } from "./errors.ts";
import { randomBytes, toHex } from "./bytes.ts";

export const PID_FILE_MODE = 0o600;
/** A pid file is a handful of digits; anything longer is not ours. */
const PID_FILE_MAX_BYTES = 32;
const PID_MAX = 0x7fff_ffff;

/** Parses pid file text; null unless it is a positive decimal pid (a trailing newline is tolerated). */
export function parsePid(text: string): number | null {
  const trimmed = text.trim();
  if (!/^[0-9]{1,10}$/.test(trimmed)) return null;
  const pid = Number(trimmed);
  return pid >= 1 && pid <= PID_MAX ? pid : null;
}

/** The pid in the file, or null when the file is missing or does not hold a pid. */
export async function readPidFile(path: string): Promise<number | null> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return null;
    throw new InternalError(`cannot read pid file ${path}: ${errorText(err)}`, { cause: err });
  }
  if (bytes.length > PID_FILE_MAX_BYTES) return null;
  return parsePid(new TextDecoder().decode(bytes));
}

/** Whether a process with this pid exists (signal 0 probes without delivering anything); a zombie counts as gone. */
export function processAlive(pid: number): boolean {
  try {
    Deno.kill(pid, 0);
  } catch (err) {
    // EPERM: it exists but belongs to someone else.
    return err instanceof Deno.errors.PermissionDenied;
  }
  return !isZombie(pid);
}

/** Linux: an exited process nobody has reaped yet still answers signal 0; its state letter is `Z`. */
function isZombie(pid: number): boolean {
  if (Deno.build.os !== "linux") return false;
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) === "Z";
  } catch {
    return false;
  }
}

/** Writes `pid` atomically (temp file 0600, then rename). */
export async function writePidFile(path: string, pid: number = Deno.pid): Promise<void> {
  const temp = `${path}.tmp-${toHex(randomBytes(6))}`;
  try {
    await Deno.writeTextFile(temp, String(pid), { mode: PID_FILE_MODE, createNew: true });
    if (Deno.build.os !== "windows") await Deno.chmod(temp, PID_FILE_MODE);
    await Deno.rename(temp, path);
  } catch (err) {
    await Deno.remove(temp).catch(() => {});
    throw new InternalError(`cannot write pid file ${path}: ${errorText(err)}`, { cause: err });
  }
}

/** Removes the pid file if it still names `pid` (a successor may have replaced it). */
export async function releasePidFile(path: string, pid: number = Deno.pid): Promise<void> {
  if (await readPidFile(path).catch(() => null) !== pid) return;
  await Deno.remove(path).catch(() => {});
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
