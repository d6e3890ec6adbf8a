// `pilotctl clear-webhook` (CLI.md §3.10): removes the webhook URL and its secret from config.json, and stops
// deliveries at once when a daemon is running (`config_set`, PROTOCOL-BRIEF §8.3).
import { removeConfigKeys, resolveConfig } from "../../config/mod.ts";
import type { CommandContext, CommandResult, CommandSpec } from "../spec.ts";
import { applyLive } from "./set_webhook.ts";

export async function runClearWebhook(ctx: CommandContext): Promise<CommandResult> {
  const config = await resolveConfig({ env: ctx.env });
  await removeConfigKeys(config.configPath, ["webhook", "webhook_secret"]);
  // The URL first: deliveries stop before the secret goes.
  const applied = await applyLive(ctx, [["webhook", ""], ["webhook_secret", ""]]);
  return { data: { webhook: "", applied } };
}

export const clearWebhookCommand: CommandSpec = {
  name: "clear-webhook",
  summary: "Stop sending events to the webhook",
  description: "Removes the webhook URL and its secret from config, and applies it at once if the daemon is running.",
  args: [],
  flags: [],
  returns: ["webhook", "applied"],
  needsDaemon: false,
  run: runClearWebhook,
};
