// The daemon's pid file `<home>/pilot.pid` (CLI.md §1.8): the shared pid-file rules of src/util/pidfile.ts plus the
// daemon's "already running" failure.
import { AlreadyExistsError } from "../util/errors.ts";
import { processAlive, readPidFile, writePidFile } from "../util/pidfile.ts";

export { parsePid, PID_FILE_MODE, processAlive, readPidFile, releasePidFile, writePidFile } from "../util/pidfile.ts";

/** The standard "already running" failure (CLI.md §2). */
export function daemonRunningError(pid: number): AlreadyExistsError {
  return new AlreadyExistsError(`daemon is already running (pid ${pid})`, {
    hint: "pilotctl daemon stop",
    detail: "daemon_running",
  });
}

/**
 * Writes our pid unless the file names another live process (then `already_exists`); a stale file is replaced.
 * Returns the pid of the stale file it replaced, or null.
 */
export async function claimPidFile(path: string, pid: number = Deno.pid): Promise<number | null> {
  const existing = await readPidFile(path);
  if (existing !== null && existing !== pid && processAlive(existing)) throw daemonRunningError(existing);
  await writePidFile(path, pid);
  return existing !== null && existing !== pid ? existing : null;
}
