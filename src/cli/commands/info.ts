// `pilotctl info` (CLI.md §3.3): the local node's state. Built from the daemon's `info` (PROTOCOL-BRIEF §8.3), which
// also carries what the daemon knows of itself (email, visibility, tags, networks with names, registry). Only when
// its answer lacks some of these (an older daemon, or a registry that was away) does the CLI ask the registry
// (`lookup` of itself, `network_list`), best effort, so `info` works while the registry is away.
import { tildePath } from "../../config/mod.ts";
import { fingerprint } from "../../crypto/mod.ts";
import type { InfoNetwork, InfoResult, IpcJson } from "../../ipc/mod.ts";
import { fromBase64 } from "../../util/bytes.ts";
import { type DaemonSession, withDaemon } from "../daemon_client.ts";
import { formatClock, formatSize } from "../format.ts";
import type { CommandContext, CommandResult, CommandSpec } from "../spec.ts";
import { connectionRow } from "./connections.ts";
import { peerRow } from "./peers.ts";

/** The registry is asked only briefly: `info` must answer while it is unreachable. */
export const INFO_REGISTRY_TIMEOUT_MS = 2_000;
const LABEL_COLUMNS = 13;
const BACKBONE_NAME = "backbone";

export type NetworkEntry = InfoNetwork;

async function bestEffort<T>(work: () => Promise<T>): Promise<T | null> {
  try {
    return await work();
  } catch {
    return null;
  }
}

async function visibilityAndTags(
  session: DaemonSession,
  info: InfoResult,
): Promise<{ public: boolean | null; tags: string[] }> {
  if (typeof info.public === "boolean" && Array.isArray(info.tags)) {
    return { public: info.public, tags: [...info.tags] };
  }
  const self = await bestEffort(() =>
    session.request("lookup", { target: info.address }, { timeoutMs: INFO_REGISTRY_TIMEOUT_MS })
  );
  return {
    public: typeof info.public === "boolean" ? info.public : typeof self?.public === "boolean" ? self.public : null,
    tags: Array.isArray(info.tags) ? [...info.tags] : Array.isArray(self?.tags) ? (self.tags as string[]) : [],
  };
}

async function networks(session: DaemonSession, info: InfoResult): Promise<NetworkEntry[]> {
  const given = Array.isArray(info.networks) ? info.networks : null;
  if (given !== null && given.every((n) => n.name !== null || n.network_id === 0)) {
    return given.map((n) => n.network_id === 0 && n.name === null ? { ...n, name: BACKBONE_NAME } : n);
  }
  const ids = given !== null
    ? given.map((n) => n.network_id)
    : Object.keys(info.addresses ?? {}).map(Number).filter(Number.isInteger).sort((a, b) => a - b);
  const names = new Map<number, string>([[0, BACKBONE_NAME]]);
  for (const n of given ?? []) if (n.name !== null) names.set(n.network_id, n.name);
  if (ids.some((id) => !names.has(id))) {
    const listed = await bestEffort(() => session.request("network_list", {}, { timeoutMs: INFO_REGISTRY_TIMEOUT_MS }));
    for (const n of (listed?.networks ?? []) as IpcJson[]) {
      if (typeof n.network_id === "number" && typeof n.name === "string") names.set(n.network_id, n.name);
    }
  }
  const addressOf = (id: number) =>
    given?.find((n) => n.network_id === id)?.address ?? info.addresses?.[String(id)] ?? "";
  return ids.map((id) => ({ network_id: id, name: names.get(id) ?? null, address: addressOf(id) }));
}

/** `beacon` may be reported as an address or as an object describing it. */
export function beaconAddress(value: unknown): string | null {
  if (typeof value === "string") return value === "" ? null : value;
  if (typeof value === "object" && value !== null) {
    const obj = value as IpcJson;
    for (const key of ["address", "addr", "server"]) if (typeof obj[key] === "string") return obj[key] as string;
  }
  return null;
}

function line(label: string, value: string | number): string {
  return `  ${(label + ":").padEnd(LABEL_COLUMNS)}${value}`;
}

function networksText(list: readonly NetworkEntry[]): string {
  return list.map((n) =>
    n.network_id === 0
      ? `0 ${n.name ?? BACKBONE_NAME}`
      : `${n.network_id}${n.name === null ? "" : ` ${n.name}`} (${n.address})`
  ).join(", ");
}

