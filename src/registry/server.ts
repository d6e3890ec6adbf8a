// The registry process (CLI.md §3.2, PROTOCOL-BRIEF §4–§5): composes the store, the TCP/TLS server, the beacon and
// the HTTP side-doors; runs the maintenance loop (replay-cache batches ≤ 1 s, pruning, punch-job polling); and
// produces the ready-block data. close() stops everything and flushes the store.
import { Logger } from "../log/logger.ts";
import { randomBytes, toHex } from "../util/bytes.ts";
import { type Clock, systemClock } from "../util/clock.ts";
import { AlreadyExistsError, InvalidArgumentError, PilotError } from "../util/errors.ts";
import { ReplayCache } from "./auth.ts";
import { Beacon } from "./beacon.ts";
import { UdpBeaconSocket } from "./beacon_udp.ts";
import { IDLE_TIMEOUT_MS } from "./connection.ts";
import { Liveness, NodeSessions, ONLINE_EXPIRY_MS, RateLimiter, type RegistryContext } from "./context.ts";
import type { Dispatcher } from "./dispatch.ts";
import { serveDashboard } from "./dashboard.ts";
import { type HttpEndpoint, type HttpSource, serveMetrics } from "./http.ts";
import { DEFAULT_LIMITS, type RegistryLimits } from "./limits.ts";
import { type HostPort, parseHostPort } from "./listen.ts";
import { Maintenance } from "./maintenance.ts";
import { RegistryMetrics } from "./metrics.ts";
import { EagerReplayCache } from "./multi_instance_replay.ts";
import type { RegistryStore, StoreSubscription } from "./store.ts";
import { openSqliteStore } from "./store_sqlite.ts";
import { RegistryTcpServer } from "./tcp_server.ts";

export interface RegistryOptions {
  /** Registry TCP address, e.g. `:9000`, `127.0.0.1:0`, `[::1]:9000`. */
  readonly listen: string;
  /** Beacon UDP address, or null for `--beacon-listen off`. */
  readonly beaconListen: string | null;
  /** A SQLite path or `:memory:`, or an already opened store (PostgreSQL). */
  readonly store: string | RegistryStore;
  readonly tlsCertFile?: string;
  readonly tlsKeyFile?: string;
  readonly limits?: RegistryLimits;
  readonly metricsListen?: string | null;
  readonly dashboardListen?: string | null;
  readonly logger?: Logger;
  readonly clock?: Clock;
  /** Idle connection timeout (default 5 min); tests shorten it. */
  readonly idleTimeoutMs?: number;
  /** Beacon challenge key; random when omitted. */
  readonly beaconSecret?: Uint8Array;
}

/** The `data` of the ready block (CLI.md §3.2). */
export interface RegistryReadyData {
  readonly pid: number;
  readonly registry: string;
  readonly beacon: string | null;
  readonly store: string;
  readonly metrics: string | null;
  readonly dashboard: string | null;
}

export interface RegistryHandle extends AsyncDisposable {
  readonly registryAddr: Deno.NetAddr;
  readonly beaconAddr: Deno.NetAddr | null;
  readonly tls: boolean;
  readonly store: RegistryStore;
  readonly metrics: RegistryMetrics;
  /** The in-process beacon (tests inspect registrations); null when off. */
  readonly beacon: Beacon | null;
  readyData(): RegistryReadyData;
  close(): Promise<void>;
}

function hostPortText(addr: Deno.NetAddr): string {
  return addr.hostname.includes(":") ? `[${addr.hostname}]:${addr.port}` : `${addr.hostname}:${addr.port}`;
}

/** The human ready block of CLI.md §3.2. */
export function formatReadyBlock(data: RegistryReadyData, tls = false): string {
  const lines = [
    `Registry running (pid ${data.pid})`,
    `  Registry:  ${data.registry} (${tls ? "tls" : "tcp"})`,
    `  Beacon:    ${data.beacon === null ? "off" : `${data.beacon} (udp)`}`,
    `  Store:     ${data.store}`,
  ];
  if (data.metrics !== null) lines.push(`  Metrics:   ${data.metrics}`);
  if (data.dashboard !== null) lines.push(`  Dashboard: ${data.dashboard}`);
  return lines.join("\n") + "\n";
}

