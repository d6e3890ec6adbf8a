// Test support for the CLI scenarios: a throw-away `registry run --store :memory:` process on loopback ports and
// agents, each with its own PILOT_HOME and PILOT_SOCKET (CLI.md §1.6, §4), whose commands run as real `pilotctl`
// processes with a bounded wait. Disposal stops what is left: a daemon by the pid in its pid file (never by name),
// then the registry, then the temporary directory.
import { PilotProcess, withTimeout } from "../../scripts/bench/pilot_process.ts";
import { RegistryProcess } from "../../scripts/bench/registry_process.ts";
import { processAlive, readPidFile } from "../../src/daemon/mod.ts";

/** One command may take this long at most (a daemon start waits for registration). */
export const COMMAND_TIMEOUT_MS = 30_000;
/** How often a condition (e.g. a request in `pending`) is looked at while waiting for it. */
export const POLL_INTERVAL_MS = 200;

export interface Outcome {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** The Deno cache of this process: the children get another HOME and must not start an empty cache there. */
function denoDir(): string {
  const explicit = Deno.env.get("DENO_DIR");
  if (explicit) return explicit;
  const cache = Deno.env.get("XDG_CACHE_HOME") ?? `${Deno.env.get("HOME")}/.cache`;
  return `${cache}/deno`;
}

export class Agent implements AsyncDisposable {
  readonly name: string;
  readonly home: string;
  readonly socket: string;
  readonly env: Record<string, string>;

  constructor(name: string, root: string, registry: string, beacon: string) {
    this.name = name;
    this.home = `${root}/${name}`;
    this.socket = `${root}/${name}.sock`;
    this.env = {
      DENO_DIR: denoDir(),
      // Not a parent of the agents' files, so paths print in full as in CLI.md §4 (no `~`).
      HOME: `${root}/user`,
      PILOT_HOME: this.home,
      PILOT_SOCKET: this.socket,
      PILOT_REGISTRY: registry,
      PILOT_BEACON: beacon,
    };
  }

  /** `pilotctl <args>` as this agent; resolves with the exit code and both outputs. */
  async run(args: readonly string[]): Promise<Outcome> {
    await using p = PilotProcess.spawn(args, this.env);
    const status = await withTimeout(
      p.status,
      COMMAND_TIMEOUT_MS,
      `"${this.name} ${args.join(" ")}" did not finish within ${COMMAND_TIMEOUT_MS} ms`,
    );
    await p.drained();
    return { code: status.code, stdout: p.stdout, stderr: p.stderr };
  }

  /** The pid in `<home>/pilot.pid`, or null. */
  async pid(): Promise<number | null> {
    return await readPidFile(`${this.home}/pilot.pid`).catch(() => null);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    const pid = await this.pid();
    if (pid !== null && processAlive(pid)) Deno.kill(pid, "SIGKILL");
  }
}

export interface Scenario {
  readonly root: string;
  readonly registry: RegistryProcess;
  readonly alice: Agent;
  readonly bob: Agent;
}

/** Runs `body` with a fresh registry and the agents alice and bob; everything is stopped afterwards. */
export async function withTwoAgents(body: (s: Scenario) => Promise<void>): Promise<void> {
  const root = await Deno.makeTempDir({ prefix: "pilot-e2e-" });
  try {
    await using registry = await RegistryProcess.start({ store: ":memory:" });
    const registryAddr = registry.ready.registry;
    const beacon = registry.ready.beacon!;
    await using alice = new Agent("alice", root, registryAddr, beacon);
    await using bob = new Agent("bob", root, registryAddr, beacon);
    await body({ root, registry, alice, bob });
  } finally {
    await Deno.remove(root, { recursive: true }).catch(() => {});
  }
}

/** Runs `attempt` until it returns a value (not null), every 200 ms, for at most `ms`; null when time runs out. */
export async function pollFor<T>(ms: number, attempt: () => Promise<T | null>): Promise<T | null> {
  const deadline = performance.now() + ms;
  for (let i = 0; i < Math.ceil(ms / POLL_INTERVAL_MS) + 1; i++) {
    const value = await attempt();
    if (value !== null) return value;
    if (performance.now() >= deadline) break;
    await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
  }
  return null;
}
