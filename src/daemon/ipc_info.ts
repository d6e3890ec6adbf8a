// The IPC `info` answer (PROTOCOL-BRIEF §8.3; CLI.md §3.3): node, identity, tunnel peers (`peer_list`) and stream
// connections (`conn_list`, states as §7.2) with their counters, the beacon's state, plus what this daemon knows of
// itself that saves the CLI a registry round trip (email, visibility, tags, networks with names, registry address)
// and the `daemon start` ready data (pid, listen, socket, log file, warnings) and the drop counters. The registry's
// view of us is read once at start (loadSelfFacts) and then kept by the commands that change it; `info` itself never
// asks the registry.
import type { Logger } from "../log/logger.ts";
import type { IpcResult } from "../ipc/mod.ts";
import type { RegistryClient } from "../registry/mod.ts";
import { toBase64 } from "../util/bytes.ts";
import { toPilotError } from "../util/errors.ts";
import type { BeaconClient } from "./beacon_client.ts";
import type { DataPlane } from "./data_plane.ts";
import type { DropRegistry } from "./drops.ts";
import type { NodeState } from "./node_state.ts";
import type { PortTable } from "./port_table.ts";
import type { NodeSettings } from "./settings.ts";
import { backbone } from "./targets.ts";
import { formatAddr } from "../wire/mod.ts";

export interface InfoDeps {
  readonly state: NodeState;
  readonly settings: NodeSettings;
  readonly plane: DataPlane;
  readonly beacon: BeaconClient;
  readonly ports: PortTable;
  readonly drops: DropRegistry;
  readonly isTrusted: (node: number) => boolean;
  /** `http://host:port/metrics`, or null. */
  readonly metricsUrl: () => string | null;
  readonly now: () => number;
}

/** `host:port` of the bound UDP socket. */
export function listenText(plane: DataPlane): string {
  const a = plane.localAddr;
  return a.hostname.includes(":") ? `[${a.hostname}]:${a.port}` : `${a.hostname}:${a.port}`;
}

export function infoResult(d: InfoDeps): IpcResult {
  const { state, plane } = d;
  const tunnelPeers = plane.tunnel.peers();
  let bytesSent = 0, bytesRecv = 0, pktsSent = 0, pktsRecv = 0;
  const peerList = tunnelPeers.map((p) => {
    bytesSent += p.bytes_sent;
    bytesRecv += p.bytes_recv;
    pktsSent += p.pkts_sent;
    pktsRecv += p.pkts_recv;
    return {
      node_id: p.node_id,
      address: backbone(p.node_id),
      hostname: state.peerHostname(p.node_id),
      endpoint: p.endpoint ?? "",
      path: p.path ?? "direct",
      encrypted: p.encrypted,
      authenticated: p.authenticated,
      trusted: d.isTrusted(p.node_id),
      last_seen_ms: p.last_seen_ms,
    };
  });
  const connList = plane.stack.connections().map((sc) => {
    const c = sc.conn;
    return {
      id: sc.id,
      local_port: c.local.port,
      remote_addr: formatAddr(c.remote.addr),
      remote_port: c.remote.port,
      ...sc.stats(),
    };
  });
  const out: IpcResult = {
    node_id: state.nodeId,
    address: state.address,
    addresses: state.addresses(),
    hostname: state.hostname,
    owner: state.email,
    email: state.email,
    public_key: toBase64(state.identity.publicKey),
    uptime_secs: Math.max(0, Math.floor((d.now() - state.startedAtMs) / 1000)),
    encrypt: true,
    identity: d.settings.identityPath,
    peers: peerList.length,
    encrypted_peers: peerList.filter((p) => p.encrypted).length,
    authenticated_peers: peerList.filter((p) => p.authenticated).length,
    connections: connList.length,
    ports: d.ports.count,
    bytes_sent: bytesSent,
    bytes_recv: bytesRecv,
    pkts_sent: pktsSent,
    pkts_recv: pktsRecv,
    beacon: { ...d.beacon.status() },
    peer_list: peerList,
    conn_list: connList,
    registry: d.settings.registry,
    registered: state.registered,
    pid: Deno.pid,
    socket: d.settings.socketPath,
    listen: listenText(plane),
    metrics: d.metricsUrl(),
    log_file: d.settings.logFile,
    warnings: [...state.warnings],
    drops: d.drops.snapshot(),
  };
  if (state.public !== null) out.public = state.public;
  if (state.tags !== null) out.tags = [...state.tags];
  out.networks = state.networks().map((id) => ({
    network_id: id,
    name: state.networkName(id),
    address: formatAddr(state.addr(id)),
  }));
  return out;
}

/** How long start-up waits for the registry's view of us; without it `info` leaves the CLI to ask. */
export const SELF_FACTS_TIMEOUT_MS = 2_000;

/**
 * Reads what `register_ok` does not carry: our tags (a `lookup` of ourselves) and the names of our networks
 * (`network_list`). Best effort and bounded: a slow or failing registry leaves them unknown.
 */
export async function loadSelfFacts(state: NodeState, registry: RegistryClient, log: Logger): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const work = Promise.allSettled([
    registry.lookup(state.nodeId).then((self) => {
      state.setTags(Array.isArray(self.tags) ? self.tags : []);
      if (typeof self.public === "boolean") state.setPublic(self.public);
    }),
    registry.networkList().then((list) => {
      for (const n of list) if (n.member) state.setNetworkName(n.network_id, n.name);
    }),
  ]);
  const timeout = new Promise<"timeout">((resolve) =>
    timer = setTimeout(() => resolve("timeout"), SELF_FACTS_TIMEOUT_MS)
  );
  try {
    const outcome = await Promise.race([work, timeout]);
    if (outcome === "timeout") {
      log.debug("the registry's view of this node is not known yet");
      return;
    }
    for (const r of outcome) {
      if (r.status === "rejected") {
        log.debug("cannot read this node's record", { error: toPilotError(r.reason).message });
      }
    }
  } finally {
    clearTimeout(timer);
  }
}
