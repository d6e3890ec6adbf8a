// The node daemon's composition root (ARCHITECTURE §7; CLI.md §3.1 `daemon run`): load or create the identity (a
// corrupt file is reported, never replaced), refuse a corrupt trust.json or a socket a live daemon answers on, write
// the pid file, bind the one UDP socket, register with the registry (retrying with backoff until it works), then
// assemble the running parts. close() shuts down in order: IPC clients, streams (FIN), services, the registry
// (`deregister`: offline only, id / hostname / tags kept), the tunnel (BYE to peers), the socket and the pid file.
import { loadOrCreateIdentity } from "../crypto/mod.ts";
import { defaultIpcTransport, inspectSocketPath, validateSocketPath } from "../ipc/mod.ts";
import type { Logger } from "../log/logger.ts";
import type { NetAddr, PacketConn } from "../net/packet_conn.ts";
import type { RegisterArgs, RegisterOk } from "../registry/mod.ts";
import { TrustFileStore } from "../trust/mod.ts";
import { type Clock, systemClock } from "../util/clock.ts";
import { AlreadyExistsError, InternalError, type PilotError } from "../util/errors.ts";
import { BeaconAddress } from "./beacon_address.ts";
import { listenText } from "./ipc_info.ts";
import { assembleNode, hostnameWarning, type NodeParts } from "./node_parts.ts";
import { claimPidFile, releasePidFile } from "./pidfile.ts";
import { RegistrySession } from "./registry_session.ts";
import { KeyRotator } from "./rotate_key.ts";
import type { NodeSettings } from "./settings.ts";
import { bindUdp, lanAddrs } from "./udp_bind.ts";

/** How long shutdown waits for the peers to acknowledge our FINs before resetting what is left. */
export const SHUTDOWN_FIN_WAIT_MS = 2_000;
/** How long shutdown lets queued webhook deliveries (`node.deregistered`) go out. */
const WEBHOOK_FLUSH_MS = 2_000;
const LAN_ADDRS_MAX = 4;

export interface NodeDeps {
  readonly log: Logger;
  /** `daemon_version` in `hello`. */
  readonly version: string;
  readonly clock?: Clock;
  /** Aborting ends a start that still waits for the registry: startNode() rejects with StartAbortedError. */
  readonly signal?: AbortSignal;
  /** Wraps the bound UDP socket (tests put a filtering network in between); used as is when absent. */
  readonly wrapSocket?: (conn: PacketConn) => PacketConn;
}

/** startNode() was aborted (a signal during start-up) before the node was registered. */
export class StartAbortedError extends Error {
  constructor() {
    super("start-up aborted");
    this.name = "StartAbortedError";
  }
}

/** The ready data of `daemon run` / `daemon start` (CLI.md §3.1). */
export interface DaemonReadyData {
  readonly pid: number;
  readonly node_id: number;
  readonly address: string;
  readonly hostname: string;
  readonly socket: string;
  readonly listen: string;
  readonly metrics: string | null;
  readonly log_file: string | null;
  readonly warnings: readonly string[];
  readonly [key: string]: unknown;
}

export async function startNode(settings: NodeSettings, deps: NodeDeps): Promise<Node> {
  const clock = deps.clock ?? systemClock;
  const log = deps.log;
  const undo: (() => Promise<void>)[] = [];
  try {
    const { identity, created } = await loadOrCreateIdentity(settings.identityPath, clock);
    if (created) log.info("created a new identity", { path: settings.identityPath });
    // A trust store we cannot read stops us here, before anything is bound or announced.
    await new TrustFileStore(settings.trustPath).load();
    await checkSocketFree(settings.socketPath);
    const pidFile = settings.pidFile;
    if (pidFile !== null) {
      await claimPidFile(pidFile);
      undo.push(() => releasePidFile(pidFile));
    }
    const wrap = deps.wrapSocket ?? ((conn: PacketConn) => conn);
    const udp = wrap(bindUdp(settings.listen));
    undo.push(() => udp.close());
    const caCerts = await readCaBundle(settings.registryCa);
    const beaconAddress = new BeaconAddress(settings.beacon, log.child("beacon"));
    await beaconAddress.start();
    undo.push(() => beaconAddress.close());
    const holder: { node?: Node } = {};
    const session = new RegistrySession({
      address: settings.registry,
      caCerts,
      identity: () => holder.node?.parts.state.identity ?? identity,
      registerArgs: () => registerArgs(settings, holder.node?.parts ?? null, holder.node?.listenAddr ?? udp.localAddr),
      log: log.child("registry"),
      onRegistered: (ok) => holder.node?.onRegistered(ok),
      onInbox: () => holder.node?.onInbox(),
    });
    undo.push(() => session.close());
    log.info("registering", { registry: settings.registry, listen: `${udp.localAddr.hostname}:${udp.localAddr.port}` });
    const first = await untilAborted(session.registered(), deps.signal);
    log.info("registered", { node: first.node_id, address: first.address });
    const stop = new StopSignal();
    const rotator = new KeyRotator(session, clock, log.child("identity"));
    const parts = await assembleNode({
      settings,
      version: deps.version,
      clock,
      log,
      identity,
      first,
      udp,
      rebind: (port) => wrap(bindUdp(settings.listen, port)),
      session,
      beaconAddress,
      requestStop: () => stop.stop(null),
      rotateKey: () => rotator.rotate(parts),
    });
    const node = new Node(parts, session, beaconAddress, stop, log);
    holder.node = node;
    parts.services.webhooks.emit("node.registered", { address: first.address });
    return node;
  } catch (err) {
    for (const close of undo.reverse()) await close().catch(() => {});
    throw err;
  }
}

