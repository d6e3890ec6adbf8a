// `pilotctl approve <node_id>` (CLI.md §3.5): approves a pending trust request (`trust_approve`, PROTOCOL-BRIEF
// §6.2); both sides become trusted. `queued` says the approval went through the registry rather than port 444.
import { NotFoundError, toPilotError } from "../../util/errors.ts";
import { backboneAddress, withDaemon } from "../daemon_client.ts";
import type { CommandContext, CommandResult, CommandSpec } from "../spec.ts";
import { parseTrustNodeId } from "./trust_common.ts";

/** `no pending request from node 256`, hint `pilotctl pending`. */
export function noPendingRequest(nodeId: number): NotFoundError {
  return new NotFoundError(`no pending request from node ${nodeId}`, { hint: "pilotctl pending", detail: "node" });
}

export async function runApprove(ctx: CommandContext): Promise<CommandResult> {
  const nodeId = parseTrustNodeId(ctx.args.require("node_id"));
  const address = backboneAddress(nodeId);
  return await withDaemon(ctx, async (session) => {
    let queued: boolean;
    try {
      queued = (await session.request("trust_approve", { node: address })).queued === true;
    } catch (err) {
      throw toPilotError(err).code === "not_found" ? noPendingRequest(nodeId) : err;
    }
    return {
      data: { node_id: nodeId, address, status: "approved", queued },
      human: `Approved node ${nodeId} (${address})`,
    };
  });
}

export const approveCommand: CommandSpec = {
  name: "approve",
  summary: "Approve a pending trust request",
  description: "Approves a pending request; both sides become trusted. Returns once the requester's daemon " +
    "acknowledges a direct delivery, or once the registry has queued the approval (queued: true).",
  args: [{ name: "node_id", description: "NODE ID from pilotctl pending", required: true }],
  flags: [],
  returns: ["node_id", "address", "status", "queued"],
  needsDaemon: true,
  run: runApprove,
};
