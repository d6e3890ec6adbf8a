// `pilotctl network create <name> [--join-rule open|token|invite] [--token T]` (CLI.md §3.4): creates a network
// (`network_create`, PROTOCOL-BRIEF §4.4); the creator becomes a member and its admin.
import { parseNetworkName } from "../../config/mod.ts";
import { InvalidArgumentError } from "../../util/errors.ts";
import { withDaemon } from "../daemon_client.ts";
import type { CommandContext, CommandResult, CommandSpec } from "../spec.ts";

export const JOIN_RULES = ["open", "token", "invite"] as const;
export type JoinRule = typeof JOIN_RULES[number];
export const NETWORK_TOKEN_MIN_CHARS = 16;
export const NETWORK_TOKEN_MAX_CHARS = 128;

export function parseJoinRule(text: string): JoinRule {
  if (!(JOIN_RULES as readonly string[]).includes(text)) {
    throw new InvalidArgumentError(`invalid join rule "${text}" (use open, token or invite)`);
  }
  return text as JoinRule;
}

export function checkNetworkToken(token: string): string {
  if (token.length < NETWORK_TOKEN_MIN_CHARS || token.length > NETWORK_TOKEN_MAX_CHARS) {
    throw new InvalidArgumentError(
      `invalid token: must be ${NETWORK_TOKEN_MIN_CHARS}-${NETWORK_TOKEN_MAX_CHARS} characters`,
    );
  }
  return token;
}

export async function runNetworkCreate(ctx: CommandContext): Promise<CommandResult> {
  const name = parseNetworkName(ctx.args.require("name"));
  const rule = parseJoinRule(ctx.flags.string("join-rule") ?? "open");
  const tokenText = ctx.flags.string("token");
  if (rule === "token" && tokenText === undefined) {
    throw new InvalidArgumentError("join rule token needs --token", { hint: "pilotctl network create --help" });
  }
  if (rule !== "token" && tokenText !== undefined) {
    throw new InvalidArgumentError("--token is only used with --join-rule token");
  }
  const token = tokenText === undefined ? undefined : checkNetworkToken(tokenText);
  return await withDaemon(ctx, async (session) => {
    const args = token === undefined ? { name, join_rule: rule } : { name, join_rule: rule, token };
    const result = await session.request("network_create", args);
    const data = { network_id: result.network_id, name: result.name ?? name, join_rule: rule, address: result.address };
    return { data, human: `Created network ${data.network_id} (${data.name}, ${rule})` };
  });
}

export const networkCreateCommand: CommandSpec = {
  name: "network create",
  summary: "Create a network",
  description: "Creates a network (rule open by default). The creator becomes a member and the admin. Rule token " +
    "needs --token (16-128 characters); rule invite admits invited nodes only.",
  args: [{ name: "name", description: "Network name (hostname rules)", required: true }],
  flags: [
    { name: "join-rule", type: "string", default: "open", valueName: "rule", description: "open, token or invite" },
    { name: "token", type: "string", valueName: "token", description: "Join token for rule token" },
  ],
  returns: ["network_id", "name", "join_rule", "address"],
  needsDaemon: true,
  run: runNetworkCreate,
};
