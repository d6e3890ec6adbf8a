// Test support for end-to-end service tests with real processes: a `registry run` process and agents, each with its
// own home and socket, whose daemons are started with `pilotctl daemon start` and killed by pid (never by name).
// The CLI runs as a child process; the test also talks to a daemon directly through its IPC socket.
import { PilotProcess, withTimeout } from "../../scripts/bench/pilot_process.ts";
import { processAlive, readPidFile } from "../../src/daemon/mod.ts";
import { IpcClient } from "../../src/ipc/mod.ts";

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

/** How long one CLI child may run (a 50 MB transfer included). */
export const CLI_TIMEOUT_MS = 120_000;

/** What `daemon start --json` reports (CLI.md §3.1). */
export interface Started {
  readonly pid: number;
  readonly node_id: number;
  readonly address: string;
}

export interface Agent extends AsyncDisposable {
  readonly name: string;
  readonly home: string;
  readonly socket: string;
  readonly env: Record<string, string>;
  /** `pilotctl <args>` as a child process, bounded by CLI_TIMEOUT_MS. */
  run(args: readonly string[]): Promise<Outcome>;
  /** `pilotctl --json <args>`: the `data` of a success; throws with stderr otherwise. */
  json<T = Record<string, unknown>>(args: readonly string[]): Promise<T>;
  /** `daemon start` (UDP on `listen`, a random loopback port by default); resolves with its ready data. */
  start(listen?: string): Promise<Started>;
  /** SIGKILL of the daemon by its pid; resolves once the process is gone. */
  kill9(): Promise<void>;
  /** An IPC client on this agent's daemon. */
  ipc(): Promise<IpcClient>;
}

export function agent(root: string, name: string, registry: string, beacon: string): Agent {
  const home = `${root}/${name}`;
  const socket = `${root}/${name}.sock`;
  const env = {
    DENO_DIR: denoDir(),
    HOME: root,
    PILOT_HOME: home,
    PILOT_SOCKET: socket,
    PILOT_REGISTRY: registry,
    PILOT_BEACON: beacon,
  };
  const run = async (args: readonly string[]): Promise<Outcome> => {
    await using p = PilotProcess.spawn(args, env);
    const status = await withTimeout(p.status, CLI_TIMEOUT_MS, `pilotctl ${args.join(" ")}: no exit in time`);
    await p.drained();
    return { code: status.code, stdout: p.stdout, stderr: p.stderr };
  };
  const pid = () => readPidFile(`${home}/pilot.pid`).catch(() => null);
  return {
    name,
    home,
    socket,
    env,
    run,
    async json<T>(args: readonly string[]): Promise<T> {
      const out = await run(["--json", ...args]);
      if (out.code !== 0) throw new Error(`pilotctl ${args.join(" ")} failed (${out.code}): ${out.stderr}`);
      return JSON.parse(out.stdout).data as T;
    },
    async start(listen = "127.0.0.1:0"): Promise<Started> {
      const out = await run(["--json", "daemon", "start", "--listen", listen, "--hostname", name]);
      if (out.code !== 0) throw new Error(`daemon start of ${name} failed: ${out.stderr}`);
      return JSON.parse(out.stdout).data as Started;
    },
    async kill9(): Promise<void> {
      const p = await pid();
      if (p === null || !processAlive(p)) throw new Error(`no daemon of ${name} to kill`);
      Deno.kill(p, "SIGKILL");
      for (let i = 0; i < 200 && processAlive(p); i++) await new Promise((r) => setTimeout(r, 25));
      if (processAlive(p)) throw new Error(`daemon ${p} of ${name} survived SIGKILL`);
    },
    ipc: () => IpcClient.connect(socket, { client: "test", version: "0" }),
    async [Symbol.asyncDispose]() {
      const p = await pid();
      if (p !== null && processAlive(p)) Deno.kill(p, "SIGKILL");
    },
  };
}

/** Polls `check` (bounded in count and time) until it holds. */
export async function until(check: () => Promise<boolean> | boolean, ms = 20_000, what = "condition"): Promise<void> {
  const deadline = Date.now() + ms;
  for (let i = 0; Date.now() <= deadline; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, Math.min(10 * (i + 1), 200)));
  }
  throw new Error(`${what} not met within ${ms} ms`);
}
