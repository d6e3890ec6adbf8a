// What a node is started with: the resolved settings of CLI.md §1.7 / §3.1 (flag > env > config > default, already
// applied by the caller) plus the paths under <home> (§1.8). Pure data; validated by the config layer.
import { pilotPaths, type ResolvedConfig } from "../config/mod.ts";
import type { AutoApprovePolicy } from "../trust/mod.ts";

export interface NodeSettings {
  readonly home: string;
  readonly identityPath: string;
  readonly trustPath: string;
  /** Written by `daemon run`; null leaves no pid file (in-process tests). */
  readonly pidFile: string | null;
  readonly socketPath: string;
  readonly registry: string;
  /** PEM bundle for a `tls://` registry; "" for the system roots. */
  readonly registryCa: string;
  readonly beacon: string;
  /** UDP `host:port`; port 0 picks a free one. */
  readonly listen: string;
  /** Fixed public `ip:port` announced to the registry, or "". */
  readonly endpoint: string;
  readonly lanAddrs: readonly string[];
  /** Owner e-mail, or "". */
  readonly email: string;
  /** Hostname to claim at registration, or "". */
  readonly hostname: string;
  readonly public: boolean;
  readonly trustAutoApprove: AutoApprovePolicy;
  /** `host:port` of the Prometheus endpoint, or "" (off). */
  readonly metrics: string;
  /** Event webhook URL (§9.5), or "" (off), and the HMAC secret that signs deliveries, or "". */
  readonly webhook: string;
  readonly webhookSecret: string;
  /** Bytes accepted per incoming file on port 1001 (config `max_file_size`). */
  readonly maxFileSize: number;
  /** The log file in use, or null (stderr); reported in the ready data. */
  readonly logFile: string | null;
}

/** Settings from a resolved configuration. */
export function nodeSettings(
  config: ResolvedConfig,
  options: { pidFile?: boolean; logFile?: string | null } = {},
): NodeSettings {
  const v = config.values;
  const paths = pilotPaths(config.home);
  return {
    home: config.home,
    identityPath: v.identity,
    trustPath: paths.trust,
    pidFile: options.pidFile === false ? null : paths.pidFile,
    socketPath: v.socket,
    registry: v.registry,
    registryCa: v.registry_ca,
    beacon: v.beacon,
    listen: v.listen,
    endpoint: v.endpoint,
    lanAddrs: [...v.lan_addrs],
    email: v.email,
    hostname: v.hostname,
    public: v.public,
    trustAutoApprove: v.trust_auto_approve,
    metrics: v.metrics,
    webhook: v.webhook,
    webhookSecret: v.webhook_secret,
    maxFileSize: v.max_file_size,
    logFile: options.logFile ?? null,
  };
}
