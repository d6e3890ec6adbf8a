// `pilotctl daemon start` (CLI.md §3.1): refuses when pilot.pid names a live process or a daemon answers on the
// socket (stale files are removed), spawns `daemon run --log-file <home>/pilot.log` detached with stdio null and the
// same settings, and polls every 200 ms (one `.` per poll on stderr) until the node is registered, then prints the
// ready block. `--wait` expiring is `connection_failed` when the registry is unreachable, else `timeout`; a daemon
// that dies while starting reports its own error from the log.
import { selfInvocation } from "../self_spawn.ts";
import { ensurePrivateDir, formatDurationMs, pilotPaths, tildePath } from "../../config/mod.ts";
import { processAlive, readPidFile } from "../../daemon/mod.ts";
import { inspectSocketPath, IpcClient, validateSocketPath } from "../../ipc/mod.ts";
import { RegistryClient } from "../../registry/mod.ts";
import {
  AlreadyExistsError,
  ConnectionFailedError,
  PilotError,
  TimeoutError,
  toPilotError,
} from "../../util/errors.ts";
import {
  DAEMON_FLAGS,
  daemonConfig,
  type DaemonRunDeps,
  parseStartupFailure,
  readyBlock,
  readyFields,
  refuseNoEncrypt,
  runDaemon,
} from "./daemon_run.ts";
import type { CommandContext, CommandResult, CommandSpec } from "../spec.ts";
import type { DaemonReadyData } from "../../daemon/mod.ts";

export const START_POLL_MS = 200;
export const DEFAULT_WAIT = "15s";
/** One readiness probe (connect + hello + info) may take this long. */
const PROBE_TIMEOUT_MS = 1_000;
const REGISTRY_PROBE_TIMEOUT_MS = 2_000;
/** Flags `daemon start` keeps for itself; the others are handed to `daemon run`. */
const START_ONLY_FLAGS = new Set(["foreground", "wait", "log-file", "no-encrypt"]);

export interface DaemonStartDeps extends DaemonRunDeps {
  /** The program and leading arguments that run this CLI again (tests point it at main.ts). */
  readonly selfCommand?: () => { readonly exec: string; readonly args: readonly string[] };
}

/**
 * How to run this CLI again: the compiled binary itself, or `deno run -A [--config <deno.json>] <main module>`
 * (self_spawn.ts), so a daemon started from another directory still finds the import map and unstable flags.
 */
export function selfCommand(): { exec: string; args: string[] } {
  const self = selfInvocation();
  return { exec: self.command, args: [...self.prefixArgs] };
}

/** The command-line flags to hand to `daemon run`, as `--name=value`. */
export function passthroughFlags(ctx: CommandContext): string[] {
  const out: string[] = [];
  for (const spec of DAEMON_FLAGS) {
    if (START_ONLY_FLAGS.has(spec.name) || !ctx.flags.has(spec.name)) continue;
    const value = spec.type === "boolean" ? String(ctx.flags.boolean(spec.name)) : ctx.flags.string(spec.name) ?? "";
    out.push(`--${spec.name}=${value}`);
  }
  return out;
}

export async function runDaemonStart(ctx: CommandContext, deps: DaemonStartDeps = {}): Promise<CommandResult> {
  refuseNoEncrypt(ctx);
  if (ctx.flags.boolean("foreground")) return await runDaemon(ctx, deps);
  const config = await daemonConfig(ctx);
  const paths = pilotPaths(config.home);
  const socket = config.values.socket;
  const waitMs = ctx.flags.durationMs("wait") ?? 15_000;
  await refuseRunning(paths.pidFile, socket);
  await ensurePrivateDir(config.home);
  const logFlag = ctx.flags.string("log-file");
  const logFile = logFlag === undefined || logFlag === "" ? paths.logFile : logFlag;
  const self = (deps.selfCommand ?? selfCommand)();
  const child = new Deno.Command(self.exec, {
    args: [...self.args, "daemon", "run", "--log-file", logFile, ...passthroughFlags(ctx)],
    stdin: "null",
    stdout: "null",
    stderr: "null",
    detached: true,
  }).spawn();
  let exited = false;
  child.status.then(() => exited = true, () => exited = true);
  child.unref();
  const pid = child.pid;
  const progress = (text: string) => ctx.json ? Promise.resolve() : ctx.io.stderr.write(text);
  await progress(`starting daemon (pid ${pid})`);
  let ready: DaemonReadyData | null = null;
  const deadline = performance.now() + waitMs;
  try {
    while (ready === null) {
      await new Promise((resolve) => setTimeout(resolve, START_POLL_MS));
      await progress(".");
      if (exited) throw await deathError(logFile, pid, ctx);
      ready = await probe(socket, pid);
      if (ready === null && performance.now() >= deadline) {
        throw await waitExpired(config.values.registry, pid, waitMs, logFile, ctx);
      }
    }
  } finally {
    await progress("\n");
  }
  return { data: readyFields(ready), human: readyBlock(ready, ctx) };
}

