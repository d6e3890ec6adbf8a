// `pilotctl untrust <node_id>` (CLI.md §3.5): revokes trust on both sides (`trust_revoke`, PROTOCOL-BRIEF §6.3): the
// peer is told, its connections are reset and the registry link is removed.
import { NotFoundError, toPilotError } from "../../util/errors.ts";
import { backboneAddress, withDaemon } from "../daemon_client.ts";
import type { CommandContext, CommandResult, CommandSpec } from "../spec.ts";
import { parseTrustNodeId } from "./trust_common.ts";

export async function runUntrust(ctx: CommandContext): Promise<CommandResult> {
  const nodeId = parseTrustNodeId(ctx.args.require("node_id"));
  return await withDaemon(ctx, async (session) => {
    try {
      await session.request("trust_revoke", { node: backboneAddress(nodeId) });
    } catch (err) {
      if (toPilotError(err).code !== "not_found") throw err;
      throw new NotFoundError(`node ${nodeId} is not trusted`, { hint: "pilotctl trust", detail: "node" });
    }
    return { data: { node_id: nodeId, status: "revoked" }, human: `Revoked trust for node ${nodeId}` };
  });
}

export const untrustCommand: CommandSpec = {
  name: "untrust",
  summary: "Revoke trust in a peer",
  description: "Revokes trust on both sides: the peer is told, open connections to it are reset, and the registry " +
    "link is removed.",
  args: [{ name: "node_id", description: "NODE ID from pilotctl trust", required: true }],
  flags: [],
  returns: ["node_id", "status"],
  needsDaemon: true,
  run: runUntrust,
};
