// `pilotctl registry run` (CLI.md §3.2): the rendezvous registry (TCP) and beacon (UDP) in the foreground. It reads
// no config file: apart from PILOT_HOME (the default store) everything comes from its own flags. Start-up failures
// follow §3.2 (port in use already_exists; TLS pair, certificate, limits file, address invalid_argument; corrupt
// store internal); SIGINT/SIGTERM flush the store and exit 0.
import { pilotPaths, resolveHome } from "../../config/mod.ts";
import {
  DEFAULT_LIMITS,
  formatReadyBlock,
  loadLimitsFile,
  type RegistryLimits,
  startRegistry,
} from "../../registry/mod.ts";
import { InvalidArgumentError } from "../../util/errors.ts";
import {
  type ForegroundDeps,
  foregroundLogger,
  type ForegroundService,
  LOG_FORMAT_FLAG,
  LOG_LEVEL_FLAG,
  runForeground,
} from "../foreground.ts";
import type { CommandContext, CommandResult, CommandSpec } from "../spec.ts";

export const DEFAULT_REGISTRY_LISTEN = ":9000";
export const DEFAULT_BEACON_LISTEN = ":9001";
/** `--beacon-listen off`: no beacon, for extra instances sharing one database. */
export const BEACON_OFF = "off";
const STORE_DEFAULT_LABEL = "<home>/registry.db";

/** A flag whose default is `""` (off): absent and empty are the same. */
function optional(ctx: CommandContext, name: string): string | undefined {
  const value = ctx.flags.string(name);
  return value === undefined || value === "" ? undefined : value;
}

function storeLocation(ctx: CommandContext): string {
  // The spec's default is only a label for help and context: the real one depends on PILOT_HOME.
  if (!ctx.flags.has("store")) return pilotPaths(resolveHome(ctx.env)).registryDb;
  const given = ctx.flags.string("store") ?? "";
  if (given === "") throw new InvalidArgumentError('invalid --store "": empty path (use a file or :memory:)');
  return given;
}

async function limitsFrom(ctx: CommandContext): Promise<RegistryLimits> {
  const path = optional(ctx, "limits");
  return path === undefined ? DEFAULT_LIMITS : await loadLimitsFile(path);
}

export async function runRegistry(ctx: CommandContext, deps: ForegroundDeps = {}): Promise<CommandResult> {
  const log = foregroundLogger(ctx.flags.string("log-level"), ctx.flags.string("log-format"), deps.logSink);
  const tlsCert = optional(ctx, "tls-cert");
  const tlsKey = optional(ctx, "tls-key");
  // Checked before the store is opened, so a wrong command line never creates a store file.
  if ((tlsCert === undefined) !== (tlsKey === undefined)) {
    throw new InvalidArgumentError("--tls-cert and --tls-key must be given together");
  }
  const limits = await limitsFrom(ctx);
  const beaconText = ctx.flags.string("beacon-listen") ?? DEFAULT_BEACON_LISTEN;
  const options = {
    listen: ctx.flags.string("listen") ?? DEFAULT_REGISTRY_LISTEN,
    beaconListen: beaconText === BEACON_OFF ? null : beaconText,
    store: storeLocation(ctx),
    tlsCertFile: tlsCert,
    tlsKeyFile: tlsKey,
    limits,
    metricsListen: optional(ctx, "metrics") ?? null,
    dashboardListen: optional(ctx, "dashboard") ?? null,
    logger: log,
  };
  return await runForeground(ctx, log, async (): Promise<ForegroundService> => {
    const handle = await startRegistry(options);
    if (!limits.enabled) log.warn("rate limits are off (--limits enabled=false): for benchmarks and load tests only");
    const data = handle.readyData();
    return {
      readyData: { ...data },
      // formatReadyBlock ends with a newline; the output layer adds its own.
      readyText: formatReadyBlock(data, handle.tls).replace(/\n$/, ""),
      close: () => handle.close(),
    };
  }, deps);
}

/** The command with injected foreground seams (in-process tests); the table uses registryRunCommand. */
export function registryRunCommandWith(deps: ForegroundDeps): CommandSpec {
  return {
    name: "registry run",
    summary: "Run the rendezvous registry and beacon in the foreground",
    description: "Runs the registry (TCP, length-prefixed JSON) and the beacon (UDP) until SIGINT or SIGTERM, then " +
      "flushes the store and exits 0. Reads no config file: apart from PILOT_HOME (default store) everything comes " +
      "from these flags. Prints one ready block (--json: one envelope) once listening; logs go to stderr.",
    args: [],
    flags: [
      {
        name: "listen",
        type: "string",
        default: DEFAULT_REGISTRY_LISTEN,
        valueName: "host:port",
        description: "Registry TCP address (port 0: any free port)",
      },
      {
        name: "beacon-listen",
        type: "string",
        default: DEFAULT_BEACON_LISTEN,
        valueName: "host:port",
        description: "Beacon UDP address; off runs no beacon",
      },
      {
        name: "store",
        type: "string",
        default: STORE_DEFAULT_LABEL,
        valueName: "path",
        description: "SQLite store file (0600); :memory: for a throw-away store",
      },
      {
        name: "tls-cert",
        type: "string",
        valueName: "file",
        description: "PEM certificate; with --tls-key, speak TLS",
      },
      { name: "tls-key", type: "string", valueName: "file", description: "PEM private key of --tls-cert" },
      {
        name: "limits",
        type: "string",
        valueName: "file",
        description: 'JSON file of registry and beacon limits; {"enabled":false} turns the rate limits off',
      },
      { name: "metrics", type: "string", valueName: "host:port", description: "Serve Prometheus /metrics here" },
      {
        name: "dashboard",
        type: "string",
        valueName: "host:port",
        description: "Serve the HTML dashboard (/) and /api/stats here",
      },
      LOG_LEVEL_FLAG,
      LOG_FORMAT_FLAG,
    ],
    returns: ["pid", "registry", "beacon", "store", "metrics", "dashboard"],
    needsDaemon: false,
    run: (ctx) => runRegistry(ctx, deps),
  };
}

export const registryRunCommand: CommandSpec = registryRunCommandWith({});
