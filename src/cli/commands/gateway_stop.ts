// `pilotctl gateway stop` (CLI.md §3.9): asks the gateway over its control socket to stop (it closes its listeners
// and connections and removes its aliases), or sends SIGTERM to the pid in `gateway.pid` when the socket is silent;
// waits for the process to go, SIGKILL after GATEWAY_STOP_WAIT_MS. Not running: not_running, stale pid file removed.
import {
  type GatewayControl,
  gatewayNotRunningError,
  liveGatewayPid,
  processAlive,
  readGatewayPid,
  removeStaleGatewayPid,
} from "../../gateway/mod.ts";
import { delay } from "./stream_io.ts";
import type { CommandContext, CommandResult, CommandSpec } from "../spec.ts";
import { gatewayPaths, openControl } from "./gateway_common.ts";

export const GATEWAY_STOP_WAIT_MS = 10_000;
const STOP_POLL_MS = 100;

/**
 * True once the gateway is gone; false if it outlived `ms`. A gateway inside this very process (embedding, tests)
 * is gone when it has released its pid file.
 */
async function waitForExit(pid: number, pidFile: string, ms: number): Promise<boolean> {
  const gone = async () =>
    pid === Deno.pid ? await readGatewayPid(pidFile).catch(() => null) !== pid : !processAlive(pid);
  const polls = Math.ceil(ms / STOP_POLL_MS);
  for (let i = 0; i < polls; i++) {
    if (await gone()) return true;
    await delay(STOP_POLL_MS);
  }
  return await gone();
}

function signal(pid: number, sig: Deno.Signal): void {
  try {
    Deno.kill(pid, sig);
  } catch {
    // gone meanwhile
  }
}

export async function runGatewayStop(ctx: CommandContext): Promise<CommandResult> {
  const paths = gatewayPaths(ctx.env);
  let pid: number | null = null;
  let control: GatewayControl | null = null;
  try {
    control = await openControl(ctx.env);
  } catch {
    // silent or missing socket: fall back to the pid file
  }
  if (control !== null) {
    try {
      pid = await control.stop();
    } catch {
      pid = control.pid;
    } finally {
      await control.close();
    }
  } else {
    pid = await liveGatewayPid(paths.gatewayPid);
    if (pid === null) {
      await removeStaleGatewayPid(paths.gatewayPid);
      throw gatewayNotRunningError();
    }
    signal(pid, "SIGTERM");
  }
  let forced = false;
  if (!await waitForExit(pid, paths.gatewayPid, GATEWAY_STOP_WAIT_MS) && pid !== Deno.pid) {
    signal(pid, "SIGKILL");
    forced = true;
    await waitForExit(pid, paths.gatewayPid, GATEWAY_STOP_WAIT_MS);
    // A killed gateway cannot clean up after itself.
    await removeStaleGatewayPid(paths.gatewayPid);
    await Deno.remove(paths.gatewaySocket).catch(() => {});
  }
  return { data: { pid }, human: `Gateway ${forced ? "killed" : "stopped"} (pid ${pid})` };
}

export const gatewayStopCommand: CommandSpec = {
  name: "gateway stop",
  summary: "Stop the TCP gateway",
  description: "Stops the running gateway of this PILOT_HOME: closes its listeners and connections and removes " +
    "its interface aliases. Waits up to 10 s, then kills it.",
  args: [],
  flags: [],
  returns: ["pid"],
  needsDaemon: true,
  run: runGatewayStop,
};
