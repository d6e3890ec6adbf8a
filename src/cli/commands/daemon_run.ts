// `pilotctl daemon run` (CLI.md §3.1): the node daemon in the foreground. It writes pilot.pid, logs to stderr or to
// `--log-file` (appended, rotated at 10 MiB), retries the registry with backoff until registered and only then
// prints the ready block. SIGINT/SIGTERM (or the `shutdown` command) stop it cleanly with exit 0, also while it still
// waits for the registry. A start-up failure is logged (so `daemon start` can report it) and exits 1.
import { ensurePrivateDir, resolveConfig, type ResolvedConfig, tildePath } from "../../config/mod.ts";
import {
  type DaemonReadyData,
  nodeSettings,
  RotatingFileSink,
  StartAbortedError,
  startNode,
} from "../../daemon/mod.ts";
import { Logger, type LogSink, stderrSink } from "../../log/logger.ts";
import { type ErrorCode, isErrorCode, type PilotError, toPilotError, UsageError } from "../../util/errors.ts";
import { PILOTCTL_VERSION } from "../build_info.ts";
import { writeResult } from "../output.ts";
import type { CommandContext, CommandResult, CommandSpec, FlagSpec } from "../spec.ts";

/** The log line `daemon start` looks for when the daemon dies while starting. */
export const STARTUP_FAILED_MSG = "start-up failed";

/** How much of the log's end is searched for the start-up failure. */
const LOG_TAIL_BYTES = 64 * 1024;

/**
 * The code and message of the last `start-up failed` line of a daemon log (text or JSON format), or null. This is
 * how `daemon start` reports the error of a daemon that died while starting.
 */
export async function parseStartupFailure(logFile: string): Promise<{ code: ErrorCode; message: string } | null> {
  let text: string;
  try {
    using file = await Deno.open(logFile, { read: true });
    const size = (await file.stat()).size;
    await file.seek(Math.max(0, size - LOG_TAIL_BYTES), Deno.SeekMode.Start);
    const buf = new Uint8Array(Math.min(size, LOG_TAIL_BYTES));
    let n = 0;
    while (n < buf.length) {
      const got = await file.read(buf.subarray(n));
      if (got === null) break;
      n += got;
    }
    text = new TextDecoder().decode(buf.subarray(0, n));
  } catch {
    return null;
  }
  const lines = text.split("\n").filter((l) => l.includes(STARTUP_FAILED_MSG));
  const line = lines[lines.length - 1];
  if (line === undefined) return null;
  let code: unknown;
  let message: unknown;
  if (line.startsWith("{")) {
    try {
      ({ code, message } = JSON.parse(line));
    } catch {
      return null;
    }
  } else {
    code = /\bcode=(\S+)/.exec(line)?.[1];
    const m = /\bmessage=("(?:[^"\\]|\\.)*"|\S+)/.exec(line)?.[1];
    try {
      message = m?.startsWith('"') ? JSON.parse(m) : m;
    } catch {
      message = m;
    }
  }
  if (!isErrorCode(code) || typeof message !== "string") return null;
  return { code, message };
}

/** Flags shared by `daemon run` and `daemon start` (CLI.md §3.1); each overrides its config key (§1.7). */
export const DAEMON_FLAGS: readonly FlagSpec[] = [
  flag("registry", "registry", "host:port", "Registry address (tls://host:port for TLS)"),
  flag("registry-ca", "registry_ca", "path", "CA bundle for a tls:// registry"),
  flag("beacon", "beacon", "host:port", "Beacon address (UDP)"),
  flag("listen", "listen", "host:port", "The one UDP socket for all tunnels and beacon traffic"),
  flag("endpoint", "endpoint", "ip:port", "Fixed public ip:port announced to the registry"),
  flag("lan-addrs", "lan_addrs", "list", "Extra ip:port dial candidates, comma-separated (at most 4)"),
  flag("socket", "socket", "path", "IPC socket (0600)"),
  flag("identity", "identity", "path", "Key file, created 0600 on first start"),
  flag("email", "email", "email", "Owner email bound to the node at registration"),
  flag("hostname", "hostname", "name", "Hostname to claim at start"),
  { name: "public", type: "boolean", configKey: "public", description: "Visible to everyone (default private)" },
  flag("webhook", "webhook", "url", "Event webhook URL"),
  flag("trust-auto-approve", "trust_auto_approve", "policy", "none or network"),
  flag("metrics", "metrics", "host:port", "Serve Prometheus /metrics here"),
  flag("log-level", "log_level", "level", "debug, info, warn or error"),
  flag("log-format", "log_format", "format", "text or json"),
  {
    name: "log-file",
    type: "string",
    valueName: "path",
    description: "Write the log to this file (appended, rotated)",
  },
  { name: "config", type: "string", valueName: "path", description: "Alternative config file" },
  { name: "no-encrypt", type: "boolean", description: "Not supported: encryption cannot be disabled" },
];

function flag(name: string, key: FlagSpec["configKey"], valueName: string, description: string): FlagSpec {
  return { name, type: "string", configKey: key, valueName, description };
}

/** `--no-encrypt` is refused before anything starts (exit 2). */
export function refuseNoEncrypt(ctx: CommandContext): void {
  if (ctx.flags.has("no-encrypt")) throw new UsageError("encryption cannot be disabled", ctx.spec.name);
}

