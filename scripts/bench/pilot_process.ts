// A real `pilotctl` child process (`deno run -A main.ts …`), or another script of the repository, for benchmarks and end-to-end tests: stdout and stderr
// are drained continuously (a full pipe would stall the child), readiness is awaited on stdout content with a bound,
// and disposal always reaps the process (SIGKILL if it is still running), even when a test fails.

/** The repository root (this file is scripts/bench/pilot_process.ts). */
export const REPO_ROOT: string = new URL("../../", import.meta.url).pathname;
export const MAIN_TS: string = `${REPO_ROOT}main.ts`;

export const DEFAULT_READY_TIMEOUT_MS = 30_000;
export const DEFAULT_EXIT_TIMEOUT_MS = 15_000;
/** Only the tail of stderr is kept: enough for a failure message, bounded under heavy logging. */
const STDERR_KEEP_CHARS = 256 * 1024;

interface Waiter {
  readonly predicate: (stdout: string) => boolean;
  readonly resolve: (stdout: string) => void;
  readonly reject: (err: Error) => void;
}

/** Rejects with `message` after `ms` unless `promise` settles first; the timer never outlives the race. */
export async function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Extra `deno run` flags for every child, from PILOT_BENCH_DENO_FLAGS (space-separated), e.g.
 * `--cpu-prof --cpu-prof-dir=/tmp/prof` to profile the daemons of a benchmark.
 */
function extraDenoFlags(): string[] {
  return (Deno.env.get("PILOT_BENCH_DENO_FLAGS") ?? "").split(" ").filter((f) => f !== "");
}

export class PilotProcess implements AsyncDisposable {
  readonly #child: Deno.ChildProcess;
  readonly #pumps: Promise<void>;
  readonly #waiters = new Set<Waiter>();
  readonly status: Promise<Deno.CommandStatus>;
  #stdout = "";
  #stderr = "";
  #exited = false;

  private constructor(child: Deno.ChildProcess) {
    this.#child = child;
    this.status = child.status.then((s) => {
      this.#exited = true;
      return s;
    });
    this.#pumps = Promise.all([
      this.#pump(child.stdout, (t) => {
        this.#stdout += t;
        this.#checkWaiters();
      }),
      this.#pump(child.stderr, (t) => {
        this.#stderr = (this.#stderr + t).slice(-STDERR_KEEP_CHARS);
      }),
    ]).then(() => this.#failWaiters("process output ended"));
  }

  /** Starts `pilotctl <args>` from the repository root (so deno.json applies) with stdin closed. */
  static spawn(args: readonly string[], env: Record<string, string> = {}): PilotProcess {
    return PilotProcess.spawnScript(MAIN_TS, args, env);
  }

  /** Starts another script of this repository (a benchmark peer) the same way. */
  static spawnScript(script: string, args: readonly string[], env: Record<string, string> = {}): PilotProcess {
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", ...extraDenoFlags(), "-A", script, ...args],
      cwd: REPO_ROOT,
      env: { NO_COLOR: "1", ...env },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    return new PilotProcess(child);
  }

  get pid(): number {
    return this.#child.pid;
  }

  get stdout(): string {
    return this.#stdout;
  }

  /** The last 256 KiB of stderr. */
  get stderr(): string {
    return this.#stderr;
  }

  get exited(): boolean {
    return this.#exited;
  }

  async #pump(stream: ReadableStream<Uint8Array>, sink: (text: string) => void): Promise<void> {
    const decoder = new TextDecoder();
    try {
      for await (const chunk of stream) sink(decoder.decode(chunk, { stream: true }));
    } catch {
      // the pipe broke because the process died; what was read is kept
    }
  }

  #checkWaiters(): void {
    for (const w of this.#waiters) {
      if (!w.predicate(this.#stdout)) continue;
      this.#waiters.delete(w);
      w.resolve(this.#stdout);
    }
  }

  #failWaiters(why: string): void {
    for (const w of this.#waiters) w.reject(new Error(`${why} before the expected output\nstderr:\n${this.#stderr}`));
    this.#waiters.clear();
  }

  /** Resolves with stdout once `predicate(stdout)` holds; rejects on timeout or when the process ends first. */
  waitForStdout(predicate: (stdout: string) => boolean, timeoutMs = DEFAULT_READY_TIMEOUT_MS): Promise<string> {
    if (predicate(this.#stdout)) return Promise.resolve(this.#stdout);
    let waiter!: Waiter;
    const waiting = new Promise<string>((resolve, reject) => {
      waiter = { predicate, resolve, reject };
    });
    this.#waiters.add(waiter);
    return withTimeout(waiting, timeoutMs, `no expected output within ${timeoutMs} ms`).catch((err) => {
      this.#waiters.delete(waiter);
      throw new Error(`${err.message}\nstdout:\n${this.#stdout}\nstderr:\n${this.#stderr}`);
    });
  }

  /** Sends a signal; a process that has already exited is left alone. */
  kill(signal: Deno.Signal): void {
    if (this.#exited) return;
    try {
      this.#child.kill(signal);
    } catch (err) {
      if (!(err instanceof TypeError)) throw err; // TypeError: the child has already exited
    }
  }

  /** Sends `signal` and waits (bounded) for the exit; on timeout the process is killed and this rejects. */
  async stop(signal: Deno.Signal = "SIGTERM", timeoutMs = DEFAULT_EXIT_TIMEOUT_MS): Promise<Deno.CommandStatus> {
    this.kill(signal);
    try {
      return await withTimeout(this.status, timeoutMs, `process ${this.pid} did not exit within ${timeoutMs} ms`);
    } catch (err) {
      this.kill("SIGKILL");
      throw err;
    }
  }

  /** Waits for the output pumps to finish (after the exit). */
  async drained(): Promise<void> {
    await this.#pumps;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.kill("SIGKILL");
    await this.status;
    await this.#pumps;
  }
}
