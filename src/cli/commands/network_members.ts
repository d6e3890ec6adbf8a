// `pilotctl network members <network>` (CLI.md §3.4): the member list, for members only (`network_members`,
// PROTOCOL-BRIEF §4.4, every page). The backbone has none.
import type { IpcJson } from "../../ipc/mod.ts";
import { InvalidArgumentError } from "../../util/errors.ts";
import { withDaemon } from "../daemon_client.ts";
import type { CommandContext, CommandResult, CommandSpec } from "../spec.ts";
import { BACKBONE, parseNetworkRef, resolveNetwork } from "./network_common.ts";

/** The registry's largest page of `network_members`. */
export const MEMBERS_PAGE_LIMIT = 500;
/** 10,000 members per network (PROTOCOL-BRIEF §4.4) fit in this many pages, with room to spare. */
export const MEMBERS_MAX_PAGES = 40;

export async function runNetworkMembers(ctx: CommandContext): Promise<CommandResult> {
  const ref = parseNetworkRef(ctx.args.require("network"));
  if (ref.id === BACKBONE) throw new InvalidArgumentError("the backbone has no member list");
  return await withDaemon(ctx, async (session) => {
    const { id } = await resolveNetwork(session, ref);
    const members: Record<string, unknown>[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < MEMBERS_MAX_PAGES; page++) {
      const args = cursor === undefined
        ? { network_id: id, limit: MEMBERS_PAGE_LIMIT }
        : { network_id: id, limit: MEMBERS_PAGE_LIMIT, cursor };
      const result = await session.request("network_members", args);
      for (const m of (result.members ?? []) as IpcJson[]) {
        members.push({
          node_id: m.node_id,
          address: m.address,
          hostname: typeof m.hostname === "string" ? m.hostname : "",
          tags: Array.isArray(m.tags) ? m.tags : [],
          admin: m.admin === true,
          online: m.online === true,
        });
      }
      cursor = result.next_cursor;
      if (cursor === undefined) break;
    }
    return { data: { network_id: id, members, total: members.length } };
  });
}

export const networkMembersCommand: CommandSpec = {
  name: "network members",
  summary: "List the members of a network",
  description: "The members of a network, with hostname, tags, admin flag and whether they are online. Members " +
    "only; the backbone (0) has no member list.",
  args: [{ name: "network", description: "Network id or name", required: true }],
  flags: [],
  returns: ["network_id", "members", "total"],
  needsDaemon: true,
  run: runNetworkMembers,
};
