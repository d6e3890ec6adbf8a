// A real `pilotctl registry run --json` process on loopback for benchmarks and end-to-end tests: ephemeral ports,
// optionally the rate limits off (`--limits` file `{"enabled":false}`, PROTOCOL-BRIEF §4.5), and the ready envelope
// parsed (CLI.md §3.2). Disposal kills the process and removes the temporary limits file.
import { PilotProcess } from "./pilot_process.ts";

/** The `data` of the ready envelope (CLI.md §3.2). */
export interface RegistryReady {
  readonly pid: number;
  readonly registry: string;
  readonly beacon: string | null;
  readonly store: string;
  readonly metrics: string | null;
  readonly dashboard: string | null;
}

export interface RegistryProcessOptions {
  /** A SQLite path or `:memory:`. */
  readonly store: string;
  /** Runs with `{"enabled":false}`; benchmarks and load tests must say so in their output. */
  readonly limitsOff?: boolean;
  /** Defaults to `warn`, so a load run does not spend its time logging. */
  readonly logLevel?: string;
  readonly beacon?: boolean;
  readonly extraArgs?: readonly string[];
  readonly env?: Record<string, string>;
  readonly readyTimeoutMs?: number;
}

export const LIMITS_OFF_JSON = '{"enabled":false}';

export class RegistryProcess implements AsyncDisposable {
  readonly process: PilotProcess;
  readonly ready: RegistryReady;
  readonly #tempDir: string | null;

  private constructor(process: PilotProcess, ready: RegistryReady, tempDir: string | null) {
    this.process = process;
    this.ready = ready;
    this.#tempDir = tempDir;
  }

  /** Starts the process and resolves once its ready envelope is on stdout. */
  static async start(opts: RegistryProcessOptions): Promise<RegistryProcess> {
    const args = [
      "registry",
      "run",
      "--json",
      "--listen",
      "127.0.0.1:0",
      "--beacon-listen",
      opts.beacon === false ? "off" : "127.0.0.1:0",
      "--store",
      opts.store,
      "--log-level",
      opts.logLevel ?? "warn",
    ];
    let tempDir: string | null = null;
    if (opts.limitsOff) {
      tempDir = await Deno.makeTempDir({ prefix: "pilot-limits-" });
      const file = `${tempDir}/limits.json`;
      await Deno.writeTextFile(file, LIMITS_OFF_JSON);
      args.push("--limits", file);
    }
    args.push(...(opts.extraArgs ?? []));
    const process = PilotProcess.spawn(args, opts.env);
    try {
      const out = await process.waitForStdout((s) => s.includes("\n"), opts.readyTimeoutMs);
      const envelope = JSON.parse(out.slice(0, out.indexOf("\n")));
      if (envelope.status !== "ok") throw new Error(`unexpected ready line: ${out}`);
      return new RegistryProcess(process, envelope.data as RegistryReady, tempDir);
    } catch (err) {
      await process[Symbol.asyncDispose]();
      if (tempDir !== null) await Deno.remove(tempDir, { recursive: true });
      throw err;
    }
  }

  /** `127.0.0.1:<port>`, for RegistryClient. */
  get address(): string {
    return this.ready.registry;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.process[Symbol.asyncDispose]();
    if (this.#tempDir !== null) await Deno.remove(this.#tempDir, { recursive: true }).catch(() => {});
  }
}
