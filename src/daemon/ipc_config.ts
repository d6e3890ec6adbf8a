// IPC `config_get` / `config_set` (PROTOCOL-BRIEF §8.3; CLI.md §3.10 set-webhook): the daemon's settings as it runs
// them (the webhook secret shown as `***`), and live changes where the daemon can apply them: the webhook URL and
// secret go to the dispatcher at once; any other key is validated and takes effect at the next start.
import { CONFIG_KEYS, type ConfigKey, isConfigKey } from "../config/mod.ts";
import type { IpcCommandHandler, IpcResult } from "../ipc/mod.ts";
import { InvalidArgumentError } from "../util/errors.ts";
import { optStrArg, strArg } from "./ipc_args.ts";
import type { WebhookDispatcher } from "./services/webhook.ts";
import type { NodeSettings } from "./settings.ts";

const SECRET_SHOWN = "***";

export interface IpcConfigDeps {
  readonly settings: NodeSettings;
  readonly webhooks: WebhookDispatcher;
}

function currentValues(d: IpcConfigDeps): Record<string, unknown> {
  const s = d.settings;
  const target = d.webhooks.target;
  return {
    registry: s.registry,
    registry_ca: s.registryCa,
    beacon: s.beacon,
    socket: s.socketPath,
    identity: s.identityPath,
    listen: s.listen,
    endpoint: s.endpoint,
    lan_addrs: [...s.lanAddrs],
    email: s.email,
    hostname: s.hostname,
    public: s.public,
    webhook: target.url,
    webhook_secret: target.secret === "" ? "" : SECRET_SHOWN,
    trust_auto_approve: s.trustAutoApprove,
    max_file_size: s.maxFileSize,
    metrics: s.metrics,
  };
}

function parseKey(text: string): ConfigKey {
  if (!isConfigKey(text)) {
    throw new InvalidArgumentError(`unknown config key "${text}"`, { hint: "pilotctl config", detail: "bad_argument" });
  }
  return text;
}

export function configCommands(d: IpcConfigDeps): Record<string, IpcCommandHandler> {
  return {
    config_get(args): Promise<IpcResult> {
      const key = optStrArg(args, "key", 64);
      const values = currentValues(d);
      if (key === undefined) return Promise.resolve({ values });
      const k = parseKey(key);
      return Promise.resolve({ key: k, value: values[k] ?? null });
    },
    config_set(args): Promise<IpcResult> {
      const key = parseKey(strArg(args, "key", 64));
      const raw = args.value;
      const spec = CONFIG_KEYS[key];
      const value = typeof raw === "string" ? spec.fromText(raw) : spec.fromJson(raw);
      if (key === "webhook" || key === "webhook_secret") {
        const target = d.webhooks.target;
        d.webhooks.configure(
          key === "webhook" ? { ...target, url: value as string } : {
            ...target,
            secret: value as string,
          },
        );
        return Promise.resolve({ applied: true, restart_required: false });
      }
      return Promise.resolve({ applied: false, restart_required: true });
    },
  };
}
