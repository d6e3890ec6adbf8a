// `pilotctl lookup <target>` (CLI.md §3.3): the registry record of a node visible to you (`lookup`, PROTOCOL-BRIEF
// §4.4), reduced to the CLI's fields. Human output is the indented JSON of `data`.
import type { IpcJson } from "../../ipc/mod.ts";
import { NotFoundError, toPilotError } from "../../util/errors.ts";
import { parseTarget, withDaemon } from "../daemon_client.ts";
import type { CommandContext, CommandResult, CommandSpec } from "../spec.ts";

export function lookupData(record: IpcJson): Record<string, unknown> {
  const networks = Object.keys((record.addresses ?? {}) as IpcJson).map(Number).filter(Number.isInteger);
  return {
    node_id: record.node_id,
    address: record.address,
    hostname: typeof record.hostname === "string" ? record.hostname : "",
    public: record.public === true,
    tags: Array.isArray(record.tags) ? record.tags : [],
    networks: networks.sort((a, b) => a - b),
    public_key: typeof record.public_key === "string" ? record.public_key : null,
    online: record.online === true,
  };
}

export function runLookup(ctx: CommandContext): Promise<CommandResult> {
  const given = parseTarget(ctx.args.require("target"));
  return withDaemon(ctx, async (session) => {
    const target = await session.resolveTarget(given);
    try {
      return { data: lookupData(await session.request("lookup", { target: target.address })) };
    } catch (err) {
      if (toPilotError(err).code !== "not_found") throw err;
      throw new NotFoundError(`node ${target.nodeId} not found or not visible`, { detail: "node" });
    }
  });
}

export const lookupCommand: CommandSpec = {
  name: "lookup",
  summary: "Show the registry record of a node",
  description: "The registry record of a node visible to you: hostname, visibility, tags, networks, key and " +
    "whether it is online.",
  args: [{ name: "target", description: "Address, node ID or hostname", required: true }],
  flags: [],
  returns: ["node_id", "address", "hostname", "public", "tags", "networks", "public_key", "online"],
  needsDaemon: true,
  run: runLookup,
};
