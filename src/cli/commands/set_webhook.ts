// `pilotctl set-webhook <url> [--secret S]` (CLI.md §3.10, PROTOCOL-BRIEF §9.5): saves the webhook URL (and the
// secret that signs deliveries) to config.json, then applies it at once when a daemon is running, through the
// daemon's `config_set` (PROTOCOL-BRIEF §8.3). A daemon that is down, or cannot apply it live, reads it at its
// next start: `applied` says which happened.
import { parseWebhookUrl, resolveConfig, updateConfigFile } from "../../config/mod.ts";
import { DaemonSession } from "../daemon_client.ts";
import type { CommandContext, CommandResult, CommandSpec } from "../spec.ts";

/** How long to look for a running daemon before saving only to config. */
export const LIVE_APPLY_TIMEOUT_MS = 5_000;

/** Sends each `config_set` in order; true only when the daemon applied all of them live. */
export async function applyLive(ctx: CommandContext, settings: readonly [string, string][]): Promise<boolean> {
  let session: DaemonSession;
  try {
    session = await DaemonSession.open(ctx, LIVE_APPLY_TIMEOUT_MS);
  } catch {
    return false;
  }
  try {
    let applied = true;
    for (const [key, value] of settings) {
      const result = await session.request("config_set", { key, value });
      applied &&= result.applied === true;
    }
    return applied;
  } catch {
    // an older daemon without config_set, or one that refuses a live change: the file is the fallback
    return false;
  } finally {
    await session.close();
  }
}

export async function runSetWebhook(ctx: CommandContext): Promise<CommandResult> {
  const url = parseWebhookUrl(ctx.args.require("url"));
  const secret = ctx.flags.string("secret");
  const config = await resolveConfig({ env: ctx.env });
  await updateConfigFile(
    config.configPath,
    secret === undefined ? { webhook: url } : { webhook: url, webhook_secret: secret },
  );
  // The secret first, so no delivery to the new URL goes out signed with the old one.
  const settings: [string, string][] = secret === undefined ? [["webhook", url]] : [["webhook_secret", secret], [
    "webhook",
    url,
  ]];
  const applied = await applyLive(ctx, settings);
  return { data: { webhook: url, applied } };
}

export const setWebhookCommand: CommandSpec = {
  name: "set-webhook",
  summary: "Send node events to a webhook",
  description: "Saves the webhook URL (and, with --secret, the webhook_secret that signs deliveries with " +
    "X-Pilot-Signature) to config, and applies it at once if the daemon is running.",
  args: [{ name: "url", description: "http:// or https:// URL", required: true }],
  flags: [{ name: "secret", type: "string", valueName: "secret", description: "HMAC-SHA256 key for signatures" }],
  returns: ["webhook", "applied"],
  needsDaemon: false,
  run: runSetWebhook,
};
