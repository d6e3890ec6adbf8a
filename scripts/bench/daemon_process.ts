// Real `pilotctl daemon run --json` processes for the overlay benchmarks: one home and socket each under a temporary
// root, pointed at a registry process, readiness from the ready envelope (CLI.md §3.1), an IPC client to drive them,
// their resident memory from /proc, and mutual trust set up over port 444 the way two agents would (request, then
// approve). Disposal stops the daemon (SIGTERM, then SIGKILL), so a failed benchmark leaves nothing running.
import { IpcClient } from "../../src/ipc/mod.ts";
import { PilotProcess, withTimeout } from "./pilot_process.ts";
import type { RegistryProcess } from "./registry_process.ts";

/** The `data` of the daemon's ready envelope (CLI.md §3.1). */
export interface DaemonReady {
  readonly pid: number;
  readonly node_id: number;
  readonly address: string;
  readonly socket: string;
  readonly listen: string;
}

export interface DaemonOptions {
  readonly root: string;
  readonly name: string;
  readonly registry: RegistryProcess;
  /** Visible to every node (§4.3): lookups and tunnels from untrusted nodes work. Default true. */
  readonly public?: boolean;
  readonly extraArgs?: readonly string[];
}

const TRUST_WAIT_MS = 15_000;
const TRUST_POLL_MS = 20;
const KIB = 1024;

/** The Deno cache of this process: children run with another HOME and must not start an empty cache there. */
export function denoDir(): string {
  const explicit = Deno.env.get("DENO_DIR");
  if (explicit) return explicit;
  const cache = Deno.env.get("XDG_CACHE_HOME") ?? `${Deno.env.get("HOME")}/.cache`;
  return `${cache}/deno`;
}

/** The environment of agent `name` under `root`: its own PILOT_HOME and socket, the registry's addresses. */
export function agentEnv(root: string, name: string, registry: RegistryProcess): Record<string, string> {
  return {
    DENO_DIR: denoDir(),
    HOME: root,
    PILOT_HOME: `${root}/${name}`,
    PILOT_SOCKET: `${root}/${name}.sock`,
    PILOT_REGISTRY: registry.ready.registry,
    PILOT_BEACON: registry.ready.beacon ?? "",
  };
}

/** Resident set size of a process in bytes (VmRSS of /proc/<pid>/status; Linux). */
export async function rssBytes(pid: number): Promise<number> {
  const status = await Deno.readTextFile(`/proc/${pid}/status`);
  const kib = status.match(/^VmRSS:\s+(\d+)\s+kB$/m)?.[1];
  if (kib === undefined) throw new Error(`no VmRSS for process ${pid}`);
  return Number(kib) * KIB;
}

export class DaemonProcess implements AsyncDisposable {
  readonly process: PilotProcess;
  readonly ready: DaemonReady;
  readonly env: Record<string, string>;

  private constructor(process: PilotProcess, ready: DaemonReady, env: Record<string, string>) {
    this.process = process;
    this.ready = ready;
    this.env = env;
  }

  /** `daemon run --json` on 127.0.0.1 with `--log-level warn`; resolves once registered. */
  static async start(o: DaemonOptions): Promise<DaemonProcess> {
    const env = agentEnv(o.root, o.name, o.registry);
    const args = ["daemon", "run", "--json", "--listen", "127.0.0.1:0", "--log-level", "warn"];
    if (o.public ?? true) args.push("--public");
    args.push(...(o.extraArgs ?? []));
    const process = PilotProcess.spawn(args, env);
    try {
      const out = await process.waitForStdout((s) => s.includes("\n"));
      const envelope = JSON.parse(out.slice(0, out.indexOf("\n")));
      if (envelope.status !== "ok") throw new Error(`daemon ${o.name}: unexpected ready line: ${out}`);
      return new DaemonProcess(process, envelope.data as DaemonReady, env);
    } catch (err) {
      await process[Symbol.asyncDispose]();
      throw err;
    }
  }

  get nodeId(): number {
    return this.ready.node_id;
  }

  async connect(): Promise<IpcClient> {
    return await IpcClient.connect(this.ready.socket, { client: "bench", version: "0" });
  }

  async rssBytes(): Promise<number> {
    return await rssBytes(this.ready.pid);
  }

  /** SIGTERM and a bounded wait: the daemon says BYE to its peers and deregisters. */
  async stop(): Promise<void> {
    await this.process.stop("SIGTERM");
  }

  async [Symbol.asyncDispose](): Promise<void> {
    if (!this.process.exited) await this.stop().catch(() => {});
    await this.process[Symbol.asyncDispose]();
  }
}

/** Polls `check` every 20 ms until it holds, bounded by `ms`. */
export async function until(what: string, check: () => Promise<boolean>, ms: number): Promise<void> {
  const deadline = performance.now() + ms;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, TRUST_POLL_MS));
  }
}

function lists(rows: readonly Record<string, unknown>[], node: number): boolean {
  return rows.some((r) => r.node_id === node);
}

/** Mutual trust between two daemons (§6.3): `a` requests, `b` approves once the request is pending. */
export async function trustPair(a: IpcClient, aNode: number, b: IpcClient, bNode: number): Promise<void> {
  await a.request("trust_request", { node: String(bNode), justification: "benchmark" });
  await until(
    "trust request pending",
    async () => lists((await b.request("trust_pending")).incoming, aNode),
    TRUST_WAIT_MS,
  );
  await b.request("trust_approve", { node: String(aNode) });
  await withTimeout(
    until("mutual trust", async () => lists((await a.request("trust_list")).trusted, bNode), TRUST_WAIT_MS),
    TRUST_WAIT_MS + 1_000,
    "mutual trust not established",
  );
}
