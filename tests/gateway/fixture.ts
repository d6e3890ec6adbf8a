// Test support: a whole gateway on loopback. A fake daemon on a Unix socket in a temporary home routes pilot ports to
// local TCP servers; the gateway listens on a random 127.4.R.0/24 (inside the default 127.4.0.0/16, so nothing
// outside loopback and no aliases) and dials through the daemon's IPC like the real one.
import {
  DaemonDialer,
  GatewayService,
  type MapRequest,
  noAliases,
  parseSubnet,
  type Subnet,
} from "../../src/gateway/mod.ts";
import { IpcClient } from "../../src/ipc/mod.ts";
import { Logger, MemorySink } from "../../src/log/logger.ts";
import { EarlyCloseServer, FakeDaemon, startHttpServer } from "./fake_daemon.ts";

/** Gateway ports, each the same pilot port on the agent. */
export const HTTP_PORT = 8080;
export const EARLY_PORT = 8081;
export const INSTANT_PORT = 8082;
/** No service behind it: the fake daemon refuses the dial. */
export const UNROUTED_PORT = 8083;
export const GATEWAY_PORTS = [HTTP_PORT, EARLY_PORT, INSTANT_PORT, UNROUTED_PORT];

export const BOB = "0:0000.0000.0104";
export const CAROL = "0:0000.0000.0105";

export interface Fixture extends AsyncDisposable {
  readonly root: string;
  readonly home: string;
  readonly daemonSocket: string;
  readonly gatewaySocket: string;
  readonly pidFile: string;
  readonly subnet: Subnet;
  /** `127.4.R.<n>` */
  ip(n: number): string;
  readonly daemon: FakeDaemon;
  readonly log: MemorySink;
  /** Set unless started with `gateway: false`. */
  readonly service: GatewayService | null;
  /** Environment for the CLI: PILOT_HOME, PILOT_SOCKET and HOME inside the temporary directory. */
  readonly env: Record<string, string>;
}

export interface FixtureOptions {
  /** Start an in-process gateway (default true). */
  readonly gateway?: boolean;
  readonly mappings?: readonly MapRequest[];
  readonly onStopRequest?: () => void;
}

function randomThirdOctet(): number {
  return 1 + (crypto.getRandomValues(new Uint8Array(1))[0] % 254);
}

export async function startFixture(options: FixtureOptions = {}): Promise<Fixture> {
  const root = await Deno.makeTempDir({ prefix: "pilot-gw-" });
  const home = `${root}/home`;
  await Deno.mkdir(home, { mode: 0o700 });
  const daemonSocket = `${root}/daemon.sock`;
  const third = randomThirdOctet();
  const subnet = parseSubnet(`127.4.${third}.0/24`);
  const log = new MemorySink();
  const logger = new Logger({ sink: log, level: "debug" });
  const cleanup: (() => Promise<void>)[] = [() => Deno.remove(root, { recursive: true })];
  const close = async () => {
    for (const step of cleanup.reverse()) await step().catch(() => {});
  };
  try {
    const http = startHttpServer();
    cleanup.push(() => http.shutdown());
    const early = new EarlyCloseServer(false);
    cleanup.push(() => early[Symbol.asyncDispose]());
    const instant = new EarlyCloseServer(true);
    cleanup.push(() => instant[Symbol.asyncDispose]());
    const daemon = await FakeDaemon.start({
      socketPath: daemonSocket,
      routes: new Map([[HTTP_PORT, http.addr.port], [EARLY_PORT, early.port], [INSTANT_PORT, instant.port]]),
      names: { bob: BOB, carol: CAROL },
    });
    cleanup.push(() => daemon.close());
    let service: GatewayService | null = null;
    if (options.gateway !== false) {
      const dialer = await DaemonDialer.open(
        () => IpcClient.connect(daemonSocket, { client: "test-gateway" }),
        logger.child("dialer"),
      );
      service = await GatewayService.start({
        pidFile: `${home}/gateway.pid`,
        socketPath: `${home}/gateway.sock`,
        subnet,
        ports: GATEWAY_PORTS,
        dialer,
        aliases: noAliases,
        logger,
        mappings: options.mappings ?? [{ pilotAddr: BOB, hostname: "bob" }],
        onStopRequest: options.onStopRequest ?? (() => {}),
      });
      const started = service;
      cleanup.push(() => started.close());
    }
    return {
      root,
      home,
      daemonSocket,
      gatewaySocket: `${home}/gateway.sock`,
      pidFile: `${home}/gateway.pid`,
      subnet,
      ip: (n) => `127.4.${third}.${n}`,
      daemon,
      log,
      service,
      env: { HOME: root, PILOT_HOME: home, PILOT_SOCKET: daemonSocket },
      [Symbol.asyncDispose]: close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}

/** Waits (bounded) until `check` holds; the gateway's state changes asynchronously after a TCP close. */
export async function eventually(check: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!check()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