export function infoHuman(data: Record<string, unknown>, ctx: CommandContext): string {
  const d = data as {
    node_id: number;
    address: string;
    hostname: string;
    email: string;
    public: boolean | null;
    tags: string[];
    networks: NetworkEntry[];
    public_key: string;
    identity: string;
    uptime_secs: number;
    connections: number;
    ports: number;
    peers: number;
    authenticated_peers: number;
    bytes_sent: number;
    bytes_recv: number;
    pkts_sent: number;
    pkts_recv: number;
  };
  const lines = ["Pilot node", line("Node ID", d.node_id), line("Address", d.address)];
  if (d.hostname !== "") lines.push(line("Hostname", d.hostname));
  if (d.email !== "") lines.push(line("Email", d.email));
  lines.push(line("Visibility", d.public === null ? "unknown" : d.public ? "public" : "private"));
  if (d.tags.length > 0) lines.push(line("Tags", d.tags.join(", ")));
  lines.push(
    line("Networks", networksText(d.networks)),
    line("Uptime", formatClock(d.uptime_secs)),
    line("Connections", d.connections),
    line("Ports", d.ports),
    line("Peers", d.peers),
    line("Encryption", `enabled (X25519 + AES-256-GCM), ${d.authenticated_peers}/${d.peers} peers authenticated`),
    line(
      "Identity",
      `Ed25519 ${fingerprint(fromBase64(d.public_key) ?? new Uint8Array())}... (${tildePath(d.identity, ctx.env)})`,
    ),
    line("Traffic", `${formatSize(d.bytes_sent)} sent / ${formatSize(d.bytes_recv)} recv`),
    line("Packets", `${d.pkts_sent} sent / ${d.pkts_recv} recv`),
  );
  return lines.join("\n");
}

export function runInfo(ctx: CommandContext): Promise<CommandResult> {
  return withDaemon(ctx, async (session) => {
    const info: InfoResult = await session.request("info", {});
    const { public: isPublic, tags } = await visibilityAndTags(session, info);
    const data = {
      node_id: info.node_id,
      address: info.address,
      hostname: info.hostname ?? "",
      email: info.email ?? info.owner ?? "",
      public: isPublic,
      tags,
      networks: await networks(session, info),
      public_key: info.public_key ?? "",
      identity: info.identity ?? "",
      encrypt: true,
      uptime_secs: info.uptime_secs ?? 0,
      connections: info.connections ?? 0,
      ports: info.ports ?? 0,
      peers: info.peers ?? 0,
      encrypted_peers: info.encrypted_peers ?? 0,
      authenticated_peers: info.authenticated_peers ?? 0,
      bytes_sent: info.bytes_sent ?? 0,
      bytes_recv: info.bytes_recv ?? 0,
      pkts_sent: info.pkts_sent ?? 0,
      pkts_recv: info.pkts_recv ?? 0,
      peer_list: (info.peer_list ?? []).map(peerRow),
      conn_list: (info.conn_list ?? []).map(connectionRow),
      registry: typeof info.registry === "string" ? info.registry : session.config.values.registry,
      beacon: beaconAddress(info.beacon),
      socket: session.socket,
      version: session.self.version,
    };
    return { data, human: infoHuman(data, ctx) };
  });
}

export const infoCommand: CommandSpec = {
  name: "info",
  summary: "Show the local node's state",
  description: "The local node: address, hostname, visibility, tags, networks, uptime, peers, connections, " +
    "encryption, identity and traffic counters.",
  args: [],
  flags: [],
  returns: [
    "node_id",
    "address",
    "hostname",
    "email",
    "public",
    "tags",
    "networks",
    "public_key",
    "identity",
    "encrypt",
    "uptime_secs",
    "connections",
    "ports",
    "peers",
    "encrypted_peers",
    "authenticated_peers",
    "bytes_sent",
    "bytes_recv",
    "pkts_sent",
    "pkts_recv",
    "peer_list",
    "conn_list",
    "registry",
    "beacon",
    "socket",
    "version",
  ],
  needsDaemon: true,
  run: runInfo,
};
