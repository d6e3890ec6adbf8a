// `pilotctl gateway run [--subnet CIDR] [--ports 80] [--log-file F] [<target>…]` (CLI.md §1.1, §3.9): the TCP
// gateway in the foreground. Checks in the order a user can act on them: bad input (invalid_argument), a gateway
// already running (already_exists), missing privilege for aliases or low ports (unauthorized), the daemon down
// (not_running) or a target that does not resolve; then maps the targets, prints the ready block and serves until
// a signal or `gateway stop`.
import { ensurePrivateDir, resolveConfig } from "../../config/mod.ts";
import { RotatingFileSink } from "../../daemon/log_file.ts";
import {
  aliasManagerFor,
  checkPortPrivilege,
  DaemonDialer,
  DEFAULT_GATEWAY_PORTS,
  defaultSubnet,
  formatIPv4,
  GatewayControl,
  gatewayRunningError,
  GatewayService,
  liveGatewayPid,
  type MapRequest,
  parsePortList,
  parseSubnet,
} from "../../gateway/mod.ts";
import { CONNECT_TIMEOUT_MS, ipcAddress, IpcClient } from "../../ipc/mod.ts";
import { PILOTCTL_VERSION } from "../build_info.ts";
import { parseTarget, withDaemon } from "../daemon_client.ts";
import { type ForegroundDeps, foregroundLogger, type ForegroundService, runForeground } from "../foreground.ts";
import type { CommandContext, CommandResult, CommandSpec } from "../spec.ts";
import { gatewayPaths, PORTS_FLAG, READY_RETURNS, readyText, SUBNET_FLAG, TARGETS_ARG } from "./gateway_common.ts";

/** `client` of the gateway's `hello` to the daemon, for the daemon's logs. */
const GATEWAY_IPC_CLIENT = "pilotctl-gateway";
/** How long a probe of an existing control socket may take before it counts as dead. */
const RUNNING_PROBE_TIMEOUT_MS = 1_000;

/** Refuses to start over a live gateway: its pid file, or a control socket that answers. */
export async function ensureNotRunning(pidFile: string, socket: string): Promise<void> {
  const pid = await liveGatewayPid(pidFile);
  if (pid !== null) throw gatewayRunningError(pid);
  let control: GatewayControl;
  try {
    control = await GatewayControl.connect(socket, RUNNING_PROBE_TIMEOUT_MS);
  } catch {
    return;
  }
  await control.close();
  throw gatewayRunningError(control.pid);
}

/**
 * The gateway in this process. `logFile` (from `--log-file`) replaces stderr for logs; `start` passes it for the
 * detached child and leaves it out for `--foreground`.
 */
export async function runGateway(
  ctx: CommandContext,
  logFile: string | undefined,
  deps: ForegroundDeps = {},
): Promise<CommandResult> {
  const subnet = parseSubnet(ctx.flags.string("subnet") ?? defaultSubnet());
  const ports = parsePortList(ctx.flags.string("ports") ?? DEFAULT_GATEWAY_PORTS);
  const targets = ctx.args.list("target").map(parseTarget);
  const config = await resolveConfig({ env: ctx.env });
  const paths = gatewayPaths(ctx.env);
  await ensurePrivateDir(paths.home);
  await ensureNotRunning(paths.gatewayPid, paths.gatewaySocket);

  const sink = logFile === undefined || logFile === "" ? undefined : RotatingFileSink.open(logFile);
  try {
    const log = foregroundLogger(config.values.log_level, config.values.log_format, sink ?? deps.logSink)
      .child("gateway");
    const aliases = aliasManagerFor(subnet, log);
    checkPortPrivilege(ports, formatIPv4(subnet.network + 1));
    const mappings = await withDaemon(ctx, async (session) => {
      const out: MapRequest[] = [];
      for (const target of targets) {
        const resolved = await session.resolveTarget(target);
        out.push({ pilotAddr: resolved.address, hostname: resolved.hostname ?? "" });
      }
      return out;
    });
    const daemonAddress = ipcAddress(config.values.socket, paths.ipcToken);
    const dialer = await DaemonDialer.open(
      () =>
        IpcClient.connect(daemonAddress, {
          client: GATEWAY_IPC_CLIENT,
          version: PILOTCTL_VERSION,
          timeoutMs: CONNECT_TIMEOUT_MS,
        }),
      log.child("dialer"),
    );
    const stop = new AbortController();
    const signal = deps.signal === undefined ? stop.signal : AbortSignal.any([deps.signal, stop.signal]);
    return await runForeground(ctx, log, async (): Promise<ForegroundService> => {
      const service = await GatewayService.start({
        pidFile: paths.gatewayPid,
        socketPath: paths.gatewaySocket,
        subnet,
        ports,
        dialer,
        aliases,
        logger: log,
        mappings,
        onStopRequest: () => stop.abort(),
      });
      const data = service.readyData();
      return { readyData: { ...data }, readyText: readyText(data), close: () => service.close() };
    }, { ...deps, signal });
  } finally {
    sink?.close();
  }
}

/** The command with injected foreground seams (in-process tests); the table uses gatewayRunCommand. */
export function gatewayRunCommandWith(deps: ForegroundDeps): CommandSpec {
  return {
    name: "gateway run",
    summary: "Run the TCP gateway in the foreground",
    description: "Gives ordinary TCP programs a local IP per agent: a connection to <local_ip>:<port> is carried " +
      "over a pilot stream to the same port on the agent. Maps each target to the next free IP (.1 first), " +
      "prints the ready block, then serves until SIGINT, SIGTERM or `gateway stop`; controlled through " +
      "<home>/gateway.sock. Logs go to stderr, or to --log-file.",
    args: [TARGETS_ARG],
    flags: [
      SUBNET_FLAG,
      PORTS_FLAG,
      { name: "log-file", type: "string", valueName: "file", description: "Write the log to this file (appended)" },
    ],
    returns: READY_RETURNS,
    needsDaemon: true,
    run: (ctx) => runGateway(ctx, ctx.flags.string("log-file"), deps),
  };
}

export const gatewayRunCommand: CommandSpec = gatewayRunCommandWith({});
