// `pilotctl set-hostname <name>` (CLI.md §3.3): claims the hostname in the registry at once (`set_hostname`,
// PROTOCOL-BRIEF §4.4) and saves it to config.json, so the daemon claims it again at its next start.
import { parseHostname, updateConfigFile } from "../../config/mod.ts";
import { AlreadyExistsError, toPilotError } from "../../util/errors.ts";
import { withDaemon } from "../daemon_client.ts";
import type { CommandContext, CommandResult, CommandSpec } from "../spec.ts";

export function hostnameTaken(name: string): AlreadyExistsError {
  return new AlreadyExistsError(`hostname "${name}" is taken`, {
    hint: "choose another name",
    detail: "hostname_taken",
  });
}

export async function runSetHostname(ctx: CommandContext): Promise<CommandResult> {
  const name = parseHostname(ctx.args.require("name"));
  return await withDaemon(ctx, async (session) => {
    let hostname: string;
    try {
      hostname = (await session.request("set_hostname", { hostname: name })).hostname ?? name;
    } catch (err) {
      throw toPilotError(err).code === "already_exists" ? hostnameTaken(name) : err;
    }
    await updateConfigFile(session.config.configPath, { hostname });
    return { data: { node_id: session.self.nodeId, hostname }, human: `Hostname set: ${hostname}` };
  });
}

export const setHostnameCommand: CommandSpec = {
  name: "set-hostname",
  summary: "Claim a hostname",
  description: "Claims a hostname at once and saves it to config.",
  args: [{ name: "name", description: "1-63 of a-z, 0-9 and -", required: true }],
  flags: [],
  returns: ["node_id", "hostname"],
  needsDaemon: true,
  run: runSetHostname,
};
