// `<home>/gateway.pid` (CLI.md §1.8): the shared pid-file rules of src/util/pidfile.ts plus the gateway's
// "already running" failure. A file naming a dead process is stale and is replaced.
import { AlreadyExistsError } from "../util/errors.ts";
import { PID_FILE_MODE, processAlive, readPidFile, releasePidFile, writePidFile } from "../util/pidfile.ts";

export { processAlive } from "../util/pidfile.ts";

export const GATEWAY_PID_FILE_MODE = PID_FILE_MODE;
export const GATEWAY_STOP_HINT = "pilotctl gateway stop";

/** The standard "already running" failure of CLI.md §3.9. */
export function gatewayRunningError(pid: number | null): AlreadyExistsError {
  return new AlreadyExistsError(`gateway is already running${pid === null ? "" : ` (pid ${pid})`}`, {
    hint: GATEWAY_STOP_HINT,
    detail: "gateway_running",
  });
}

/** The pid in the file, or null when the file is missing or holds no pid. */
export const readGatewayPid: (path: string) => Promise<number | null> = readPidFile;

/** The live gateway's pid from the file, or null (a stale file is left for the next start to replace). */
export async function liveGatewayPid(path: string): Promise<number | null> {
  const pid = await readGatewayPid(path);
  return pid !== null && pid !== Deno.pid && processAlive(pid) ? pid : null;
}

/** Writes our pid atomically, unless the file names another live process (`already_exists`). */
export async function claimGatewayPid(path: string, pid: number = Deno.pid): Promise<void> {
  const existing = await liveGatewayPid(path);
  if (existing !== null) throw gatewayRunningError(existing);
  await writePidFile(path, pid);
}

/** Removes the pid file if it still names `pid`. */
export const releaseGatewayPid: (path: string, pid?: number) => Promise<void> = releasePidFile;

/** Removes a pid file that names a dead process. */
export async function removeStaleGatewayPid(path: string): Promise<void> {
  const pid = await readGatewayPid(path).catch(() => null);
  if (pid !== null && !processAlive(pid)) await Deno.remove(path).catch(() => {});
}
