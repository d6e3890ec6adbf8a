// `pilotctl gateway map <target> [local_ip]` (CLI.md §3.9): resolves the target through the daemon and adds the
// mapping to the running gateway, live: the given local IP, or the next free one. Gateway down: not_running; IP
// outside the subnet: invalid_argument; IP or target already mapped: already_exists.
import { parseIPv4 } from "../../gateway/mod.ts";
import { InvalidArgumentError } from "../../util/errors.ts";
import { parseTarget, withDaemon } from "../daemon_client.ts";
import type { CommandContext, CommandResult, CommandSpec } from "../spec.ts";
import { openControl } from "./gateway_common.ts";

export async function runGatewayMap(ctx: CommandContext): Promise<CommandResult> {
  const target = parseTarget(ctx.args.require("target"));
  const localIp = ctx.args.get("local_ip");
  if (localIp !== undefined && parseIPv4(localIp) === null) {
    throw new InvalidArgumentError(`invalid local IP "${localIp}"`);
  }
  await using control = await openControl(ctx.env);
  const resolved = await withDaemon(ctx, (session) => session.resolveTarget(target));
  const mapped = await control.map({
    pilot_addr: resolved.address,
    hostname: resolved.hostname ?? "",
    ...(localIp === undefined ? {} : { local_ip: localIp }),
  });
  const data = { local_ip: mapped.local_ip, pilot_addr: mapped.pilot_addr, hostname: mapped.hostname };
  return { data, human: `Mapped ${data.local_ip} -> ${data.pilot_addr}` };
}

export const gatewayMapCommand: CommandSpec = {
  name: "gateway map",
  summary: "Map an agent to a local IP on the running gateway",
  description: "Adds a mapping to the running gateway, live: connections to <local_ip>:<port> (every --ports " +
    "port of the gateway) reach the same pilot port on the agent. Without local_ip, the next free IP of the " +
    "subnet is used.",
  args: [
    { name: "target", description: "Address, node ID or hostname", required: true },
    { name: "local_ip", description: "A free IP of the gateway's subnet", required: false },
  ],
  flags: [],
  returns: ["local_ip", "pilot_addr", "hostname"],
  needsDaemon: true,
  run: runGatewayMap,
};