/** Settings after flag > env > config > default. */
export async function daemonConfig(ctx: CommandContext): Promise<ResolvedConfig> {
  const configPath = ctx.flags.string("config");
  return await resolveConfig({
    env: ctx.env,
    configPath: configPath === undefined || configPath === "" ? undefined : configPath,
    flags: ctx.flags.configOverrides(),
  });
}

/** The ready block of CLI.md §3.1 (without `daemon start`'s progress line). */
export function readyBlock(data: DaemonReadyData, ctx: CommandContext): string {
  const lines = [`Daemon running (pid ${data.pid})`, `  Address:  ${data.address}`];
  if (data.hostname !== "") lines.push(`  Hostname: ${data.hostname}`);
  lines.push(`  Socket:   ${tildePath(data.socket, ctx.env)}`);
  lines.push(`  Logs:     ${data.log_file === null ? "stderr" : tildePath(data.log_file, ctx.env)}`);
  for (const w of data.warnings) lines.push(`  Warning:  ${w}`);
  return lines.join("\n");
}

/** The `data` of the ready envelope (CLI.md §3.1). */
export function readyFields(data: DaemonReadyData): Record<string, unknown> {
  return {
    pid: data.pid,
    node_id: data.node_id,
    address: data.address,
    hostname: data.hostname,
    socket: data.socket,
    listen: data.listen,
    metrics: data.metrics,
    log_file: data.log_file,
    warnings: [...data.warnings],
  };
}

/** Seams for in-process tests; production uses none. */
export interface DaemonRunDeps {
  /** Ends the daemon as a signal would. */
  readonly signal?: AbortSignal;
  /** Log sink when no --log-file is given (stderr by default). */
  readonly logSink?: LogSink;
  readonly onReady?: (data: Record<string, unknown>) => void;
}

export async function runDaemon(ctx: CommandContext, deps: DaemonRunDeps = {}): Promise<CommandResult> {
  refuseNoEncrypt(ctx);
  const config = await daemonConfig(ctx);
  await ensurePrivateDir(config.home);
  const logFileFlag = ctx.flags.string("log-file");
  const logFile = logFileFlag === undefined || logFileFlag === "" ? null : logFileFlag;
  const fileSink = logFile === null ? null : RotatingFileSink.open(logFile);
  const log = new Logger({
    level: config.values.log_level,
    format: config.values.log_format,
    sink: fileSink ?? deps.logSink ?? stderrSink,
  }).child("daemon");
  using stop = new StopSignals(deps.signal);
  try {
    let node;
    try {
      node = await startNode(nodeSettings(config, { pidFile: true, logFile }), {
        log,
        version: PILOTCTL_VERSION,
        signal: stop.signal,
      });
    } catch (err) {
      if (err instanceof StartAbortedError) {
        log.info("stopped before registration");
        return { data: {}, silent: true };
      }
      const e = toPilotError(err);
      log.error(STARTUP_FAILED_MSG, { code: e.code, message: e.message, hint: e.hint });
      throw e;
    }
    let failure: PilotError | null = null;
    try {
      const data = node.readyData();
      await writeResult(ctx.io.stdout, { data: readyFields(data), human: readyBlock(data, ctx) }, ctx.json);
      deps.onReady?.(readyFields(data));
      failure = await Promise.race([stop.stopped.then(() => null), node.stopRequested]);
    } finally {
      await node.close();
    }
    if (failure !== null) throw failure;
    return { data: readyFields(node.readyData()), silent: true };
  } finally {
    fileSink?.close();
  }
}

/** SIGINT/SIGTERM (SIGBREAK on Windows) or the injected signal. */
class StopSignals implements Disposable {
  readonly #abort = new AbortController();
  readonly #listeners: [Deno.Signal, () => void][] = [];
  readonly stopped: Promise<void>;

  constructor(external: AbortSignal | undefined) {
    this.stopped = new Promise((resolve) => this.#abort.signal.addEventListener("abort", () => resolve()));
    const signals: Deno.Signal[] = Deno.build.os === "windows" ? ["SIGINT", "SIGBREAK"] : ["SIGINT", "SIGTERM"];
    for (const sig of signals) {
      const handler = () => this.#abort.abort();
      Deno.addSignalListener(sig, handler);
      this.#listeners.push([sig, handler]);
    }
    if (external !== undefined) {
      if (external.aborted) this.#abort.abort();
      else external.addEventListener("abort", () => this.#abort.abort(), { once: true });
    }
  }

  get signal(): AbortSignal {
    return this.#abort.signal;
  }

  [Symbol.dispose](): void {
    for (const [sig, handler] of this.#listeners) Deno.removeSignalListener(sig, handler);
    this.#listeners.length = 0;
  }
}

export function daemonRunCommandWith(deps: DaemonRunDeps): CommandSpec {
  return {
    name: "daemon run",
    summary: "Run the node daemon in the foreground",
    description: "Runs the node daemon until SIGINT or SIGTERM. Writes pilot.pid, logs to stderr or --log-file, " +
      "retries the registry with backoff (at most 30 s) until registered, then prints the ready block. On a " +
      "signal it closes streams, marks the node offline (ID, hostname, tags and memberships are kept), and " +
      "removes the socket and pilot.pid.",
    args: [],
    flags: DAEMON_FLAGS,
    returns: ["pid", "node_id", "address", "hostname", "socket", "listen", "metrics", "log_file", "warnings"],
    needsDaemon: false,
    run: (ctx) => runDaemon(ctx, deps),
  };
}

export const daemonRunCommand: CommandSpec = daemonRunCommandWith({});
