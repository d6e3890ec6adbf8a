// Assembling a registered node (ARCHITECTURE §7): with the node id known, build the trust manager, the data plane
// (tunnel, streams, datagrams, ping), the beacon client, the dialer, trust delivery and polling, the built-in
// services (echo 7, trust 444, data exchange 1001, events 1002) with the webhook dispatcher, the metrics endpoint and
// the IPC server, and wire each part's hooks to the others.
// No protocol logic lives here; every function below only connects parts.
import { pilotPaths } from "../config/mod.ts";
import { ed25519Sign, type Identity } from "../crypto/mod.ts";
import { ipcAddress, IpcServer } from "../ipc/mod.ts";
import type { Logger } from "../log/logger.ts";
import type { PacketConn } from "../net/packet_conn.ts";
import type { RegisterOk, RegistryClient } from "../registry/mod.ts";
import { RST_NOT_TRUSTED } from "../transport/mod.ts";
import { TRUST_PORT, type TrustAck, TrustFileStore, TrustManager, type TrustMessage } from "../trust/mod.ts";
import type { TunnelEvent } from "../tunnel/mod.ts";
import type { Clock } from "../util/clock.ts";
import { NotFoundError, toPilotError } from "../util/errors.ts";
import { NETWORK_BACKBONE } from "../wire/mod.ts";
import type { BeaconAddress } from "./beacon_address.ts";
import { BeaconClient } from "./beacon_client.ts";
import { DataPlane } from "./data_plane.ts";
import { Dialer, noPathError } from "./dialer.ts";
import { DropRegistry } from "./drops.ts";
import { Exposer } from "./expose.ts";
import { IpcDatagrams } from "./ipc_datagrams.ts";
import { daemonIpcHandlers } from "./ipc_handlers.ts";
import { infoResult, loadSelfFacts } from "./ipc_info.ts";
import { IpcStreams } from "./ipc_streams.ts";
import { KeyResolver } from "./key_resolver.ts";
import { MetricsServer } from "./metrics.ts";
import { NodeMetrics } from "./metrics_node.ts";
import { PathMonitor } from "./path_monitor.ts";
import { NodeState } from "./node_state.ts";
import { PortTable } from "./port_table.ts";
import type { RegistrySession } from "./registry_session.ts";
import { type NodeServices, startServices } from "./node_services.ts";
import { MemberCache } from "./members.ts";
import { exchangeTrust } from "./services/trust_service.ts";
import type { WebhookDispatcher } from "./services/webhook.ts";
import { connWebhook, SecurityWebhooks, type WebhookEmit } from "./conn_webhooks.ts";
import type { NodeSettings } from "./settings.ts";
import { resolveName } from "./targets.ts";
import { TrustActions } from "./trust_actions.ts";
import { TrustPoller } from "./trust_poller.ts";
import { withDeadline } from "./timing.ts";

/** Budget for reaching a peer's port 444 before the registry relay is used instead (§6.2). */
export const TRUST_DIRECT_PATH_MS = 5_000;
export const TRUST_DIRECT_DIAL_MS = 5_000;

export interface AssembleInput {
  readonly settings: NodeSettings;
  readonly version: string;
  readonly clock: Clock;
  readonly log: Logger;
  readonly identity: Identity;
  readonly first: RegisterOk;
  readonly udp: PacketConn;
  readonly rebind: (port: number) => PacketConn;
  readonly session: RegistrySession;
  readonly beaconAddress: BeaconAddress;
  /** The `shutdown` command. */
  readonly requestStop: () => void;
  /** The `rotate_key` command, run by the node. */
  readonly rotateKey: () => Promise<Record<string, unknown>>;
}

