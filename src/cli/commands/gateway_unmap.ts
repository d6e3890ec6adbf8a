// `pilotctl gateway unmap <local_ip|target>` (CLI.md §3.9): removes a mapping from the running gateway and closes its
// connections. A hostname matches the name it was mapped by, else (daemon permitting) the address it resolves to.
// Unknown: not_found.
import { type GatewayControl, type MappingInfo, parseIPv4 } from "../../gateway/mod.ts";
import { toPilotError } from "../../util/errors.ts";
import { parseTarget, withDaemon } from "../daemon_client.ts";
import type { CommandContext, CommandResult, CommandSpec } from "../spec.ts";
import { openControl } from "./gateway_common.ts";

async function unmapHostname(ctx: CommandContext, control: GatewayControl, hostname: string): Promise<MappingInfo> {
  try {
    return await control.unmap({ hostname });
  } catch (err) {
    if (toPilotError(err).code !== "not_found") throw err;
    // Mapped by address: the name may still resolve to it. If it does not, the first answer stands.
    let address: string;
    try {
      address = (await withDaemon(ctx, (session) => session.resolveTarget(hostname))).address;
    } catch {
      throw err;
    }
    return await control.unmap({ pilot_addr: address });
  }
}

export async function runGatewayUnmap(ctx: CommandContext): Promise<CommandResult> {
  const key = ctx.args.require("local_ip|target");
  const ip = parseIPv4(key);
  const target = ip === null ? parseTarget(key) : null;
  await using control = await openControl(ctx.env);
  let removed: MappingInfo;
  if (target === null) removed = await control.unmap({ local_ip: key });
  else if (target.kind === "hostname") removed = await unmapHostname(ctx, control, target.hostname);
  else removed = await control.unmap({ pilot_addr: target.text });
  const data = { local_ip: removed.local_ip, pilot_addr: removed.pilot_addr };
  return { data, human: `Unmapped ${data.local_ip} (${data.pilot_addr})` };
}

export const gatewayUnmapCommand: CommandSpec = {
  name: "gateway unmap",
  summary: "Remove a mapping from the running gateway",
  description: "Removes the mapping of a local IP or an agent (address, node ID or hostname) and closes its " +
    "connections.",
  args: [{
    name: "local_ip|target",
    description: "Local IP, or the agent's address, node ID or hostname",
    required: true,
  }],
  flags: [],
  returns: ["local_ip", "pilot_addr"],
  needsDaemon: true,
  run: runGatewayUnmap,
};
