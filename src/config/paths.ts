// The environment (CLI.md §1.6) and the files under <home> (§1.8). The environment is injected as a narrow
// interface (Deno.env and a Map both fit) so tests never read or change the real one.
import { InvalidArgumentError } from "../util/errors.ts";

/** Read-only view of environment variables: `Deno.env` in production, a `Map` in tests. */
export interface Env {
  get(name: string): string | undefined;
}

export const ENV_HOME = "PILOT_HOME";
export const ENV_SOCKET = "PILOT_SOCKET";
export const ENV_REGISTRY = "PILOT_REGISTRY";
export const ENV_BEACON = "PILOT_BEACON";
export const ENV_EMAIL = "PILOT_EMAIL";
export const ENV_HOSTNAME = "PILOT_HOSTNAME";
export const ENV_POSTGRES_URL = "PILOT_POSTGRES_URL";

export const DEFAULT_HOME_DIR_NAME = ".pilot";
export const DEFAULT_SOCKET_PATH = "/tmp/pilot.sock";
export const DEFAULT_REGISTRY = "127.0.0.1:9000";
export const DEFAULT_BEACON = "127.0.0.1:9001";

export interface EnvVarDoc {
  readonly description: string;
  readonly default: string | null;
}

/** The variables of §1.6, for `context` and `help`. */
export const ENVIRONMENT: Readonly<Record<string, EnvVarDoc>> = {
  [ENV_HOME]: { description: "Directory for all local state.", default: "~/.pilot" },
  [ENV_SOCKET]: { description: "IPC socket path (daemon and clients).", default: DEFAULT_SOCKET_PATH },
  [ENV_REGISTRY]: {
    description: "Registry address: host:port, or tls://host:port for TLS.",
    default: DEFAULT_REGISTRY,
  },
  [ENV_BEACON]: { description: "Beacon address (host:port, UDP).", default: DEFAULT_BEACON },
  [ENV_EMAIL]: { description: "Default for --email.", default: null },
  [ENV_HOSTNAME]: { description: "Default for --hostname.", default: null },
  [ENV_POSTGRES_URL]: { description: "Default for registry run --postgres.", default: null },
};

/** A non-empty environment variable, or undefined (an empty value counts as unset). */
export function envValue(env: Env, name: string): string | undefined {
  const value = env.get(name);
  return value === undefined || value === "" ? undefined : value;
}

/** The user's home directory ($HOME, or %USERPROFILE% on Windows); undefined when neither is set. */
export function userHomeDir(env: Env): string | undefined {
  return envValue(env, "HOME") ?? envValue(env, "USERPROFILE");
}

/** `$PILOT_HOME`, else `~/.pilot`. */
export function resolveHome(env: Env): string {
  const explicit = envValue(env, ENV_HOME);
  if (explicit !== undefined) return trimTrailingSlash(explicit);
  const home = userHomeDir(env);
  if (home === undefined) {
    throw new InvalidArgumentError("cannot find the state directory: HOME is not set", {
      hint: `set ${ENV_HOME} to a directory`,
    });
  }
  return joinPath(trimTrailingSlash(home), DEFAULT_HOME_DIR_NAME);
}

/** Every file of §1.8 under one home directory. */
export interface PilotPaths {
  readonly home: string;
  readonly config: string;
  readonly identity: string;
  readonly pidFile: string;
  readonly logFile: string;
  readonly ipcToken: string;
  readonly trust: string;
  readonly receivedDir: string;
  readonly inboxDir: string;
  readonly gatewayPid: string;
  readonly gatewaySocket: string;
  readonly gatewayLog: string;
  readonly registryDb: string;
  readonly binDir: string;
}

export function pilotPaths(home: string): PilotPaths {
  const at = (name: string) => joinPath(home, name);
  return {
    home,
    config: at("config.json"),
    identity: at("identity.json"),
    pidFile: at("pilot.pid"),
    logFile: at("pilot.log"),
    ipcToken: at("ipc.token"),
    trust: at("trust.json"),
    receivedDir: at("received"),
    inboxDir: at("inbox"),
    gatewayPid: at("gateway.pid"),
    gatewaySocket: at("gateway.sock"),
    gatewayLog: at("gateway.log"),
    registryDb: at("registry.db"),
    binDir: at("bin"),
  };
}

/** Mode of <home>, received/ and inbox/. */
export const PRIVATE_DIR_MODE = 0o700;
/** Mode of every state file. */
export const PRIVATE_FILE_MODE = 0o600;
/** Mode of bin/. */
export const BIN_DIR_MODE = 0o755;

export function joinPath(dir: string, name: string): string {
  return dir.endsWith("/") ? dir + name : `${dir}/${name}`;
}

export function dirName(path: string): string {
  const slash = path.lastIndexOf("/");
  if (slash < 0) return ".";
  return slash === 0 ? "/" : path.slice(0, slash);
}

function trimTrailingSlash(path: string): string {
  return path.length > 1 && path.endsWith("/") ? path.slice(0, -1) : path;
}

/** Shows a path under the user's home as `~/…` (human output only). */
export function tildePath(path: string, env: Env): string {
  const home = userHomeDir(env);
  if (home === undefined) return path;
  const root = trimTrailingSlash(home);
  if (root === "/" || root === "") return path;
  if (path === root) return "~";
  return path.startsWith(root + "/") ? "~" + path.slice(root.length) : path;
}
