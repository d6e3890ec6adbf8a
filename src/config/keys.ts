// The config key table of CLI.md §1.7: for each key its type, default, environment variable and validation, used
// alike for values from flags, the environment, `config --set` and config.json.
import type { LogFormat, LogLevel } from "../log/logger.ts";
import { LOG_LEVELS } from "../log/logger.ts";
import { InvalidArgumentError } from "../util/errors.ts";
import { parseEmail, parseHostname, parseWebhookUrl } from "./names.ts";
import {
  DEFAULT_BEACON,
  DEFAULT_REGISTRY,
  DEFAULT_SOCKET_PATH,
  ENV_BEACON,
  ENV_EMAIL,
  ENV_HOSTNAME,
  ENV_REGISTRY,
  ENV_SOCKET,
  pilotPaths,
} from "./paths.ts";
import { parseHostPort, parseIpPort, parseRegistryAddress } from "./values.ts";

/** The typed value of every setting. */
export interface ConfigValues {
  registry: string;
  registry_ca: string;
  beacon: string;
  socket: string;
  identity: string;
  listen: string;
  endpoint: string;
  lan_addrs: string[];
  email: string;
  hostname: string;
  public: boolean;
  webhook: string;
  webhook_secret: string;
  trust_auto_approve: "none" | "network";
  max_file_size: number;
  metrics: string;
  log_level: LogLevel;
  log_format: LogFormat;
}

export type ConfigKey = keyof ConfigValues;

/** The documentation of one key, for `context` and `help`. */
export interface ConfigKeyDoc {
  /** What the key accepts. */
  readonly values: string;
  /** The default as documented (`<home>/identity.json`). */
  readonly defaultLabel: string;
  readonly readBy: string;
  readonly env?: string;
  /** Shown as `***` by `config`. */
  readonly secret?: boolean;
}

/** How one key's values are made and checked. */
export interface ConfigValueCodec<T> {
  default(home: string): T;
  /** From a flag, an environment variable or `config --set`. */
  fromText(text: string): T;
  /** From config.json: the JSON type must already be right. */
  fromJson(value: unknown): T;
}

export type ConfigKeySpec<K extends ConfigKey> = ConfigKeyDoc & ConfigValueCodec<ConfigValues[K]>;

export const LAN_ADDRS_MAX = 4;
const LOG_FORMATS: readonly LogFormat[] = ["text", "json"];
const TRUST_AUTO_APPROVE: readonly ConfigValues["trust_auto_approve"][] = ["none", "network"];
export const DEFAULT_MAX_FILE_SIZE_BYTES = 104_857_600;

function wrongType(expected: string): never {
  throw new InvalidArgumentError(`expected ${expected}`);
}

/** A string key; `""` is accepted as "unset" when the default is `""`, anything else goes through `check`. */
function stringKey(
  doc: ConfigKeyDoc,
  fallback: string | ((home: string) => string),
  check: (text: string) => string = (t) => t,
): ConfigKeyDoc & ConfigValueCodec<string> {
  const fromText = (text: string) => (text === "" && fallback === "" ? "" : check(text));
  return {
    ...doc,
    default: (home) => typeof fallback === "string" ? fallback : fallback(home),
    fromText,
    fromJson: (value) => typeof value === "string" ? fromText(value) : wrongType("a string"),
  };
}

function nonEmpty(what: string): (text: string) => string {
  return (text) => {
    if (text === "") throw new InvalidArgumentError(`${what} must not be empty`);
    return text;
  };
}

function oneOf<T extends string>(options: readonly T[]): (text: string) => T {
  return (text) => {
    if (!(options as readonly string[]).includes(text)) {
      const choices = `${options.slice(0, -1).join(", ")} or ${options[options.length - 1]}`;
      throw new InvalidArgumentError(`invalid value "${text}" (use ${choices})`);
    }
    return text as T;
  };
}

function parseLanAddrs(list: readonly string[]): string[] {
  if (list.length > LAN_ADDRS_MAX) throw new InvalidArgumentError(`too many lan addresses (max ${LAN_ADDRS_MAX})`);
  return list.map((a) => (parseIpPort(a), a));
}

function parseBoolean(text: string): boolean {
  if (text === "true") return true;
  if (text === "false") return false;
  throw new InvalidArgumentError(`invalid boolean "${text}" (use true or false)`);
}

function parseByteCount(text: string): number {
  const n = Number(text);
  if (!/^\d{1,16}$/.test(text) || n < 1 || !Number.isSafeInteger(n)) {
    throw new InvalidArgumentError(`invalid byte count "${text}"`);
  }
  return n;
}

const hostPort = (text: string) => (parseHostPort(text), text);
const listenAddr = (text: string) => (parseHostPort(text, { listen: true, allowEmptyHost: true }), text);