function inUse(what: string, hp: HostPort, err: unknown): PilotError {
  if (err instanceof Deno.errors.AddrInUse) {
    return new AlreadyExistsError(`cannot listen on ${hp.text} (${what}): address already in use`, {
      detail: "port_bound",
    });
  }
  if (err instanceof PilotError) return err;
  return new InvalidArgumentError(
    `cannot listen on ${hp.text} (${what}): ${err instanceof Error ? err.message : String(err)}`,
  );
}

async function readPem(path: string, what: string): Promise<string> {
  try {
    return await Deno.readTextFile(path);
  } catch (err) {
    throw new InvalidArgumentError(`cannot read ${what} ${path}: ${err instanceof Error ? err.message : err}`);
  }
}

async function openListener(hp: HostPort, opts: RegistryOptions): Promise<Deno.Listener> {
  if (opts.tlsCertFile === undefined && opts.tlsKeyFile === undefined) {
    return Deno.listen({ hostname: hp.hostname, port: hp.port, transport: "tcp" });
  }
  if (opts.tlsCertFile === undefined || opts.tlsKeyFile === undefined) {
    throw new InvalidArgumentError("--tls-cert and --tls-key must be given together");
  }
  const cert = await readPem(opts.tlsCertFile, "certificate");
  const key = await readPem(opts.tlsKeyFile, "private key");
  try {
    return Deno.listenTls({ hostname: hp.hostname, port: hp.port, cert, key }) as unknown as Deno.Listener;
  } catch (err) {
    if (err instanceof Deno.errors.AddrInUse) throw err;
    throw new InvalidArgumentError(
      `cannot use certificate ${opts.tlsCertFile}: ${err instanceof Error ? err.message : err}`,
    );
  }
}

