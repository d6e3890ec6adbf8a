// Test support for the gateway ↔ expose end-to-end tests: a real `registry run` process and agents that are real
// `pilotctl` processes, each with its own PILOT_HOME and PILOT_SOCKET under one temporary root. Every CLI call is
// bounded; disposal stops each agent's gateway and daemon (by `stop`, then SIGKILL by the pid file, never by name)
// and removes the root, also when a test fails.
import { processAlive, readPidFile } from "../../src/daemon/mod.ts";
import { readGatewayPid } from "../../src/gateway/mod.ts";
import { PilotProcess, withTimeout } from "../../scripts/bench/pilot_process.ts";
import { RegistryProcess } from "../../scripts/bench/registry_process.ts";

/** Bound on one CLI process: a cold `deno run` plus what the command waits for (daemon start, gateway start). */
export const CLI_TIMEOUT_MS = 60_000;
/** How long a trust request or approval may take to show on the other side. */
export const TRUST_WAIT_MS = 15_000;
const POLL_MS = 100;

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

export class Agent {
  readonly name: string;
  readonly home: string;
  readonly env: Record<string, string>;

  constructor(root: string, name: string, registry: string, beacon: string) {
    this.name = name;
    this.home = `${root}/${name}`;
    this.env = {
      DENO_DIR: denoDir(),
      HOME: root,
      PILOT_HOME: this.home,
      PILOT_SOCKET: `${root}/${name}.sock`,
      PILOT_REGISTRY: registry,
      PILOT_BEACON: beacon,
    };
  }

  /** `pilotctl <args>` as a child process, bounded by CLI_TIMEOUT_MS. */
  async run(args: readonly string[]): Promise<Outcome> {
    await using p = PilotProcess.spawn(args, this.env);
    const status = await withTimeout(p.status, CLI_TIMEOUT_MS, `"${this.name} ${args.join(" ")}" did not finish`);
    await p.drained();
    return { code: status.code, stdout: p.stdout, stderr: p.stderr };
  }

  /** `pilotctl <args> --json` that must succeed: its `data`. */
  async data(args: readonly string[]): Promise<Record<string, unknown>> {
    const out = await this.run([...args, "--json"]);
    if (out.code !== 0) throw new Error(`"${this.name} ${args.join(" ")}" exited ${out.code}: ${out.stderr}`);
    return JSON.parse(out.stdout).data;
  }

  /** Stops the gateway and the daemon this agent may have started; kills them by pid if that fails. */
  async stop(): Promise<void> {
    const gateway = await readGatewayPid(`${this.home}/gateway.pid`).catch(() => null);
    if (gateway !== null && processAlive(gateway)) await this.run(["gateway", "stop"]).catch(() => null);
    const daemon = await readPidFile(`${this.home}/pilot.pid`).catch(() => null);
    if (daemon !== null && processAlive(daemon)) await this.run(["daemon", "stop"]).catch(() => null);
    for (const pid of [gateway, daemon]) {
      if (pid !== null && processAlive(pid)) {
        try {
          Deno.kill(pid, "SIGKILL");
        } catch {
          // exited in between
        }
      }
    }
  }
}

/** Polls `check` (bounded by `ms`) until it returns true. */
export async function waitFor(
  what: string,
  check: () => boolean | Promise<boolean>,
  ms = TRUST_WAIT_MS,
): Promise<void> {
  const deadline = performance.now() + ms;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

export interface Lab extends AsyncDisposable {
  readonly root: string;
  readonly registry: RegistryProcess;
  /** A new agent (its daemon is not started). */
  agent(name: string): Agent;
}

export async function startLab(): Promise<Lab> {
  const root = await Deno.makeTempDir({ prefix: "pilot-expose-" });
  const agents: Agent[] = [];
  let registry: RegistryProcess;
  try {
    registry = await RegistryProcess.start({ store: ":memory:", limitsOff: true });
  } catch (err) {
    await Deno.remove(root, { recursive: true });
    throw err;
  }
  return {
    root,
    registry,
    agent(name: string): Agent {
      const a = new Agent(root, name, registry.ready.registry, registry.ready.beacon!);
      agents.push(a);
      return a;
    },
    async [Symbol.asyncDispose]() {
      await Promise.all(agents.map((a) => a.stop()));
      await registry[Symbol.asyncDispose]();
      await Deno.remove(root, { recursive: true }).catch(() => {});
    },
  };
}

/** `a` asks `b` for trust and `b` approves, both through the CLI; resolves once `a` lists `b` as trusted. */
export async function handshake(a: Agent, b: Agent): Promise<void> {
  const aInfo = await a.data(["info"]);
  const bInfo = await b.data(["info"]);
  await a.data(["handshake", String(bInfo.address), "expose e2e"]);
  await waitFor("the trust request", async () => {
    const pending = (await b.data(["pending"])).pending as { node_id: number }[];
    return pending.some((p) => p.node_id === aInfo.node_id);
  });
  await b.data(["approve", String(aInfo.node_id)]);
  await waitFor("the approval", async () => {
    const trusted = (await a.data(["trust"])).trusted as { node_id: number }[];
    return trusted.some((t) => t.node_id === bInfo.node_id);
  });
}
