// A pool of load workers (load_worker.ts) driven in lock-step: every step is sent to all workers and awaited, and a
// timed step's rate is the total count over the span from the earliest start to the latest end.
import { withTimeout } from "./pilot_process.ts";
import type { LoadReply, LoadRequest, LoadTiming } from "./load_messages.ts";

/** Most workers a pool uses; past this the single server process is the limit anyway. */
const MAX_WORKERS = 4;
const STEP_TIMEOUT_MS = 300_000;

/** Half the cores (the server process needs the rest), at least one, at most MAX_WORKERS. */
export function defaultWorkerCount(): number {
  return Math.max(1, Math.min(MAX_WORKERS, Math.floor(navigator.hardwareConcurrency / 2)));
}

/** Splits `total` into `parts` near-equal integers. */
export function split(total: number, parts: number): number[] {
  return Array.from({ length: parts }, (_, i) => Math.floor(total / parts) + (i < total % parts ? 1 : 0));
}

export interface StepResult {
  readonly replies: readonly LoadReply[];
  /** Requests per second over the whole pool; NaN for an untimed step. */
  readonly perSecond: number;
}

export class LoadPool implements Disposable {
  readonly #workers: Worker[];

  constructor(size: number = defaultWorkerCount()) {
    const url = new URL("./load_worker.ts", import.meta.url).href;
    this.#workers = Array.from({ length: size }, () => new Worker(url, { type: "module" }));
  }

  get size(): number {
    return this.#workers.length;
  }

  #call(worker: Worker, req: LoadRequest): Promise<LoadReply> {
    const reply = new Promise<LoadReply>((resolve, reject) => {
      worker.onmessage = (e: MessageEvent<LoadReply>) => resolve(e.data);
      worker.onerror = (e: ErrorEvent) => {
        e.preventDefault();
        reject(new Error(`load worker failed: ${e.message}`));
      };
    });
    worker.postMessage(req);
    return withTimeout(reply, STEP_TIMEOUT_MS, `load step "${req.op}" did not finish`);
  }

  /** Sends `perWorker(i)` to worker i, awaits all, throws the first worker error. */
  async step(perWorker: (i: number) => LoadRequest): Promise<StepResult> {
    const replies = await Promise.all(this.#workers.map((w, i) => this.#call(w, perWorker(i))));
    const timings: LoadTiming[] = [];
    for (const r of replies) {
      if (!r.ok) throw new Error(r.error);
      if (r.timing !== undefined) timings.push(r.timing);
    }
    if (timings.length === 0) return { replies, perSecond: NaN };
    const start = Math.min(...timings.map((t) => t.startMs));
    const end = Math.max(...timings.map((t) => t.endMs));
    const done = timings.reduce((n, t) => n + t.done, 0);
    return { replies, perSecond: done / ((end - start) / 1000) };
  }

  [Symbol.dispose](): void {
    for (const w of this.#workers) w.terminate();
  }
}