/** The keys of §1.7, in the order the document lists them. */
export const CONFIG_KEYS: { readonly [K in ConfigKey]: ConfigKeySpec<K> } = {
  registry: stringKey(
    {
      values: "host:port or tls://host:port",
      defaultLabel: DEFAULT_REGISTRY,
      readBy: "daemon",
      env: ENV_REGISTRY,
    },
    DEFAULT_REGISTRY,
    (t) => (parseRegistryAddress(t), t),
  ),
  registry_ca: stringKey(
    { values: "PEM CA bundle path, for a tls:// registry with a private CA", defaultLabel: "", readBy: "daemon" },
    "",
  ),
  beacon: stringKey(
    { values: "host:port", defaultLabel: DEFAULT_BEACON, readBy: "daemon", env: ENV_BEACON },
    DEFAULT_BEACON,
    hostPort,
  ),
  socket: stringKey(
    { values: "path", defaultLabel: DEFAULT_SOCKET_PATH, readBy: "all", env: ENV_SOCKET },
    DEFAULT_SOCKET_PATH,
    nonEmpty("socket path"),
  ),
  identity: stringKey(
    { values: "path", defaultLabel: "<home>/identity.json", readBy: "daemon" },
    (home) => pilotPaths(home).identity,
    nonEmpty("identity path"),
  ),
  listen: stringKey(
    { values: "UDP host:port (port 0 = random)", defaultLabel: "0.0.0.0:0", readBy: "daemon" },
    "0.0.0.0:0",
    listenAddr,
  ),
  endpoint: stringKey(
    { values: "fixed public ip:port announced to the registry", defaultLabel: "", readBy: "daemon" },
    "",
    (t) => (parseIpPort(t), t),
  ),
  lan_addrs: {
    values: `up to ${LAN_ADDRS_MAX} ip:port extra dial candidates (comma-separated in --set and --lan-addrs)`,
    defaultLabel: "[]",
    readBy: "daemon",
    default: () => [],
    fromText: (text) => parseLanAddrs(text === "" ? [] : text.split(",").map((s) => s.trim())),
    fromJson: (value) =>
      Array.isArray(value) && value.every((v) => typeof v === "string")
        ? parseLanAddrs(value)
        : wrongType("an array of strings"),
  },
  email: stringKey(
    { values: "email", defaultLabel: "", readBy: "daemon", env: ENV_EMAIL },
    "",
    parseEmail,
  ),
  hostname: stringKey(
    { values: "hostname", defaultLabel: "", readBy: "daemon", env: ENV_HOSTNAME },
    "",
    parseHostname,
  ),
  public: {
    values: "true / false",
    defaultLabel: "false",
    readBy: "daemon",
    default: () => false,
    fromText: parseBoolean,
    fromJson: (value) => typeof value === "boolean" ? value : wrongType("true or false"),
  },
  webhook: stringKey({ values: "http(s)://…", defaultLabel: "", readBy: "daemon" }, "", parseWebhookUrl),
  webhook_secret: stringKey(
    { values: "HMAC key for X-Pilot-Signature", defaultLabel: "", readBy: "daemon", secret: true },
    "",
  ),
  trust_auto_approve: {
    values: "none / network",
    defaultLabel: "none",
    readBy: "daemon",
    default: () => "none",
    fromText: oneOf(TRUST_AUTO_APPROVE),
    fromJson: (value) => typeof value === "string" ? oneOf(TRUST_AUTO_APPROVE)(value) : wrongType("a string"),
  },
  max_file_size: {
    values: "bytes accepted per incoming file",
    defaultLabel: String(DEFAULT_MAX_FILE_SIZE_BYTES),
    readBy: "daemon",
    default: () => DEFAULT_MAX_FILE_SIZE_BYTES,
    fromText: parseByteCount,
    fromJson: (value) => typeof value === "number" ? parseByteCount(String(value)) : wrongType("a number"),
  },
  metrics: stringKey(
    { values: "host:port for Prometheus /metrics", defaultLabel: "", readBy: "daemon" },
    "",
    listenAddr,
  ),
  log_level: {
    values: "debug / info / warn / error",
    defaultLabel: "info",
    readBy: "daemon, gateway",
    default: () => "info",
    fromText: oneOf(LOG_LEVELS),
    fromJson: (value) => typeof value === "string" ? oneOf(LOG_LEVELS)(value) : wrongType("a string"),
  },
  log_format: {
    values: "text / json",
    defaultLabel: "text",
    readBy: "daemon, gateway",
    default: () => "text",
    fromText: oneOf(LOG_FORMATS),
    fromJson: (value) => typeof value === "string" ? oneOf(LOG_FORMATS)(value) : wrongType("a string"),
  },
};

export const CONFIG_KEY_NAMES: readonly ConfigKey[] = Object.keys(CONFIG_KEYS) as ConfigKey[];

export function isConfigKey(name: string): name is ConfigKey {
  return Object.hasOwn(CONFIG_KEYS, name);
}
