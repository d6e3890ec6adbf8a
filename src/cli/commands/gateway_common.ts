// What the `gateway …` commands share (CLI.md §3.9): the flags of `start` / `run`, the state files under <home>, the
// control-socket connection, and the human forms of the ready block and of `gateway list`.
import { type Env, type PilotPaths, pilotPaths, resolveHome } from "../../config/mod.ts";
import {
  DEFAULT_GATEWAY_PORTS,
  defaultSubnet,
  formatMappingLine,
  GatewayControl,
  type GatewayReadyData,
  type GatewayState,
} from "../../gateway/mod.ts";
import { formatTable } from "../format.ts";
import type { ArgSpec, FlagSpec } from "../spec.ts";

export const SUBNET_FLAG: FlagSpec = {
  name: "subnet",
  type: "string",
  default: defaultSubnet(),
  valueName: "CIDR",
  description: "Local IPs to hand out: 127.4.0.0/16 on Linux (loopback, no root), 10.4.0.0/16 elsewhere " +
    "(interface aliases, root)",
};

export const PORTS_FLAG: FlagSpec = {
  name: "ports",
  type: "string",
  default: DEFAULT_GATEWAY_PORTS,
  valueName: "list",
  description: "Comma-separated TCP ports served on every mapped IP, each to the same pilot port",
};

export const TARGETS_ARG: ArgSpec = {
  name: "target",
  description: "Agents to map at start (address, node ID or hostname), each to the next free IP",
  required: false,
  variadic: true,
};

/** `data` fields of `start` and `run`. */
export const READY_RETURNS = ["pid", "subnet", "ports", "mappings"];

export function gatewayPaths(env: Env): PilotPaths {
  return pilotPaths(resolveHome(env));
}

/** Connects to the running gateway of this PILOT_HOME; not_running when there is none. */
export async function openControl(env: Env): Promise<GatewayControl> {
  return await GatewayControl.connect(gatewayPaths(env).gatewaySocket);
}

/** `Gateway running (pid N)`, then one line per mapping. */
export function readyText(data: GatewayReadyData): string {
  return [`Gateway running (pid ${data.pid})`, ...data.mappings.map((m) => formatMappingLine(m, data.ports))].join(
    "\n",
  );
}

/** `LOCAL IP  PILOT ADDRESS  HOSTNAME  CONNS`, or one sentence when nothing is mapped. */
export function listTable(state: GatewayState): string {
  return formatTable(
    ["LOCAL IP", "PILOT ADDRESS", "HOSTNAME", "CONNS"],
    state.mappings.map((m) => [m.local_ip, m.pilot_addr, m.hostname || "-", m.connections]),
    `No mappings (subnet ${state.subnet}, ports ${state.ports.join(",")})`,
  );
}
