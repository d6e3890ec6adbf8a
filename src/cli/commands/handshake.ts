// `pilotctl handshake <target> [justification] [--wait 0]` (CLI.md §3.5): sends a trust request (`trust_request`,
// PROTOCOL-BRIEF §6). With `--wait` it then watches `trust_list` / `trust_pending` until the peer answers: trusted,
// or the outgoing request gone without trust (a rejection, `unauthorized` with the peer's reason from
// `trust_pending.rejected`), or the wait runs out (`timeout`).
import { formatDurationMs } from "../../config/mod.ts";
import type { IpcJson } from "../../ipc/mod.ts";
import { InvalidArgumentError, TimeoutError, UnauthorizedError } from "../../util/errors.ts";
import { type DaemonSession, Deadline, parseTarget, type ResolvedTarget, withDaemon } from "../daemon_client.ts";
import type { CommandContext, CommandResult, CommandSpec } from "../spec.ts";
import { delay } from "./stream_io.ts";
import { checkTextLimit, JUSTIFICATION_MAX_BYTES } from "./trust_common.ts";

/** How often `--wait` looks at the trust state. */
export const HANDSHAKE_POLL_MS = 250;

type Outcome = { readonly kind: "trusted" } | { readonly kind: "rejected"; readonly reason: string };

function listed(rows: unknown, nodeId: number): boolean {
  return Array.isArray(rows) && rows.some((r) => (r as IpcJson).node_id === nodeId);
}

/** The reason the peer gave with its rejection ("" when none, or when the daemon does not report rejections). */
function rejectionReason(rows: unknown, nodeId: number): string {
  if (!Array.isArray(rows)) return "";
  const row = rows.findLast((r) => (r as IpcJson).node_id === nodeId) as IpcJson | undefined;
  return typeof row?.reason === "string" ? row.reason : "";
}

async function awaitAnswer(session: DaemonSession, target: ResolvedTarget, waitMs: number): Promise<Outcome> {
  using wait = new Deadline(waitMs);
  for (;;) {
    await delay(HANDSHAKE_POLL_MS, wait.signal);
    if (wait.expired) break;
    const pending = await session.request("trust_pending", {});
    if (listed(pending.outgoing, target.nodeId)) continue;
    // The request left the outgoing list: approved (trusted) or rejected / expired.
    const trust = await session.request("trust_list", {});
    if (listed(trust.trusted, target.nodeId)) return { kind: "trusted" };
    return { kind: "rejected", reason: rejectionReason(pending.rejected, target.nodeId) };
  }
  throw new TimeoutError(`no response from ${target.address} within ${formatDurationMs(waitMs)}`, {
    hint: "retry with a longer --wait",
  });
}

export async function runHandshake(ctx: CommandContext): Promise<CommandResult> {
  const justification = checkTextLimit(ctx.args.get("justification") ?? "", "justification", JUSTIFICATION_MAX_BYTES);
  const waitMs = ctx.flags.durationMs("wait") ?? 0;
  const given = parseTarget(ctx.args.require("target"));
  return await withDaemon(ctx, async (session) => {
    const target = await session.resolveTarget(given);
    if (target.nodeId === session.self.nodeId) throw new InvalidArgumentError("cannot handshake with yourself");
    const result = await session.request("trust_request", { node: target.address, justification });
    let status = result.status;
    let human: string;
    if (status === "already_trusted") human = `Already trusted: ${target.address}`;
    else if (status === "trusted") human = `Trusted ${target.address} (mutual request)`;
    else if (waitMs === 0) human = `Handshake request sent to ${target.address}`;
    else {
      const outcome = await awaitAnswer(session, target, waitMs);
      if (outcome.kind === "rejected") {
        const why = outcome.reason === "" ? "" : `: ${outcome.reason}`;
        throw new UnauthorizedError(`handshake rejected by ${target.address}${why}`, { detail: "rejected" });
      }
      status = "trusted";
      human = `Trusted ${target.address} (approved)`;
    }
    return { data: { node_id: target.nodeId, address: target.address, status }, human };
  });
}

export const handshakeCommand: CommandSpec = {
  name: "handshake",
  summary: "Ask a node for mutual trust",
  description: "Sends a trust request (justification at most 1024 bytes). Trust begins when the target approves, " +
    "or at once when both sides have asked. --wait blocks until the peer answers; 0 does not wait.",
  args: [
    { name: "target", description: "Address, node ID or hostname", required: true },
    { name: "justification", description: "Why you ask (shown to the target)", required: false },
  ],
  flags: [{
    name: "wait",
    type: "duration",
    default: "0",
    valueName: "duration",
    description: "Wait this long for the answer (0: do not wait)",
  }],
  returns: ["node_id", "address", "status"],
  needsDaemon: true,
  run: runHandshake,
};
