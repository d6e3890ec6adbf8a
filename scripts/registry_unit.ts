// Prints a hardened systemd system unit for `pilotctl registry run` (CLI.md §3.2) on a VPS (docs/DEPLOY.md):
//
//   deno run -A scripts/registry_unit.ts [--user pilot] [--bin /usr/local/bin/pilotctl] [--listen :9000]
//     [--beacon-listen :9001] [--store /var/lib/pilot/registry.db] [--tls-cert F --tls-key F] [--limits F]
//     [--metrics host:port] [--dashboard host:port] [--log-level L] [--log-format F] [--environment-file F]
//     [--postgres] [--limit-nofile N]  > /etc/systemd/system/pilot-registry.service
//
// `--postgres` (with `--environment-file` holding PILOT_POSTGRES_URL) drops `--store`: the registry then uses the
// PostgreSQL database from the environment, which keeps the password out of argv and out of the unit.
//
// The registry runs as an unprivileged user with a read-only system except the store's folder. TLS files are handed
// over with LoadCredential=, so a root-only key (certbot's) stays root-only and the service reads its own copy.
import { parseArgs } from "node:util";

export const UNIT_NAME = "pilot-registry.service";
export const DEFAULT_LIMIT_NOFILE = 65_536;
/** Ports below this need CAP_NET_BIND_SERVICE. */
const PRIVILEGED_PORT_LIMIT = 1024;
const STATE_ROOT = "/var/lib/";
const TLS_CERT_CREDENTIAL = "tls-cert";
const TLS_KEY_CREDENTIAL = "tls-key";

export interface RegistryUnitOptions {
  readonly user: string;
  readonly bin: string;
  readonly listen: string;
  readonly beaconListen: string;
  readonly store: string;
  readonly tlsCert?: string;
  readonly tlsKey?: string;
  readonly limits?: string;
  readonly metrics?: string;
  readonly dashboard?: string;
  readonly logLevel?: string;
  readonly logFormat?: string;
  /** Holds PILOT_POSTGRES_URL or other secrets kept out of the unit (`--environment-file=-/path`: optional file). */
  readonly environmentFile?: string;
  /** Store in PostgreSQL (PILOT_POSTGRES_URL from environmentFile) instead of the SQLite `store`. */
  readonly postgres?: boolean;
  readonly limitNofile: number;
}

export const REGISTRY_UNIT_DEFAULTS: RegistryUnitOptions = {
  user: "pilot",
  bin: "/usr/local/bin/pilotctl",
  listen: ":9000",
  beaconListen: ":9001",
  store: "/var/lib/pilot/registry.db",
  limitNofile: DEFAULT_LIMIT_NOFILE,
};

