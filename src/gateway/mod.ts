// Public face of src/gateway (CLI.md §3.9): local TCP listeners bridged to pilot streams, the control socket, and the
// TCP ↔ stream bridge that `expose` reuses in the other direction.
export {
  bridge,
  BRIDGE_ABORT_SETTLE_MS,
  BRIDGE_CHUNK_BYTES,
  type BridgeCloseHow,
  type BridgeOptions,
  type BridgeOutcome,
  type BridgeResult,
  type BridgeStream,
} from "./bridge.ts";
export {
  DEFAULT_SUBNET_LINUX,
  DEFAULT_SUBNET_OTHER,
  defaultSubnet,
  firstFreeHost,
  formatIPv4,
  hostCount,
  isHostAddress,
  isLoopbackSubnet,
  needsAliases,
  parseIPv4,
  parseLocalIp,
  parseSubnet,
  type Subnet,
  SUBNET_PREFIX_MAX,
  SUBNET_PREFIX_MIN,
  subnetContains,
} from "./subnet.ts";
export {
  checkPortPrivilege,
  DEFAULT_GATEWAY_PORTS,
  denoPortProbe,
  formatPortList,
  GATEWAY_PORTS_MAX,
  parsePortList,
  PORT_PRIVILEGE_HINT,
  type PortProbe,
  PRIVILEGED_PORT_MAX,
} from "./ports.ts";
export {
  ALIAS_PRIVILEGE_HINT,
  type AliasManager,
  aliasManagerFor,
  type CommandOutcome,
  type CommandRunner,
  LoopbackAliases,
  noAliases,
  runSystemCommand,
} from "./aliases.ts";
export { type DaemonConnector, DaemonDialer, GATEWAY_DIAL_TIMEOUT_MS, type PilotDialer } from "./dialer.ts";
export {
  formatMappingLine,
  Gateway,
  GATEWAY_CONNECTIONS_MAX,
  GATEWAY_MAPPINGS_MAX,
  type GatewayOptions,
  type GatewayState,
  type MappingInfo,
  type MappingState,
  type MapRequest,
  type UnmapKey,
} from "./gateway.ts";
export {
  CONTROL_CONNECT_TIMEOUT_MS,
  controlHandlers,
  type ControlHooks,
  GATEWAY_SERVICE_NAME,
  GATEWAY_START_HINT,
  GatewayControl,
  gatewayNotRunningError,
} from "./control.ts";
export {
  claimGatewayPid,
  GATEWAY_STOP_HINT,
  gatewayRunningError,
  liveGatewayPid,
  processAlive,
  readGatewayPid,
  releaseGatewayPid,
  removeStaleGatewayPid,
} from "./pidfile.ts";
export { type GatewayReadyData, GatewayService, type GatewayServiceOptions } from "./service.ts";
