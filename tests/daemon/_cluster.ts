// Test support for the daemon's integration tests: a real registry (TCP + beacon UDP on 127.0.0.1, a chosen store)
// and nodes started in-process with real UDP on 127.0.0.1 and real IPC sockets in a temp dir, driven by IpcClient.
// Logs go to memory; set PILOT_TEST_LOG=1 to see them on stderr.
import { type Node, type NodeSettings, nodeSettings, startNode } from "../../src/daemon/mod.ts";
import { IpcClient } from "../../src/ipc/mod.ts";
import { Logger, MemorySink, stderrSink } from "../../src/log/logger.ts";
import { DEFAULT_LIMITS, type RegistryHandle, startRegistry } from "../../src/registry/mod.ts";
import { resolveConfig } from "../../src/config/mod.ts";

export const VERSION = "0.0.0-test";

export function testLogger(): Logger {
  const verbose = Deno.env.get("PILOT_TEST_LOG") === "1";
  return new Logger({ sink: verbose ? stderrSink : new MemorySink(), level: verbose ? "debug" : "info" });
}

export async function startTestRegistry(store = ":memory:", listen = "127.0.0.1:0", beacon = "127.0.0.1:0") {
  return await startRegistry({
    listen,
    beaconListen: beacon,
    store,
    limits: { ...DEFAULT_LIMITS, enabled: false },
    logger: testLogger().child("registry"),
  });
}

export function registryText(r: RegistryHandle): string {
  return `127.0.0.1:${r.registryAddr.port}`;
}

export function beaconText(r: RegistryHandle): string {
  return `127.0.0.1:${r.beaconAddr!.port}`;
}

export interface NodeOptions {
  readonly hostname?: string;
  readonly public?: boolean;
  readonly listen?: string;
  readonly home?: string;
  readonly extraConfig?: Record<string, string>;
}

/** Settings for a node named `name` under `root`, pointed at `registry` / `beacon`. */
export async function testSettings(
  root: string,
  name: string,
  registry: string,
  beacon: string,
  options: NodeOptions = {},
): Promise<NodeSettings> {
  const home = options.home ?? `${root}/${name}`;
  const env = new Map<string, string>([["PILOT_HOME", home], ["HOME", root]]);
  const config = await resolveConfig({
    env,
    flags: {
      registry,
      beacon,
      socket: `${root}/${name}.sock`,
      listen: options.listen ?? "127.0.0.1:0",
      hostname: options.hostname ?? "",
      public: options.public ?? false,
      ...options.extraConfig,
    },
  });
  return nodeSettings(config, { pidFile: false });
}

export async function startTestNode(settings: NodeSettings, signal?: AbortSignal): Promise<Node> {
  return await startNode(settings, {
    log: testLogger().child(settings.home.split("/").pop() ?? "node"),
    version: VERSION,
    signal,
  });
}

export async function ipc(node: Node | string): Promise<IpcClient> {
  return await IpcClient.connect(typeof node === "string" ? node : node.socketPath, { client: "test", version: "0" });
}

/** Polls `check` every 20 ms until it holds (bounded by `ms`); the last value when it does. */
export async function eventually<T>(
  check: () => Promise<T | null | false> | T | null | false,
  ms = 10_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (let i = 0;; i++) {
    const value = await check();
    if (value !== null && value !== false) return value as T;
    if (Date.now() > deadline) throw new Error(`condition not met within ${ms} ms`);
    await new Promise((r) => setTimeout(r, Math.min(20 * (i + 1), 200)));
  }
}

/** A temp dir removed at disposal (after the nodes are closed). */
export async function tempRoot(): Promise<{ dir: string } & AsyncDisposable> {
  const dir = await Deno.makeTempDir({ prefix: "pilot-daemon-" });
  return { dir, [Symbol.asyncDispose]: () => Deno.remove(dir, { recursive: true }).catch(() => {}) };
}