/** Everything a running node owns, in the order it was built. */
export interface NodeParts {
  readonly settings: NodeSettings;
  readonly state: NodeState;
  readonly drops: DropRegistry;
  readonly keys: KeyResolver;
  readonly trust: TrustManager;
  readonly plane: DataPlane;
  readonly beacon: BeaconClient;
  readonly dialer: Dialer;
  readonly paths: PathMonitor;
  readonly actions: TrustActions;
  readonly poller: TrustPoller;
  readonly ports: PortTable;
  readonly services: NodeServices;
  readonly streams: IpcStreams;
  readonly datagrams: IpcDatagrams;
  readonly exposer: Exposer;
  readonly metrics: MetricsServer | null;
  readonly ipc: IpcServer;
}

export async function assembleNode(input: AssembleInput): Promise<NodeParts> {
  const { settings, clock, session, first } = input;
  const log = input.log;
  const registry = () => session.require();
  const state = new NodeState({
    nodeId: first.node_id,
    identity: input.identity,
    startedAtMs: clock.now(),
    hostname: first.hostname ?? "",
    email: settings.email,
    public: first.public,
    networks: first.networks,
  });
  if (first.hostname_error !== undefined) state.addWarning(hostnameWarning(settings.hostname, first.hostname_error));
  const undo: (() => Promise<void>)[] = [];
  try {
    const drops = new DropRegistry();
    // Read at scrape time only, when every part exists.
    const meters = new NodeMetrics({
      tunnel: () => plane.tunnel,
      connections: () => plane.stack.connections(),
      drops: () => drops.snapshot(),
      registryConnected: () => session.connected,
      beaconReachable: () => late.beacon?.status().reachable ?? false,
      webhooks: () => late.webhooks?.stats() ?? null,
    });
    const keys = new KeyResolver({ registry, clock, log: log.child("keys") });
    const trust = await TrustManager.open({
      selfId: state.nodeId,
      signer: { sign: (message) => ed25519Sign(state.identity.seed, message) },
      store: new TrustFileStore(settings.trustPath),
      keys: keys.trustSource,
      clock,
      policy: settings.trustAutoApprove,
      sharesNetwork: async (peer) => {
        const shared = (await registry().lookup(peer)).shared_networks ?? [];
        return shared.find((n) => n !== NETWORK_BACKBONE && state.isMember(n)) ?? null;
      },
    });
    const isTrusted = (node: number) => trust.isTrusted(node);
    // The parts below call each other; each hook runs only after all of them exist.
    const late: { beacon?: BeaconClient; dialer?: Dialer; webhooks?: WebhookDispatcher } = {};
    const emitWebhook: WebhookEmit = (event, data) => late.webhooks?.emit(event, data);
    const security = new SecurityWebhooks(emitWebhook, clock);
    const plane = new DataPlane({
      nodeId: state.nodeId,
      identity: input.identity,
      conn: input.udp,
      rebind: input.rebind,
      keyResolver: (node, hint) => keys.tunnelKeys(node, trust, hint),
      pinnedKey: (node) => trust.pinnedKey(node),
      beaconAddress: () => input.beaconAddress.current(),
      onBeaconMessage: (bytes) => late.beacon?.handle(bytes),
      sendViaRelay: (dst, inner) => late.beacon?.relay(dst, inner),
      isMember: (network) => state.isMember(network),
      isTrusted,
      needPath: (peer) => late.dialer?.background(peer),
      onTunnelEvent: (e) => {
        // A peer that said BYE may return with a rotated key: its next handshake asks the registry afresh.
        if (e.type === "keys_wiped" && e.reason === "bye") keys.forget(e.peer);
        late.dialer?.onTunnelEvent(e);
        if (late.webhooks !== undefined) tunnelWebhook(late.webhooks, e);
        meters.tunnelEvent(e);
      },
      onConnClosed: (sc) => meters.connectionClosed(sc.stats()),
      onConnEvent: (event, sc) => {
        if (late.webhooks !== undefined) connWebhook(emitWebhook, event, sc);
      },
      onSecurity: (event, peer) => security.report(event, peer),
      drops,
      clock,
      log,
    });
    undo.push(() => plane.close());
    const beacon = late.beacon = new BeaconClient({
      nodeId: state.nodeId,
      identity: () => state.identity,
      address: settings.beacon,
      send: (bytes) => plane.tunnel.sendBeaconMessage(bytes),
      sendPunchProbe: (endpoint, punchId) => plane.tunnel.sendPunchProbe(endpoint, punchId),
      onRelayDeliver: (src, inner) => plane.tunnel.receiveRelayed(src, inner),
      onPunched: (peer, endpoint) => late.dialer?.onPunched(peer, endpoint),
      drops,
      clock,
      log: log.child("beacon"),
    });
    const dialer = late.dialer = new Dialer({
      nodeId: state.nodeId,
      tunnel: () => plane.tunnel,
      hasSession: (peer) => plane.hasSession(peer),
      registry,
      onLookup: (node, hostname) => state.rememberHostname(node, hostname),
      prefetchKeys: (node) => keys.prefetch(node),
      clock,
      log: log.child("dialer"),
    });
    // After silence on a path (a NAT rebinding?) the beacon learns our current address at once, not at the next DISCOVER.
    const paths = new PathMonitor(() => plane.tunnel, clock, log.child("paths"), () => beacon.refresh());
    undo.push(() => dialer.close(), () => beacon.close(), () => paths.close());
    const sendDirect = async (peer: number, message: TrustMessage): Promise<TrustAck> => {
      if (!plane.hasSession(peer) && !(await dialer.hasCandidates(peer))) throw noPathError(peer);
      await dialer.ensurePath(peer, TRUST_DIRECT_PATH_MS);
      const conn = await plane.stack.dial({ network: NETWORK_BACKBONE, node: peer }, TRUST_PORT, {
        timeoutMs: TRUST_DIRECT_DIAL_MS,
      });
      return (await exchangeTrust(conn, [message]))[0];
    };
    const actions = new TrustActions({
      registry,
      sendDirect,
      closeConnections: (peer) => {
        for (const sc of plane.connectionsWith(peer)) sc.abort(RST_NOT_TRUSTED);
      },
      forgetKey: (peer) => keys.forget(peer),
      webhook: (event, data) => late.webhooks?.emit(event, data),
      drops,
      log: log.child("trust"),
      view: trust,
      clock,
    });
    const poller = new TrustPoller({ trust, registry, actions, drops, clock, log: log.child("trust") });
    const ports = new PortTable();
    const members = new MemberCache(registry, clock, log.child("members"));
    const services = await startServices({
      settings,
      state,
      stack: plane.stack,
      trust,
      performTrust: (a) => actions.background(a),
      members,
      hostname: hostnameLookup(state, registry, clock),
      ports,
      drops,
      clock,
      log,
    });
    undo.push(() => services.close());
    late.webhooks = services.webhooks;
    const metrics = settings.metrics === "" ? null : MetricsServer.start(settings.metrics, () => meters.render(), log);
    if (metrics !== null) undo.push(() => metrics.close());
    const resolve = (name: unknown) =>
      resolveName({ selfNode: state.nodeId, selfHostname: () => state.hostname, registry }, name);
    const streams = new IpcStreams({ plane, dialer, state, ports, isTrusted, resolve, log: log.child("ipc") });
    const datagrams = new IpcDatagrams({
      plane,
      state,
      ports,
      isTrusted,
      members,
      drops,
      webhook: (event, data) => services.webhooks.emit(event, data),
    });
    const exposer = new Exposer({
      listen: (port, backlog) => plane.stack.listen(port, backlog),
      ports,
      isTrusted,
      log: log.child("expose"),
    });
    undo.push(() => exposer.close());
    const handlers = daemonIpcHandlers({
      streams,
      datagrams,
      expose: exposer,
      trust: {
        trust,
        actions,
        state,
        onRequestSent: () => poller.trigger(),
        checkKnown: async (peer) => {
          try {
            await registry().getKeys(peer);
          } catch (err) {
            const e = toPilotError(err);
            if (e.code === "not_found") throw new NotFoundError(`node ${peer} not found`, { detail: "node" });
            throw e;
          }
        },
        lookupHostname: async (node) => {
          const lookup = registry().lookup(node);
          const record = await withDeadline(lookup, HOSTNAME_LOOKUP_MS, () => new Error("lookup timed out"));
          return record.hostname ?? "";
        },
        clock,
      },
      directory: { session, state, resolve, rotateKey: input.rotateKey },
      ping: {
        ping: (dst, payload, timeoutMs) => plane.ping.ping(dst, payload, timeoutMs),
        ensurePath: (peer, timeoutMs) => dialer.ensurePath(peer, timeoutMs),
        isTrusted,
        isMember: (network) => state.isMember(network),
        resolve,
        monotonic: () => clock.monotonic(),
      },
      config: { settings, webhooks: services.webhooks },
      hello: () => ({ daemon_version: input.version, node_id: state.nodeId, address: state.address }),
      info: () =>
        infoResult({
          state,
          settings,
          plane,
          beacon,
          ports,
          drops,
          isTrusted,
          metricsUrl: () => metrics?.url ?? null,
          now: () => clock.now(),
        }),
      shutdown: input.requestStop,
    });
    // Tags and network names for `info`; the registry may have gone away again since we registered.
    await Promise.resolve().then(() => loadSelfFacts(state, session.require(), log.child("registry"))).catch(() => {});
    const ipc = await IpcServer.start({
      address: ipcAddress(settings.socketPath, pilotPaths(settings.home).ipcToken),
      handlers,
      logger: log.child("ipc"),
    });
    beacon.start();
    poller.start();
    paths.start();
    return {
      settings,
      state,
      drops,
      keys,
      trust,
      plane,
      beacon,
      dialer,
      paths,
      actions,
      poller,
      ports,
      services,
      streams,
      datagrams,
      exposer,
      metrics,
      ipc,
    };
  } catch (err) {
    for (const close of undo.reverse()) await close().catch(() => {});
    throw err;
  }
}