/** Starts registry, beacon and side-doors; any failure undoes what was started and is thrown as a PilotError. */
export async function startRegistry(opts: RegistryOptions): Promise<RegistryHandle> {
  const clock = opts.clock ?? systemClock;
  const log = (opts.logger ?? new Logger()).child("registry");
  const limits = opts.limits ?? DEFAULT_LIMITS;
  const listenHp = parseHostPort(opts.listen, "--listen");
  const beaconHp = opts.beaconListen === null ? null : parseHostPort(opts.beaconListen, "--beacon-listen");
  const metricsHp = opts.metricsListen ? parseHostPort(opts.metricsListen, "--metrics") : null;
  const dashboardHp = opts.dashboardListen ? parseHostPort(opts.dashboardListen, "--dashboard") : null;

  const cleanups: (() => Promise<void> | void)[] = [];
  const undo = async () => {
    for (const c of cleanups.reverse()) await Promise.resolve(c()).catch(() => {});
  };
  try {
    const store = typeof opts.store === "string" ? await openSqliteStore(opts.store) : opts.store;
    cleanups.push(() => store.close());
    const startedAtMs = clock.now();
    // A store shared with other instances gets each nonce at once, so they can reject its replay (§4.2).
    const eagerReplay = store.subscribe === undefined ? null : new EagerReplayCache(store, log.child("replay"));
    const replay = eagerReplay ?? new ReplayCache();
    replay.load(await store.read((tx) => tx.loadReplayEntries(startedAtMs)));
    const metrics = new RegistryMetrics();

    let listener: Deno.Listener;
    try {
      listener = await openListener(listenHp, opts);
    } catch (err) {
      throw inUse("registry", listenHp, err);
    }
    cleanups.push(() => listener.close());

    let beacon: Beacon | null = null;
    let udp: UdpBeaconSocket | null = null;
    if (beaconHp !== null) {
      try {
        udp = UdpBeaconSocket.bind(beaconHp.hostname, beaconHp.port, log.child("beacon"));
      } catch (err) {
        throw inUse("beacon", beaconHp, err);
      }
      const socket = udp;
      cleanups.push(() => socket.close());
      beacon = new Beacon(udp, {
        store,
        clock,
        log: log.child("beacon"),
        metrics,
        limits,
        secret: opts.beaconSecret,
      });
    }

    const ctx: RegistryContext = {
      store,
      clock,
      log,
      limits,
      registryId: toHex(randomBytes(8)),
      startedAtMs,
      replay,
      liveness: new Liveness(),
      sessions: new NodeSessions(),
      rates: new RateLimiter(limits),
      metrics,
      beacon,
    };
    const dispatcher: { closing: boolean } & Dispatcher = { closing: false };
    const tcp = new RegistryTcpServer(listener, {
      ctx,
      dispatcher,
      idleTimeoutMs: opts.idleTimeoutMs ?? IDLE_TIMEOUT_MS,
    });
    const source: HttpSource = {
      counts: () => store.read((tx) => tx.counts(clock.now() - ONLINE_EXPIRY_MS)),
      metricsText: async () => metrics.render(await source.counts(), beacon?.registrations ?? null),
    };
    let metricsEp: HttpEndpoint | null = null;
    let dashboardEp: HttpEndpoint | null = null;
    if (metricsHp !== null) {
      try {
        metricsEp = await serveMetrics(metricsHp.hostname, metricsHp.port, source);
      } catch (err) {
        throw inUse("metrics", metricsHp, err);
      }
      const ep = metricsEp;
      cleanups.push(() => ep.close());
    }
    if (dashboardHp !== null) {
      try {
        dashboardEp = await serveDashboard(dashboardHp.hostname, dashboardHp.port, {
          store,
          clock,
          log: log.child("dashboard"),
        });
      } catch (err) {
        throw inUse("dashboard", dashboardHp, err);
      }
      const ep = dashboardEp;
      cleanups.push(() => ep.close());
    }

    // Other instances' writes: notify pushes, punch jobs for this beacon, their nonces (§4.1, §4.2, §5).
    let subscription: StoreSubscription | null = null;
    if (store.subscribe !== undefined) {
      subscription = await store.subscribe({
        inboxQueued: (nodeId, inbox) => ctx.sessions.notify(nodeId, inbox),
        punchJobsQueued: () => beacon?.punchJobsQueued(),
        beaconForget: (nodeId) => beacon?.forget(nodeId),
        replayRecorded: (entries) => replay.load(entries),
      });
      const sub = subscription;
      cleanups.push(() => sub.close());
    }

    const maintenance = new Maintenance(ctx, beacon);
    tcp.start();
    if (udp !== null && beacon !== null) {
      const b = beacon;
      udp.start((data, from) => b.handleDatagram(data, from));
    }
    maintenance.start();
    log.info("registry started", {
      listen: hostPortText(tcp.addr),
      beacon: udp === null ? "off" : hostPortText(udp.addr),
      store: `${store.kind} ${store.location}`,
    });

    let closing: Promise<void> | null = null;
    const close = () => {
      closing ??= (async () => {
        dispatcher.closing = true;
        await tcp.close();
        await udp?.close();
        await beacon?.close();
        await eagerReplay?.close();
        await maintenance.close();
        await subscription?.close();
        await metricsEp?.close();
        await dashboardEp?.close();
        await store.close();
        log.info("registry stopped");
      })();
      return closing;
    };
    const registryAddr = tcp.addr;
    const beaconAddr = udp?.addr ?? null;
    const tls = opts.tlsCertFile !== undefined;
    return {
      registryAddr,
      beaconAddr,
      tls,
      store,
      metrics,
      beacon,
      readyData: () => ({
        pid: Deno.pid,
        registry: hostPortText(registryAddr),
        beacon: beaconAddr === null ? null : hostPortText(beaconAddr),
        store: `${store.kind} ${store.location}`,
        metrics: metricsEp === null ? null : `http://${hostPortText(metricsEp.addr)}/metrics`,
        dashboard: dashboardEp === null ? null : `http://${hostPortText(dashboardEp.addr)}/`,
      }),
      close,
      [Symbol.asyncDispose]: close,
    };
  } catch (err) {
    await undo();
    throw err;
  }
}