/** Resolves once the node should stop: the `shutdown` command (null) or a fatal condition (its error). */
class StopSignal {
  readonly requested: Promise<PilotError | null>;
  #resolve!: (reason: PilotError | null) => void;
  constructor() {
    this.requested = new Promise((resolve) => this.#resolve = resolve);
  }
  stop(reason: PilotError | null): void {
    this.#resolve(reason);
  }
}

export class Node implements AsyncDisposable {
  readonly parts: NodeParts;
  readonly #session: RegistrySession;
  readonly #beaconAddress: BeaconAddress;
  readonly #stop: StopSignal;
  readonly #log: Logger;
  #closing: Promise<void> | null = null;

  /** @internal built by startNode() */
  constructor(parts: NodeParts, session: RegistrySession, beaconAddress: BeaconAddress, stop: StopSignal, log: Logger) {
    this.parts = parts;
    this.#session = session;
    this.#beaconAddress = beaconAddress;
    this.#stop = stop;
    this.#log = log;
  }

  get nodeId(): number {
    return this.parts.state.nodeId;
  }

  get address(): string {
    return this.parts.state.address;
  }

  get socketPath(): string {
    return this.parts.settings.socketPath;
  }

  /** The bound UDP address. */
  get listenAddr(): NetAddr {
    return this.parts.plane.localAddr;
  }

  /** Resolves when the node asks to be stopped: `shutdown` over IPC (null) or a fatal error. */
  get stopRequested(): Promise<PilotError | null> {
    return this.#stop.requested;
  }

  /** Drop counters by reason (`pilot_drops_total`). */
  drops(): Record<string, number> {
    return this.parts.drops.snapshot();
  }

  readyData(): DaemonReadyData {
    const { state, settings, metrics } = this.parts;
    return {
      pid: Deno.pid,
      node_id: state.nodeId,
      address: state.address,
      hostname: state.hostname,
      socket: settings.socketPath,
      listen: listenText(this.parts.plane),
      metrics: metrics?.url ?? null,
      log_file: settings.logFile,
      warnings: [...state.warnings],
    };
  }

  /** @internal Every registration after the first (reconnects, `register`). */
  onRegistered(ok: RegisterOk): void {
    const { state, beacon, actions, poller } = this.parts;
    if (ok.node_id !== state.nodeId) {
      const err = new InternalError(
        `the registry assigned node id ${ok.node_id} but this daemon runs as ${state.nodeId}; restart the daemon`,
      );
      this.#log.error("registry assigned a different node id", { expected: state.nodeId, got: ok.node_id });
      this.#stop.stop(err);
      return;
    }
    state.setRegistered(true);
    state.setNetworks(ok.networks ?? []);
    state.setHostname(ok.hostname ?? "");
    state.setPublic(ok.public);
    if (ok.hostname_error !== undefined) {
      this.#log.warn("hostname not claimed", { reason: ok.hostname_error });
      state.addWarning(hostnameWarning(this.parts.settings.hostname, ok.hostname_error));
    }
    this.parts.services.webhooks.emit("node.reregistered", { address: state.address });
    beacon.refresh();
    actions.retryEdges();
    poller.trigger();
  }

