// `pilotctl find <hostname>` and `find --tag <tag>…` (CLI.md §3.3): resolves a hostname (`resolve`, then `lookup` for
// its tags) or searches the directory by tags (`find_by_tag`, all must match, every page), PROTOCOL-BRIEF §4.4.
import { parseHostname, parseTags } from "../../config/mod.ts";
import type { IpcJson } from "../../ipc/mod.ts";
import { toPilotError, UsageError } from "../../util/errors.ts";
import { type DaemonSession, hostnameNotFound, withDaemon } from "../daemon_client.ts";
import { formatTable } from "../format.ts";
import type { CommandContext, CommandResult, CommandSpec } from "../spec.ts";

/** The registry's largest page of `find_by_tag`. */
export const FIND_PAGE_LIMIT = 100;
/** Pages followed at most: far more nodes than a terminal or an agent wants. */
export const FIND_MAX_PAGES = 100;
const LABEL_COLUMNS = 11;

export interface FoundNode {
  readonly node_id: number;
  readonly address: string;
  readonly hostname: string;
  readonly tags: string[];
  readonly public: boolean;
}

function stringList(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
}

function line(label: string, value: string | number): string {
  return `${(label + ":").padEnd(LABEL_COLUMNS)}${value}`;
}

async function findHostname(session: DaemonSession, name: string): Promise<CommandResult> {
  let found;
  try {
    found = await session.request("resolve", { name });
  } catch (err) {
    throw toPilotError(err).code === "not_found" ? hostnameNotFound(name) : err;
  }
  let tags: string[] = [];
  let isPublic = found.public;
  try {
    const record = await session.request("lookup", { target: found.address });
    tags = stringList(record.tags);
    if (typeof record.public === "boolean") isPublic = record.public;
  } catch (err) {
    if (toPilotError(err).code !== "not_found") throw err;
  }
  const data = {
    hostname: found.hostname ?? name,
    node_id: found.node_id,
    address: found.address,
    public: isPublic === true,
    tags,
  };
  const lines = [
    line("Hostname", data.hostname),
    line("Node ID", data.node_id),
    line("Address", data.address),
    line("Visible", data.public ? "public" : "private"),
  ];
  if (tags.length > 0) lines.push(line("Tags", tags.join(", ")));
  return { data, human: lines.join("\n") };
}

async function findTags(session: DaemonSession, tags: string[]): Promise<CommandResult> {
  const nodes: FoundNode[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < FIND_MAX_PAGES; page++) {
    const args = cursor === undefined ? { tags, limit: FIND_PAGE_LIMIT } : { tags, limit: FIND_PAGE_LIMIT, cursor };
    const result = await session.request("find_by_tag", args);
    for (const n of (result.nodes ?? []) as IpcJson[]) {
      nodes.push({
        node_id: n.node_id as number,
        address: n.address as string,
        hostname: typeof n.hostname === "string" ? n.hostname : "",
        tags: stringList(n.tags),
        public: n.public === true,
      });
    }
    cursor = result.next_cursor;
    if (cursor === undefined) break;
  }
  const human = formatTable(
    ["NODE ID", "ADDRESS", "HOSTNAME", "TAGS"],
    nodes.map((n) => [n.node_id, n.address, n.hostname || "-", n.tags.join(",")]),
    "No matching nodes",
  );
  return { data: { nodes, total: nodes.length }, human };
}

export async function runFind(ctx: CommandContext): Promise<CommandResult> {
  const hostname = ctx.args.get("hostname");
  const tagTexts = ctx.flags.list("tag");
  if (hostname === undefined && tagTexts.length === 0) throw new UsageError("missing <hostname> or --tag", "find");
  if (hostname !== undefined && tagTexts.length > 0) {
    throw new UsageError("give either <hostname> or --tag, not both", "find");
  }
  if (hostname !== undefined) {
    const name = parseHostname(hostname);
    return await withDaemon(ctx, (session) => findHostname(session, name));
  }
  const tags = parseTags(tagTexts);
  return await withDaemon(ctx, (session) => findTags(session, tags));
}

export const findCommand: CommandSpec = {
  name: "find",
  summary: "Resolve a hostname, or search nodes by tag",
  description: "With a hostname: resolves it (unknown, or private and not trusting you: not_found). With --tag " +
    "(repeatable, all must match): public nodes, plus private nodes that trust you or share a network with you.",
  args: [{ name: "hostname", description: "Hostname to resolve", required: false }],
  flags: [{ name: "tag", type: "string", repeatable: true, valueName: "tag", description: "Tag that must match" }],
  returns: ["hostname", "node_id", "address", "public", "tags", "nodes", "total"],
  needsDaemon: true,
  run: runFind,
};
