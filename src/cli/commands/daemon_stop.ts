// `pilotctl daemon stop` (CLI.md §3.1): SIGTERM to the pid in pilot.pid (or, when the file is missing, the pid the
// daemon reports over its socket), up to 10 s for it to exit, then SIGKILL. A stale pid file is removed; nothing
// running is `not_running`.
import { pilotPaths } from "../../config/mod.ts";
import { processAlive, readPidFile } from "../../daemon/mod.ts";
import { NotRunningError } from "../../util/errors.ts";
import type { CommandContext, CommandResult, CommandSpec } from "../spec.ts";
import { daemonConfig } from "./daemon_run.ts";
import { daemonInfo } from "./daemon_status.ts";

export const STOP_GRACE_MS = 10_000;
const KILL_WAIT_MS = 3_000;
const STOP_POLL_MS = 50;

function notRunning(): NotRunningError {
  return new NotRunningError("daemon is not running", { hint: "pilotctl daemon start" });
}

/** Polls until `pid` is gone or `ms` passes; true when it is gone. */
async function exited(pid: number, ms: number): Promise<boolean> {
  const deadline = performance.now() + ms;
  while (processAlive(pid)) {
    if (performance.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, STOP_POLL_MS));
  }
  return true;
}

function signal(pid: number, sig: Deno.Signal): void {
  try {
    Deno.kill(pid, sig);
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
}

export async function runDaemonStop(ctx: CommandContext): Promise<CommandResult> {
  const config = await daemonConfig(ctx);
  const pidFile = pilotPaths(config.home).pidFile;
  let pid = await readPidFile(pidFile);
  if (pid !== null && !processAlive(pid)) {
    await Deno.remove(pidFile).catch(() => {});
    pid = null;
  }
  if (pid === null) {
    const info = await daemonInfo(config.values.socket);
    if (info === null || typeof info.pid !== "number" || !processAlive(info.pid)) throw notRunning();
    pid = info.pid;
  }
  signal(pid, "SIGTERM");
  let forced = false;
  if (!await exited(pid, STOP_GRACE_MS)) {
    forced = true;
    signal(pid, "SIGKILL");
    await exited(pid, KILL_WAIT_MS);
    // The daemon could not clean up after SIGKILL.
    await Deno.remove(pidFile).catch(() => {});
  }
  return {
    data: { pid, forced },
    human: forced ? `Daemon killed (pid ${pid})` : `Daemon stopped (pid ${pid})`,
  };
}

export const daemonStopCommand: CommandSpec = {
  name: "daemon stop",
  summary: "Stop the node daemon",
  description: "Sends SIGTERM to the daemon (pid from pilot.pid, else from the daemon itself), waits up to 10 s, " +
    "then sends SIGKILL.",
  args: [],
  flags: [
    { name: "socket", type: "string", configKey: "socket", valueName: "path", description: "IPC socket" },
    { name: "config", type: "string", valueName: "path", description: "Alternative config file" },
  ],
  returns: ["pid", "forced"],
  needsDaemon: false,
  run: runDaemonStop,
};
