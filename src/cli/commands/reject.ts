// `pilotctl reject <node_id> [reason]` (CLI.md §3.5): rejects a pending trust request and sends the reason (at most
// 256 bytes) to the requester (`trust_reject`, PROTOCOL-BRIEF §6).
import { toPilotError } from "../../util/errors.ts";
import { backboneAddress, withDaemon } from "../daemon_client.ts";
import type { CommandContext, CommandResult, CommandSpec } from "../spec.ts";
import { noPendingRequest } from "./approve.ts";
import { checkTextLimit, parseTrustNodeId, REASON_MAX_BYTES } from "./trust_common.ts";

export async function runReject(ctx: CommandContext): Promise<CommandResult> {
  const nodeId = parseTrustNodeId(ctx.args.require("node_id"));
  const reasonText = ctx.args.get("reason");
  const reason = reasonText === undefined ? undefined : checkTextLimit(reasonText, "reason", REASON_MAX_BYTES);
  return await withDaemon(ctx, async (session) => {
    const node = backboneAddress(nodeId);
    try {
      await session.request("trust_reject", reason === undefined ? { node } : { node, reason });
    } catch (err) {
      throw toPilotError(err).code === "not_found" ? noPendingRequest(nodeId) : err;
    }
    return { data: { node_id: nodeId, status: "rejected" }, human: `Rejected node ${nodeId}` };
  });
}

export const rejectCommand: CommandSpec = {
  name: "reject",
  summary: "Reject a pending trust request",
  description: "Rejects a pending request and sends the reason (at most 256 bytes) to the requester.",
  args: [
    { name: "node_id", description: "NODE ID from pilotctl pending", required: true },
    { name: "reason", description: "Why (sent to the requester)", required: false },
  ],
  flags: [],
  returns: ["node_id", "status"],
  needsDaemon: true,
  run: runReject,
};