  /** @internal A `notify` push or a heartbeat. */
  onInbox(): void {
    this.parts.poller.trigger();
    this.parts.actions.retryEdges();
  }

  close(): Promise<void> {
    this.#closing ??= this.#shutdown();
    return this.#closing;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #shutdown(): Promise<void> {
    const p = this.parts;
    const log = this.#log;
    log.info("shutting down");
    await step(log, "ipc", () => p.ipc.close());
    await step(log, "streams", () => finAll(p));
    await step(log, "ipc ports", async () => {
      await p.streams.closeAll();
      p.datagrams.closeAll();
    });
    await step(log, "exposed ports", () => p.exposer.close());
    await step(log, "services", async () => {
      await Promise.all(p.services.hosts.map((h) => h.close()));
      await p.services.broker.close();
    });
    await step(log, "trust", async () => {
      await p.poller.close();
      await p.actions.close();
    });
    await step(log, "paths", () => p.paths.close());
    const dialerClosed = p.dialer.close();
    // The tunnel's BYE goes out before the registry deregisters us: deregistering makes the beacon forget us, and
    // a BYE to a relayed peer would then be dropped as spoofed.
    await step(log, "tunnel", () => p.plane.close());
    await step(log, "beacon", () => p.beacon.close());
    await step(log, "registry", () => this.#session.close({ deregister: true }));
    p.services.webhooks.emit("node.deregistered", { address: p.state.address });
    await step(log, "dialer", () => dialerClosed);
    await step(log, "metrics", () => p.metrics?.close() ?? Promise.resolve());
    await step(log, "webhooks", async () => {
      await bounded(p.services.webhooks.idle(), WEBHOOK_FLUSH_MS);
      await p.services.webhooks.close();
    });
    await step(log, "beacon address", () => this.#beaconAddress.close());
    const pidFile = p.settings.pidFile;
    if (pidFile !== null) await releasePidFile(pidFile);
    log.info("stopped");
  }
}

/** FIN on every connection after its queued data; waits (bounded) for the acknowledgements. */
async function finAll(p: NodeParts): Promise<void> {
  const fins = p.plane.stack.connections().map((sc) => sc.closeWrite().catch(() => {}));
  if (fins.length > 0) await bounded(Promise.all(fins).then(() => {}), SHUTDOWN_FIN_WAIT_MS);
}

/** `promise`, or nothing after `ms`. */
async function bounded(promise: Promise<void>, ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([promise, new Promise<void>((resolve) => timer = setTimeout(resolve, ms))]);
  clearTimeout(timer);
}

async function step(log: Logger, what: string, fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (err) {
    log.warn(`shutdown: ${what} failed`, { error: err instanceof Error ? err.message : String(err) });
  }
}

/** What each registration announces (§4.4 `register`): port, endpoints, owner, hostname, visibility. */
function registerArgs(settings: NodeSettings, parts: NodeParts | null, bound: NetAddr): RegisterArgs {
  const hostname = parts?.state.hostname ?? settings.hostname;
  const args: RegisterArgs = {
    listenPort: bound.port,
    lanAddrs: lanAddrs(bound, settings.lanAddrs, LAN_ADDRS_MAX),
    public: parts?.state.public ?? settings.public,
  };
  if (settings.endpoint !== "") args.endpoint = settings.endpoint;
  if (settings.email !== "") args.owner = settings.email;
  if (hostname !== "") args.hostname = hostname;
  return args;
}

/** §8.1: a daemon answering on the socket path means one is already running; checked before anything starts. */
async function checkSocketFree(path: string): Promise<void> {
  if (defaultIpcTransport() !== "unix") return;
  validateSocketPath(path);
  if (await inspectSocketPath(path) !== "ours") return;
  try {
    const conn = await Deno.connect({ transport: "unix", path });
    conn.close();
  } catch {
    return; // a dead socket file: the IPC server removes it
  }
  throw new AlreadyExistsError(`daemon is already running (socket ${path})`, {
    hint: "pilotctl daemon stop",
    detail: "daemon_running",
  });
}

async function readCaBundle(path: string): Promise<string[] | undefined> {
  if (path === "") return undefined;
  try {
    return [await Deno.readTextFile(path)];
  } catch (err) {
    throw new InternalError(`cannot read registry CA bundle ${path}: ${err instanceof Error ? err.message : err}`);
  }
}

/** `promise`, unless `signal` aborts first (then StartAbortedError). */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return promise;
  if (signal.aborted) return Promise.reject(new StartAbortedError());
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(new StartAbortedError());
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}
