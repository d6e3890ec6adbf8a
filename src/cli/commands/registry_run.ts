// `pilotctl registry run` (CLI.md §3.2): the rendezvous registry (TCP) and beacon (UDP) in the foreground. It reads
// no config file: apart from PILOT_HOME (the default store) and PILOT_POSTGRES_URL (--postgres) everything comes
// from its own flags. Start-up failures follow §3.2 (port in use already_exists; TLS pair, certificate, limits file,
// address, --store with --postgres invalid_argument; unreachable PostgreSQL connection_failed; corrupt store
// internal); SIGINT/SIGTERM flush the store and exit 0.
import { pilotPaths, resolveHome } from "../../config/mod.ts";
import {
  DEFAULT_LIMITS,
  formatReadyBlock,
  loadLimitsFile,
  openPostgresStore,
  type RegistryLimits,
  type RegistryStore,
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
export const POSTGRES_URL_ENV = "PILOT_POSTGRES_URL";

/** A flag whose default is `""` (off): absent and empty are the same. */
function optional(ctx: CommandContext, name: string): string | undefined {
  const value = ctx.flags.string(name);
  return value === undefined || value === "" ? undefined : value;
}

/** The PostgreSQL URL, or undefined for SQLite; `--store` and `--postgres` on one command line conflict. */
function postgresUrl(ctx: CommandContext): string | undefined {
  const url = optional(ctx, "postgres");
  if (url === undefined) return undefined;
  if (ctx.flags.has("store")) {
    // An explicit --store beats a URL that only comes from the environment.
    if (ctx.flags.source("postgres") !== "flag") return undefined;
    throw new InvalidArgumentError("--store and --postgres cannot be used together: --postgres replaces --store");
  }
  return url;
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
  const postgres = postgresUrl(ctx);
  const storeChoice: { sqlite: string } | { postgres: string } = postgres === undefined
    ? { sqlite: storeLocation(ctx) }
    : { postgres };
  const limits = await limitsFrom(ctx);
  const beaconText = ctx.flags.string("beacon-listen") ?? DEFAULT_BEACON_LISTEN;
  const options = {
    listen: ctx.flags.string("listen") ?? DEFAULT_REGISTRY_LISTEN,
    beaconListen: beaconText === BEACON_OFF ? null : beaconText,
    tlsCertFile: tlsCert,
    tlsKeyFile: tlsKey,
    limits,
    metricsListen: optional(ctx, "metrics") ?? null,
    dashboardListen: optional(ctx, "dashboard") ?? null,
    logger: log,
  };
  return await runForeground(ctx, log, async (): Promise<ForegroundService> => {
    // startRegistry closes a store it was given if it fails to start.
    const store: string | RegistryStore = "sqlite" in storeChoice
      ? storeChoice.sqlite
      : await openPostgresStore(storeChoice.postgres, { logger: log.child("store") });
    const handle = await startRegistry({ ...options, store });
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
      "from these flags; --postgres (or PILOT_POSTGRES_URL) replaces the SQLite --store with a database that " +
      "several instances may share (run the extra ones with --beacon-listen off). Prints one ready block (--json: one envelope) once listening; logs go to stderr.",
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
        name: "postgres",
        type: "string",
        default: "",
        env: POSTGRES_URL_ENV,
        valueName: "url",
        description: "PostgreSQL URL postgres://user:pass@host:5432/db; replaces --store, shared by several instances",
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
