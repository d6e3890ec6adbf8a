// `pilotctl init` (CLI.md §3.10): creates <home> (0700), config.json (0600) and identity.json when missing. It
// registers nothing. On an existing config only the keys given as flags change; a second run changes nothing.
import { ensurePrivateDir, resolveConfig, tildePath, updateConfigFile } from "../../config/mod.ts";
import type { ConfigKey, ConfigValues } from "../../config/mod.ts";
import { fingerprint, loadOrCreateIdentity } from "../../crypto/mod.ts";
import { toBase64 } from "../../util/bytes.ts";
import type { CommandContext, CommandResult, CommandSpec, FlagSpec } from "../spec.ts";

const INIT_KEYS = ["registry", "beacon", "socket", "hostname", "email"] as const satisfies readonly ConfigKey[];

export async function runInit(ctx: CommandContext): Promise<CommandResult> {
  // Resolving first validates every flag (and the existing file) before anything is created.
  const cfg = await resolveConfig({ env: ctx.env, flags: ctx.flags.configOverrides() });
  const given: { [K in ConfigKey]?: ConfigValues[K] } = {};
  for (const key of INIT_KEYS) if (cfg.sources[key] === "flag") given[key] = cfg.values[key];

  const homeCreated = await ensurePrivateDir(cfg.home);
  let configCreated = false;
  if (!cfg.fileExists || Object.keys(given).length > 0) {
    configCreated = (await updateConfigFile(cfg.configPath, given)).created;
  }
  const { identity, created: identityCreated } = await loadOrCreateIdentity(cfg.values.identity);
  const fp = fingerprint(identity.publicKey);

  return {
    data: {
      config_path: cfg.configPath,
      identity: cfg.values.identity,
      public_key: toBase64(identity.publicKey),
      registry: cfg.values.registry,
      beacon: cfg.values.beacon,
      socket: cfg.values.socket,
      hostname: cfg.values.hostname,
      email: cfg.values.email,
      created: homeCreated || configCreated || identityCreated,
    },
    human: [
      `Initialised ${tildePath(cfg.home, ctx.env)}`,
      `  Config:   ${tildePath(cfg.configPath, ctx.env)}`,
      `  Identity: ${tildePath(cfg.values.identity, ctx.env)} (Ed25519 ${fp}...)`,
    ].join("\n"),
  };
}

const INIT_FLAGS: readonly FlagSpec[] = [
  { name: "registry", type: "string", configKey: "registry", valueName: "host:port", description: "Registry address" },
  { name: "beacon", type: "string", configKey: "beacon", valueName: "host:port", description: "Beacon address" },
  { name: "socket", type: "string", configKey: "socket", valueName: "path", description: "IPC socket path" },
  { name: "hostname", type: "string", configKey: "hostname", valueName: "name", description: "Hostname to claim" },
  { name: "email", type: "string", configKey: "email", valueName: "email", description: "Owner email" },
];

export const initCommand: CommandSpec = {
  name: "init",
  summary: "Create the state directory, config.json and the identity",
  description: "Creates <home> (0700), config.json and identity.json if they are missing. Registers nothing. " +
    "On an existing config, updates only the keys given as flags.",
  args: [],
  flags: INIT_FLAGS,
  returns: ["config_path", "identity", "public_key", "registry", "beacon", "socket", "hostname", "email", "created"],
  needsDaemon: false,
  run: runInit,
};
