// What the registry load benchmark (registry_load.ts) runs on: real `pilotctl registry run --json` processes with the
// rate limits OFF (`--limits` `{"enabled":false}`, PROTOCOL-BRIEF §4.5) over a SQLite file or a fresh PostgreSQL
// database shared by one or two instances (the extra one with `--beacon-listen off`, CLI.md §3.2); their resident
// memory from /proc; a lock-step pool of registry_load_worker.ts workers; and latency percentiles.
import { LIMITS_OFF_JSON } from "./registry_process.ts";
import { PilotProcess, withTimeout } from "./pilot_process.ts";
import type { RegistryLoadReply, RegistryLoadRequest, RegistryLoadTiming } from "./registry_load_worker.ts";

const READY_TIMEOUT_MS = 60_000;
const STEP_TIMEOUT_MS = 900_000;

export interface RegistryInstance {
  readonly pid: number;
  /** `127.0.0.1:<port>`. */
  readonly address: string;
}

/** One or more registry processes over one store; disposal kills them and removes their temporary files. */
export class RegistryCluster implements AsyncDisposable {
  readonly instances: readonly RegistryInstance[];
  readonly #processes: readonly PilotProcess[];
  readonly #dir: string;

  private constructor(instances: RegistryInstance[], processes: PilotProcess[], dir: string) {
    this.instances = instances;
    this.#processes = processes;
    this.#dir = dir;
  }

  /** `count` instances over a SQLite file (count 1) or the PostgreSQL database at `postgresUrl`. */
  static async start(store: { sqlite: true } | { postgresUrl: string }, count: number): Promise<RegistryCluster> {
    const dir = await Deno.makeTempDir({ prefix: "pilot-bench-registry-load-" });
    const limits = `${dir}/limits.json`;
    await Deno.writeTextFile(limits, LIMITS_OFF_JSON);
    const processes: PilotProcess[] = [];
    const instances: RegistryInstance[] = [];
    const cluster = new RegistryCluster(instances, processes, dir);
    try {
      for (let i = 0; i < count; i++) {
        const args = ["registry", "run", "--json", "--listen", "127.0.0.1:0", "--limits", limits];
        args.push("--log-level", "warn", "--beacon-listen", i === 0 ? "127.0.0.1:0" : "off");
        args.push(...("sqlite" in store ? ["--store", `${dir}/registry.db`] : ["--postgres", store.postgresUrl]));
        const process = PilotProcess.spawn(args);
        processes.push(process);
        const out = await process.waitForStdout((s) => s.includes("\n"), READY_TIMEOUT_MS);
        const envelope = JSON.parse(out.slice(0, out.indexOf("\n")));
        if (envelope.status !== "ok") throw new Error(`unexpected ready line: ${out}`);
        instances.push({ pid: process.pid, address: String(envelope.data.registry) });
      }
      return cluster;
    } catch (err) {
      await cluster[Symbol.asyncDispose]();
      throw err;
    }
  }

  /** The largest VmRSS among the instances, in bytes. */
  async maxRssBytes(): Promise<number> {
    const values = await Promise.all(this.instances.map((i) => rssBytes(i.pid)));
    return Math.max(...values);
  }

  /** User + system CPU seconds the instances have used so far, summed. */
  async cpuSeconds(): Promise<number> {
    const values = await Promise.all(this.instances.map((i) => cpuSeconds(i.pid)));
    return values.reduce((a, b) => a + b, 0);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    for (const p of this.#processes) await p[Symbol.asyncDispose]();
    await Deno.remove(this.#dir, { recursive: true }).catch(() => {});
  }
}

/** VmRSS of `pid` from /proc/<pid>/status, in bytes. */
export async function rssBytes(pid: number): Promise<number> {
  const status = await Deno.readTextFile(`/proc/${pid}/status`);
  const kb = status.match(/^VmRSS:\s+(\d+)\s+kB$/m)?.[1];
  if (kb === undefined) throw new Error(`no VmRSS in /proc/${pid}/status`);
  return Number(kb) * 1024;
}

/** Clock ticks per second of /proc/<pid>/stat (USER_HZ, 100 on Linux). */
const CLOCK_TICKS_PER_S = 100;

/** utime + stime of `pid` from /proc/<pid>/stat, in seconds. */
export async function cpuSeconds(pid: number): Promise<number> {
  const stat = await Deno.readTextFile(`/proc/${pid}/stat`);
  // Fields after the parenthesised command name: state is field 3, utime 14 and stime 15.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_S;
}

/** The `p`-th percentile (0–100) by nearest rank. */
export function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

export interface LoadResult {
  readonly replies: readonly RegistryLoadReply[];
  /** Requests per second over the whole pool, first start to last end. */
  readonly perSecond: number;
  readonly p99Ms: number;
}

/** Workers driven in lock-step: each step goes to every worker and is awaited; one failure fails the step. */
export class RegistryLoadPool implements Disposable {
  readonly #workers: Worker[];

  constructor(size: number) {
    const url = new URL("./registry_load_worker.ts", import.meta.url).href;
    this.#workers = Array.from({ length: size }, () => new Worker(url, { type: "module" }));
  }

  get size(): number {
    return this.#workers.length;
  }

  #call(worker: Worker, req: RegistryLoadRequest): Promise<RegistryLoadReply> {
    const reply = new Promise<RegistryLoadReply>((resolve, reject) => {
      worker.onmessage = (e: MessageEvent<RegistryLoadReply>) => resolve(e.data);
      worker.onerror = (e: ErrorEvent) => {
        e.preventDefault();
        reject(new Error(`registry load worker failed: ${e.message}`));
      };
    });
    worker.postMessage(req);
    return withTimeout(reply, STEP_TIMEOUT_MS, `registry load step "${req.op}" did not finish`);
  }

  async step(perWorker: (i: number) => RegistryLoadRequest): Promise<LoadResult> {
    const replies = await Promise.all(this.#workers.map((w, i) => this.#call(w, perWorker(i))));
    const timings: RegistryLoadTiming[] = [];
    for (const r of replies) {
      if (!r.ok) throw new Error(r.error);
      if (r.timing !== undefined) timings.push(r.timing);
    }
    if (timings.length === 0) return { replies, perSecond: NaN, p99Ms: NaN };
    const start = Math.min(...timings.map((t) => t.startMs));
    const end = Math.max(...timings.map((t) => t.endMs));
    const done = timings.reduce((n, t) => n + t.done, 0);
    const all = new Float64Array(done);
    let off = 0;
    for (const t of timings) {
      all.set(t.latenciesMs, off);
      off += t.latenciesMs.length;
    }
    all.sort();
    return { replies, perSecond: done / ((end - start) / 1000), p99Ms: percentile(all, 99) };
  }

  [Symbol.dispose](): void {
    for (const w of this.#workers) w.terminate();
  }
}