/** CLI.md §3.1: a live pid file or an answering socket refuses; stale ones are removed. */
async function refuseRunning(pidFile: string, socket: string): Promise<void> {
  const pid = await readPidFile(pidFile);
  if (pid !== null) {
    if (processAlive(pid)) {
      throw new AlreadyExistsError(`daemon is already running (pid ${pid})`, {
        hint: "pilotctl daemon stop",
        detail: "daemon_running",
      });
    }
    await Deno.remove(pidFile).catch(() => {});
  }
  if (Deno.build.os === "windows") return;
  validateSocketPath(socket);
  if (await inspectSocketPath(socket) !== "ours") return;
  try {
    const conn = await Deno.connect({ transport: "unix", path: socket });
    conn.close();
  } catch {
    await Deno.remove(socket).catch(() => {});
    return;
  }
  throw new AlreadyExistsError(`daemon is already running (socket ${socket})`, {
    hint: "use --socket or PILOT_SOCKET for a second daemon",
    detail: "daemon_running",
  });
}

/** The daemon's ready data once it answers on the socket as the process we started (registered), else null. */
async function probe(socket: string, pid: number): Promise<DaemonReadyData | null> {
  let client: IpcClient;
  try {
    client = await IpcClient.connect(socket, { client: "pilotctl", version: "start", timeoutMs: PROBE_TIMEOUT_MS });
  } catch {
    return null;
  }
  try {
    const info = await client.call("info", {}, { timeoutMs: PROBE_TIMEOUT_MS });
    if (info.pid !== pid || typeof info.node_id !== "number") return null;
    return {
      pid,
      node_id: info.node_id,
      address: String(info.address ?? ""),
      hostname: String(info.hostname ?? ""),
      socket: typeof info.socket === "string" ? info.socket : socket,
      listen: String(info.listen ?? ""),
      metrics: typeof info.metrics === "string" ? info.metrics : null,
      log_file: typeof info.log_file === "string" ? info.log_file : null,
      warnings: Array.isArray(info.warnings) ? info.warnings.map(String) : [],
    };
  } catch {
    return null;
  } finally {
    await client.close().catch(() => {});
  }
}

/** The daemon exited while starting: its own error from the log, hint `see <log>`. */
async function deathError(logFile: string, pid: number, ctx: CommandContext): Promise<PilotError> {
  const hint = `see ${tildePath(logFile, ctx.env)}`;
  const found = await parseStartupFailure(logFile);
  if (found !== null) return new PilotError(found.code, found.message, { hint });
  return new PilotError("internal", `daemon (pid ${pid}) exited while starting`, { hint });
}

async function waitExpired(
  registry: string,
  pid: number,
  waitMs: number,
  logFile: string,
  ctx: CommandContext,
): Promise<PilotError> {
  const hint = `tail ${tildePath(logFile, ctx.env)}`;
  const within = formatDurationMs(waitMs);
  try {
    const client = await RegistryClient.connect({ address: registry, connectTimeoutMs: REGISTRY_PROBE_TIMEOUT_MS });
    await client.close();
  } catch (err) {
    const e = toPilotError(err);
    if (e.code === "connection_failed" || e.code === "timeout") {
      return new ConnectionFailedError(
        `cannot reach registry at ${registry}: daemon started (pid ${pid}) but not registered within ${within}; ` +
          "it keeps retrying in the background",
        { hint, detail: "registry_unreachable" },
      );
    }
  }
  return new TimeoutError(
    `daemon started (pid ${pid}) but not registered within ${within}; it keeps retrying in the background`,
    { hint },
  );
}

export function daemonStartCommandWith(deps: DaemonStartDeps): CommandSpec {
  return {
    name: "daemon start",
    summary: "Start the node daemon in the background",
    description: "Spawns `daemon run --log-file <home>/pilot.log` detached with the resolved settings and waits " +
      "until the node is registered. Refuses if the daemon already runs; stale pid files and sockets are removed.",
    args: [],
    flags: [
      ...DAEMON_FLAGS,
      { name: "foreground", type: "boolean", description: "Behave exactly like daemon run in this process" },
      {
        name: "wait",
        type: "duration",
        default: DEFAULT_WAIT,
        valueName: "duration",
        description: "The longest wait for registration",
      },
    ],
    returns: ["pid", "node_id", "address", "hostname", "socket", "listen", "metrics", "log_file", "warnings"],
    needsDaemon: false,
    run: (ctx) => runDaemonStart(ctx, deps),
  };
}

export const daemonStartCommand: CommandSpec = daemonStartCommandWith({});
