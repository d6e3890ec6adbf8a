// `pilotctl daemon status [--check]` (CLI.md §3.1): whether the daemon runs (pid file, live process) and answers on
// its socket. A stopped daemon is not an error. With `--check` nothing is printed: exit 0 if it answers, else 1.
import { pilotPaths } from "../../config/mod.ts";
import { processAlive, readPidFile } from "../../daemon/mod.ts";
import { IpcClient, type IpcJson } from "../../ipc/mod.ts";
import { formatClock } from "../format.ts";
import type { CommandContext, CommandResult, CommandSpec } from "../spec.ts";
import { daemonConfig } from "./daemon_run.ts";

const STATUS_TIMEOUT_MS = 2_000;
const LABEL_COLUMNS = 13;

/** The daemon's `info`, or null when nothing answers on the socket. */
export async function daemonInfo(socket: string, timeoutMs = STATUS_TIMEOUT_MS): Promise<IpcJson | null> {
  let client: IpcClient;
  try {
    client = await IpcClient.connect(socket, { client: "pilotctl", version: "status", timeoutMs });
  } catch {
    return null;
  }
  try {
    return await client.call("info", {}, { timeoutMs });
  } catch {
    return null;
  } finally {
    await client.close().catch(() => {});
  }
}

function line(label: string, value: string | number): string {
  return `  ${(label + ":").padEnd(LABEL_COLUMNS)}${value}`;
}

export async function runDaemonStatus(ctx: CommandContext): Promise<CommandResult> {
  const config = await daemonConfig(ctx);
  const pidFile = pilotPaths(config.home).pidFile;
  const socket = config.values.socket;
  const filePid = await readPidFile(pidFile).catch(() => null);
  const info = await daemonInfo(socket);
  if (ctx.flags.boolean("check")) return { data: {}, silent: true, exitCode: info === null ? 1 : 0 };
  const alive = filePid !== null && processAlive(filePid);
  const pid = typeof info?.pid === "number" ? info.pid : alive ? filePid : null;
  const num = (key: string) => typeof info?.[key] === "number" ? info[key] as number : null;
  const data = {
    running: info !== null || alive,
    responsive: info !== null,
    pid,
    pid_file: pidFile,
    socket,
    node_id: num("node_id"),
    address: typeof info?.address === "string" ? info.address : null,
    hostname: typeof info?.hostname === "string" ? info.hostname : null,
    uptime_secs: num("uptime_secs"),
    peers: num("peers"),
    connections: num("connections"),
  };
  let human: string;
  if (info !== null) {
    const lines = [
      `Daemon: running (pid ${pid ?? "?"})`,
      line("Node ID", data.node_id ?? "-"),
      line("Address", data.address ?? "-"),
    ];
    if (data.hostname) lines.push(line("Hostname", data.hostname));
    lines.push(
      line("Uptime", formatClock(data.uptime_secs ?? 0)),
      line("Peers", data.peers ?? 0),
      line("Connections", data.connections ?? 0),
    );
    human = lines.join("\n");
  } else if (alive) {
    human = `Daemon: not responding (pid ${filePid})`;
  } else {
    human = "Daemon: stopped\n  start with: pilotctl daemon start";
  }
  return { data, human };
}

export const daemonStatusCommand: CommandSpec = {
  name: "daemon status",
  summary: "Show whether the node daemon is running",
  description: "Reports the daemon's state; a stopped daemon is not an error. With --check nothing is printed and " +
    "the exit status says whether the daemon answers (0) or not (1).",
  args: [],
  flags: [
    { name: "check", type: "boolean", description: "No output; exit 0 if the daemon answers, 1 if not" },
    { name: "socket", type: "string", configKey: "socket", valueName: "path", description: "IPC socket" },
    { name: "config", type: "string", valueName: "path", description: "Alternative config file" },
  ],
  returns: [
    "running",
    "responsive",
    "pid",
    "pid_file",
    "socket",
    "node_id",
    "address",
    "hostname",
    "uptime_secs",
    "peers",
    "connections",
  ],
  needsDaemon: false,
  run: runDaemonStatus,
};