/** One ExecStart= word: `%` and `$` escaped (systemd specifiers, variables), quoted when it holds space or quotes. */
export function systemdWord(arg: string): string {
  if (/[\n\r]/.test(arg)) throw new Error(`invalid unit argument ${JSON.stringify(arg)}: contains a newline`);
  const escaped = arg.replaceAll("%", "%%").replaceAll("$", "$$$$");
  if (escaped !== "" && !/[\s"'\\;]/.test(escaped)) return escaped;
  return `"${escaped.replaceAll("\\", "\\\\").replaceAll('"', '\\"')}"`;
}

function parentDir(path: string): string {
  const cut = path.lastIndexOf("/");
  return cut <= 0 ? "/" : path.slice(0, cut);
}

/** `/var/lib/<name>/…` → `<name>`, so systemd creates and chowns the folder; otherwise `pilot`. */
export function stateDirectoryFor(store: string): string {
  if (!store.startsWith(STATE_ROOT)) return "pilot";
  const name = store.slice(STATE_ROOT.length).split("/")[0];
  // A store directly in /var/lib has no folder of its own to create.
  return name === "" || !store.slice(STATE_ROOT.length).includes("/") ? "pilot" : name;
}

function portOf(address: string): number | null {
  const m = /:(\d+)$/.exec(address);
  return m ? Number(m[1]) : null;
}

function needsBindCapability(options: RegistryUnitOptions): boolean {
  return [options.listen, options.beaconListen, options.metrics, options.dashboard].some((address) => {
    const port = address === undefined ? null : portOf(address);
    return port !== null && port > 0 && port < PRIVILEGED_PORT_LIMIT;
  });
}

function validate(options: RegistryUnitOptions): void {
  if (!/^[a-z_][a-z0-9_-]{0,31}$/.test(options.user)) throw new Error(`invalid --user "${options.user}"`);
  if (!options.bin.startsWith("/")) throw new Error(`invalid --bin "${options.bin}": must be an absolute path`);
  if ((options.tlsCert === undefined) !== (options.tlsKey === undefined)) {
    throw new Error("--tls-cert and --tls-key must be given together");
  }
  for (const [flag, path] of [["--tls-cert", options.tlsCert], ["--tls-key", options.tlsKey]] as const) {
    if (path !== undefined && !path.startsWith("/")) throw new Error(`invalid ${flag} "${path}": must be absolute`);
  }
  if (options.store !== ":memory:" && !options.store.startsWith("/")) {
    throw new Error(`invalid --store "${options.store}": must be an absolute path or :memory:`);
  }
  // StateDirectory= and ReadWritePaths= split on whitespace: a store path with spaces cannot be expressed safely.
  if (/[\s"'\\%$]/.test(options.store)) {
    throw new Error(`invalid --store "${options.store}": must not contain spaces, quotes, backslashes, % or $`);
  }
  if (options.postgres && options.environmentFile === undefined) {
    throw new Error("--postgres needs --environment-file: the file that sets PILOT_POSTGRES_URL");
  }
  const envFile = options.environmentFile?.replace(/^-/, "");
  if (envFile !== undefined && (!envFile.startsWith("/") || /\s/.test(envFile))) {
    throw new Error(`invalid --environment-file "${options.environmentFile}": must be an absolute path`);
  }
  if (!Number.isInteger(options.limitNofile) || options.limitNofile < 1024) {
    throw new Error(`invalid --limit-nofile "${options.limitNofile}": must be an integer of at least 1024`);
  }
}

function execStart(options: RegistryUnitOptions): string {
  const words = [
    systemdWord(options.bin),
    "registry",
    "run",
    "--listen",
    systemdWord(options.listen),
    "--beacon-listen",
    systemdWord(options.beaconListen),
  ];
  if (!options.postgres) words.push("--store", systemdWord(options.store));
  if (options.tlsCert !== undefined) {
    // Unescaped on purpose: systemd substitutes the credentials folder it prepared for this service.
    words.push("--tls-cert", `\${CREDENTIALS_DIRECTORY}/${TLS_CERT_CREDENTIAL}`);
    words.push("--tls-key", `\${CREDENTIALS_DIRECTORY}/${TLS_KEY_CREDENTIAL}`);
  }
  const optional: [string, string | undefined][] = [
    ["--limits", options.limits],
    ["--metrics", options.metrics],
    ["--dashboard", options.dashboard],
    ["--log-level", options.logLevel],
    ["--log-format", options.logFormat],
  ];
  for (const [flag, value] of optional) if (value !== undefined) words.push(flag, systemdWord(value));
  return words.join(" ");
}

export function registryUnitText(options: RegistryUnitOptions): string {
  validate(options);
  const stateDir = stateDirectoryFor(options.store);
  const bind = needsBindCapability(options);
  const lines = [
    `# ${UNIT_NAME}: pilotctl registry (TCP ${options.listen}), beacon (UDP ${options.beaconListen}).`,
    "# Generated by scripts/registry_unit.ts; see docs/DEPLOY.md.",
    "[Unit]",
    "Description=pilotctl rendezvous registry and beacon",
    "Documentation=https://github.com/pilotctl/pilotctl/blob/main/docs/DEPLOY.md",
    "After=network-online.target",
    "Wants=network-online.target",
    "",
    "[Service]",
    "Type=simple",
    `User=${options.user}`,
    `Group=${options.user}`,
    `StateDirectory=${stateDir}`,
    "StateDirectoryMode=0700",
    "UMask=0077",
    // The default store lives in PILOT_HOME; the registry reads no other setting from the environment.
    `Environment=${systemdWord(`PILOT_HOME=${STATE_ROOT}${stateDir}`)}`,
  ];
  if (options.environmentFile !== undefined) lines.push(`EnvironmentFile=${options.environmentFile}`);
  if (options.tlsCert !== undefined && options.tlsKey !== undefined) {
    lines.push(`LoadCredential=${TLS_CERT_CREDENTIAL}:${options.tlsCert}`);
    lines.push(`LoadCredential=${TLS_KEY_CREDENTIAL}:${options.tlsKey}`);
  }
  lines.push(
    `ExecStart=${execStart(options)}`,
    "Restart=on-failure",
    "RestartSec=2",
    // SIGTERM makes the registry flush the store and exit 0 (CLI.md §3.2); give it time before SIGKILL.
    "KillSignal=SIGTERM",
    "TimeoutStopSec=30",
    `LimitNOFILE=${options.limitNofile}`,
    "",
    "# Hardening. No MemoryDenyWriteExecute=: the V8 JIT inside the binary needs writable executable memory.",
    "NoNewPrivileges=yes",
    "ProtectSystem=strict",
    "ProtectHome=yes",
    "PrivateTmp=yes",
    "PrivateDevices=yes",
    "ProtectKernelTunables=yes",
    "ProtectKernelModules=yes",
    "ProtectKernelLogs=yes",
    "ProtectControlGroups=yes",
    "ProtectClock=yes",
    "ProtectHostname=yes",
    "RestrictNamespaces=yes",
    "RestrictRealtime=yes",
    "RestrictSUIDSGID=yes",
    "LockPersonality=yes",
    "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX",
  );
  if (bind) {
    lines.push("AmbientCapabilities=CAP_NET_BIND_SERVICE", "CapabilityBoundingSet=CAP_NET_BIND_SERVICE");
  } else {
    lines.push("CapabilityBoundingSet=");
  }
  // SQLite in WAL mode writes <store>-wal and <store>-shm beside the store: the whole folder must be writable.
  if (!options.postgres && options.store !== ":memory:") lines.push(`ReadWritePaths=${parentDir(options.store)}`);
  lines.push("", "[Install]", "WantedBy=multi-user.target", "");
  return lines.join("\n");
}

export function parseRegistryUnitArgs(args: readonly string[]): RegistryUnitOptions {
  const text = { type: "string" } as const;
  const { values } = parseArgs({
    args: [...args],
    options: {
      user: text,
      bin: text,
      listen: text,
      "beacon-listen": text,
      store: text,
      "tls-cert": text,
      "tls-key": text,
      limits: text,
      metrics: text,
      dashboard: text,
      "log-level": text,
      "log-format": text,
      "environment-file": text,
      postgres: { type: "boolean" },
      "limit-nofile": text,
    },
    strict: true,
    allowPositionals: false,
  });
  const d = REGISTRY_UNIT_DEFAULTS;
  // CLI.md §3.2: --store with --postgres is an error, so the unit must not combine them either.
  if (values.postgres && values.store !== undefined) throw new Error("--store and --postgres exclude each other");
  const nofile = values["limit-nofile"];
  return {
    user: values.user ?? d.user,
    bin: values.bin ?? d.bin,
    listen: values.listen ?? d.listen,
    beaconListen: values["beacon-listen"] ?? d.beaconListen,
    store: values.store ?? d.store,
    tlsCert: values["tls-cert"],
    tlsKey: values["tls-key"],
    limits: values.limits,
    metrics: values.metrics,
    dashboard: values.dashboard,
    logLevel: values["log-level"],
    logFormat: values["log-format"],
    environmentFile: values["environment-file"],
    postgres: values.postgres ?? false,
    limitNofile: nofile === undefined ? d.limitNofile : Number(nofile),
  };
}

function main(args: readonly string[]): number {
  try {
    const unit = registryUnitText(parseRegistryUnitArgs(args));
    Deno.stdout.writeSync(new TextEncoder().encode(unit));
    return 0;
  } catch (err) {
    console.error(`error: ${err instanceof Error ? err.message : String(err)}`);
    return 2;
  }
}

if (import.meta.main) Deno.exit(main(Deno.args));
