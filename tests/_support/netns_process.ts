// NAT lab support: a process started inside a lab namespace, with its stdout collected as lines. Tests synchronise on
// lines the process prints ("ready …", "recv …") with a bounded wait, never on fixed sleeps.

/** Lines kept per process; the UDP tools print a few dozen, so reaching this means a runaway program. */
export const MAX_PROCESS_LINES = 10_000;
/** Bytes of stderr kept for error messages. */
const STDERR_TAIL_BYTES = 4096;
/** Time a process gets to exit after SIGTERM before it is sent SIGKILL. */
export const KILL_GRACE_MS = 2_000;

export type LineMatch = RegExp | ((line: string) => boolean);

function matches(match: LineMatch, line: string): boolean {
  return typeof match === "function" ? match(line) : match.test(line);
}

export class LabProcess implements AsyncDisposable {
  readonly label: string;
  readonly pid: number;
  readonly status: Promise<Deno.CommandStatus>;
  readonly #child: Deno.ChildProcess;
  readonly #lines: string[] = [];
  readonly #wakers = new Set<() => void>();
  readonly #pumps: Promise<void>;
  readonly #stdin: WritableStreamDefaultWriter<Uint8Array>;
  #stderrTail = "";
  #exited = false;
  #drained = false;

  /** `child` must have been spawned with stdin, stdout and stderr piped. */
  constructor(child: Deno.ChildProcess, label: string) {
    this.#child = child;
    this.label = label;
    this.pid = child.pid;
    this.#stdin = child.stdin.getWriter();
    this.#pumps = Promise.all([this.#pumpStdout(), this.#pumpStderr()]).then(() => {});
    this.status = child.status.then((s) => {
      this.#exited = true;
      return s;
    });
    // Exit wakes waiters only after stdout is drained, so a final line is never missed.
    this.#pumps.then(() => this.status).finally(() => this.#wake()).catch(() => {});
  }

  /** Every stdout line so far (without the newline). */
  get lines(): readonly string[] {
    return this.#lines;
  }

  get exited(): boolean {
    return this.#exited;
  }

  /** The last bytes of stderr, for diagnostics. */
  get stderrTail(): string {
    return this.#stderrTail;
  }

  async writeLine(line: string): Promise<void> {
    await this.#stdin.write(new TextEncoder().encode(line + "\n"));
  }

  /**
   * The first stdout line at index ≥ `from` that matches, waiting up to `timeoutMs` for it to appear. Throws on
   * timeout or when the process exits without printing it.
   */
  async waitForLine(match: LineMatch, timeoutMs: number, from = 0): Promise<string> {
    const line = await this.lineWithin(match, timeoutMs, from);
    if (line !== undefined) return line;
    const why = this.#exited ? "process exited" : `timeout after ${timeoutMs} ms`;
    throw new Error(
      `wait for line ${String(match)} from ${this.label}: ${why}; stdout tail ${
        JSON.stringify(this.#lines.slice(-5))
      }; stderr tail ${JSON.stringify(this.#stderrTail.slice(-500))}`,
    );
  }

  /** Like waitForLine, but resolves undefined instead of throwing (for "nothing arrives" assertions). */
  async lineWithin(match: LineMatch, timeoutMs: number, from = 0): Promise<string | undefined> {
    const deadline = performance.now() + timeoutMs;
    let next = from;
    // Each pass either finds the line, sees the process gone, or sleeps until a new line or the deadline.
    for (;;) {
      for (; next < this.#lines.length; next++) {
        const line = this.#lines[next];
        if (matches(match, line)) return line;
      }
      const left = deadline - performance.now();
      if (left <= 0 || this.#exitedAndDrained) return undefined;
      await this.#sleepUntilWoken(left);
    }
  }

  kill(signal: Deno.Signal = "SIGTERM"): void {
    if (this.#exited) return;
    try {
      this.#child.kill(signal);
    } catch {
      // Already gone between the check and the signal.
    }
  }

  /** Stops the process (SIGTERM, then SIGKILL after KILL_GRACE_MS) and waits for it and its pipes. */
  async close(): Promise<void> {
    await this.#stdin.close().catch(() => {});
    this.kill("SIGTERM");
    let timer: ReturnType<typeof setTimeout> | undefined;
    const escalated = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        this.kill("SIGKILL");
        resolve();
      }, KILL_GRACE_MS);
    });
    await Promise.race([this.status, escalated]);
    clearTimeout(timer);
    await this.status;
    await this.#pumps;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  get #exitedAndDrained(): boolean {
    return this.#exited && this.#drained;
  }

  #sleepUntilWoken(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#wakers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.#wakers.add(done);
    });
  }

  #wake(): void {
    for (const waker of [...this.#wakers]) waker();
  }

  async #pumpStdout(): Promise<void> {
    let pending = "";
    const stream = this.#child.stdout.pipeThrough(new TextDecoderStream());
    for await (const chunk of stream) {
      pending += chunk;
      const parts = pending.split("\n");
      pending = parts.pop() ?? "";
      for (const line of parts) {
        if (this.#lines.length < MAX_PROCESS_LINES) this.#lines.push(line);
      }
      if (parts.length > 0) this.#wake();
    }
    if (pending !== "" && this.#lines.length < MAX_PROCESS_LINES) this.#lines.push(pending);
    this.#drained = true;
  }

  async #pumpStderr(): Promise<void> {
    const stream = this.#child.stderr.pipeThrough(new TextDecoderStream());
    for await (const chunk of stream) {
      this.#stderrTail = (this.#stderrTail + chunk).slice(-STDERR_TAIL_BYTES);
    }
  }
}