/** How long a service connection waits at most for the peer's hostname. */
const HOSTNAME_LOOKUP_MS = 1_000;
const HOSTNAME_MISSES_MAX = 4096;

/** A peer that showed no hostname is not asked again for this long. */
const HOSTNAME_RETRY_MS = 60_000;

/** The peer's hostname from the cache, else one bounded registry lookup (remembered); "" when not visible. */
function hostnameLookup(state: NodeState, registry: () => RegistryClient, clock: Clock) {
  const missed = new Map<number, number>();
  return async (node: number): Promise<string> => {
    const known = state.peerHostname(node);
    const now = clock.monotonic();
    if (known !== "" || node === state.nodeId || now - (missed.get(node) ?? -Infinity) < HOSTNAME_RETRY_MS) {
      return known;
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      const record = await Promise.race([
        registry().lookup(node),
        new Promise<null>((resolve) => timer = setTimeout(() => resolve(null), HOSTNAME_LOOKUP_MS)),
      ]);
      state.rememberHostname(node, record?.hostname);
      if (record?.hostname) return record.hostname;
    } catch {
      // not visible to us: shown without a hostname
    } finally {
      clearTimeout(timer);
    }
    if (missed.size >= HOSTNAME_MISSES_MAX) missed.delete(missed.keys().next().value!);
    missed.set(node, now);
    return "";
  };
}

/** §9.5 tunnel events: `tunnel.established`, `tunnel.relay_activated`, `tunnel.direct_restored`. */
function tunnelWebhook(webhooks: WebhookDispatcher, e: TunnelEvent): void {
  if (e.type === "established") {
    webhooks.emit("tunnel.established", { peer_node_id: e.peer, path: e.path, rekeyed: e.rekeyed });
  } else if (e.type === "path_changed") {
    webhooks.emit(e.path === "relay" ? "tunnel.relay_activated" : "tunnel.direct_restored", { peer_node_id: e.peer });
  }
}

/** `hostname "bob" is taken` (CLI.md §3.1), or the registry's reason for another refusal. */
export function hostnameWarning(wanted: string, registryText: string): string {
  return registryText.includes("taken") && wanted !== "" ? `hostname "${wanted}" is taken` : registryText;
}
