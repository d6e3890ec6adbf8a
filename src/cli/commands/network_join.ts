// `pilotctl network join <network> [--token T]` (CLI.md §3.4): joins by id or name (`network_join`, PROTOCOL-BRIEF
// §4.4). Everyone is on the backbone already, so `0` is `already_exists` without asking the registry.
import { AlreadyExistsError } from "../../util/errors.ts";
import { withDaemon } from "../daemon_client.ts";
import type { CommandContext, CommandResult, CommandSpec } from "../spec.ts";
import { BACKBONE, networkName, parseNetworkRef } from "./network_common.ts";

export async function runNetworkJoin(ctx: CommandContext): Promise<CommandResult> {
  const ref = parseNetworkRef(ctx.args.require("network"));
  if (ref.id === BACKBONE) {
    throw new AlreadyExistsError("already a member of network 0 (the backbone)", { detail: "member" });
  }
  const token = ctx.flags.string("token");
  return await withDaemon(ctx, async (session) => {
    const target = ref.id !== undefined ? { network_id: ref.id } : { name: ref.name };
    const result = await session.request("network_join", token === undefined ? target : { ...target, token });
    const named = (result as { name?: unknown }).name;
    const name = typeof named === "string" ? named : ref.name ?? await networkName(session, result.network_id);
    const data = { network_id: result.network_id, name, address: result.address };
    const label = name === null ? "" : ` (${name})`;
    return { data, human: `Joined network ${data.network_id}${label} as ${data.address}` };
  });
}

export const networkJoinCommand: CommandSpec = {
  name: "network join",
  summary: "Join a network",
  description: "Joins a network by id or name. open: anyone; token: the matching --token; invite: a pending " +
    "invitation.",
  args: [{ name: "network", description: "Network id or name", required: true }],
  flags: [{ name: "token", type: "string", valueName: "token", description: "Join token (rule token)" }],
  returns: ["network_id", "name", "address"],
  needsDaemon: true,
  run: runNetworkJoin,
};
