// `<home>/gateway.pid` (CLI.md §1.8): the running gateway's pid in decimal without a newline, mode 0600, written at
// start and removed at exit. A file naming a dead process is stale and is replaced.
import { AlreadyExistsError, InternalError } from "../util/errors.ts";
import { randomBytes, toHex } from "../util/bytes.ts";

export const GATEWAY_PID_FILE_MODE = 0o600;
export const GATEWAY_STOP_HINT = "pilotctl gateway stop";
/** A pid file is a handful of digits; anything longer is not ours. */
const PID_FILE_MAX_BYTES = 32;
const PID_MAX = 0x7fff_ffff;

/** The standard "already running" failure of CLI.md §3.9. */
export function gatewayRunningError(pid: number | null): AlreadyExistsError {
  return new AlreadyExistsError(`gateway is already running${pid === null ? "" : ` (pid ${pid})`}`, {
    hint: GATEWAY_STOP_HINT,
    detail: "gateway_running",
  });
}

/** The pid in the file, or null when the file is missing or holds no pid. */
export async function readGatewayPid(path: string): Promise<number | null> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return null;
    throw new InternalError(`cannot read pid file ${path}: ${errorText(err)}`, { cause: err });
  }
  if (bytes.length > PID_FILE_MAX_BYTES) return null;
  const text = new TextDecoder().decode(bytes).trim();
  if (!/^[0-9]{1,10}$/.test(text)) return null;
  const pid = Number(text);
  return pid >= 1 && pid <= PID_MAX ? pid : null;
}

/** Whether a process with this pid exists (signal 0 probes without delivering anything). */
export function processAlive(pid: number): boolean {
  try {
    Deno.kill(pid, 0);
  } catch (err) {
    // EPERM: it exists but belongs to someone else (a gateway started with sudo).
    return err instanceof Deno.errors.PermissionDenied;
  }
  return !isZombie(pid);
}

/**
 * An exited process that nobody has reaped yet still answers signal 0. A detached gateway's parent is gone, so it
 * waits for init, which may take its time: on Linux its state in /proc says it has exited.
 */
function isZombie(pid: number): boolean {
  if (Deno.build.os !== "linux") return false;
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) === "Z";
  } catch {
    return false;
  }
}

/** The live gateway's pid from the file, or null (a stale file is left for the next start to replace). */
export async function liveGatewayPid(path: string): Promise<number | null> {
  const pid = await readGatewayPid(path);
  return pid !== null && pid !== Deno.pid && processAlive(pid) ? pid : null;
}

/** Writes our pid atomically, unless the file names another live process (`already_exists`). */
export async function claimGatewayPid(path: string, pid: number = Deno.pid): Promise<void> {
  const existing = await liveGatewayPid(path);
  if (existing !== null) throw gatewayRunningError(existing);
  const temp = `${path}.tmp-${toHex(randomBytes(6))}`;
  try {
    await Deno.writeTextFile(temp, String(pid), { mode: GATEWAY_PID_FILE_MODE, createNew: true });
    if (Deno.build.os !== "windows") await Deno.chmod(temp, GATEWAY_PID_FILE_MODE);
    await Deno.rename(temp, path);
  } catch (err) {
    await Deno.remove(temp).catch(() => {});
    throw new InternalError(`cannot write pid file ${path}: ${errorText(err)}`, { cause: err });
  }
}

/** Removes the pid file if it still names `pid`. */
export async function releaseGatewayPid(path: string, pid: number = Deno.pid): Promise<void> {
  if (await readGatewayPid(path).catch(() => null) !== pid) return;
  await Deno.remove(path).catch(() => {});
}

/** Removes a pid file that names a dead process. */
export async function removeStaleGatewayPid(path: string): Promise<void> {
  const pid = await readGatewayPid(path).catch(() => null);
  if (pid !== null && !processAlive(pid)) await Deno.remove(path).catch(() => {});
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
