// One NAT traversal scenario with real processes (PROTOCOL-BRIEF §5): a NatLab, `pilotctl registry run` (registry
// and beacon) in the public namespace on its 198.18.0.1 address, and a `pilotctl daemon run` in hostA and hostB, each
// with its own PILOT_HOME and PILOT_SOCKET under one temporary directory. CLI commands run with `ip netns exec` in the
// namespace of their daemon. On failure the tails of the daemon logs are printed; close() stops everything.
import { MAIN_TS, REPO_ROOT } from "../../scripts/bench/pilot_process.ts";
import { type LabHost, type LabProcess, NatLab, type NatLabOptions } from "../_support/netns.ts";

export const REGISTRY_PORT = 9000;
export const BEACON_PORT = 9001;
/** Deno start-up, registry registration and the ready line, for one process inside a namespace. */
export const PROCESS_READY_TIMEOUT_MS = 20_000;
/** Upper bound for one CLI command unless the caller gives another. */
export const CLI_TIMEOUT_MS = 30_000;
/** Bounded polling for a state a CLI command reports (pending requests, trust, the path). */
export const POLL_INTERVAL_MS = 250;
const LOG_TAIL_CHARS = 6_000;
/** When set to a directory, each scenario's daemon logs are copied there before teardown (for debugging). */
const KEEP_LOGS_ENV = "PILOT_NAT_KEEP_LOGS";
const TOOLS_TS = new URL("./_tools.ts", import.meta.url).pathname;

export interface CliOutcome {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface Agent {
  readonly host: LabHost;
  readonly home: string;
  readonly socket: string;
  readonly env: Record<string, string>;
  process: LabProcess | null;
  nodeId: number;
  address: string;
}

export interface ScenarioOptions extends NatLabOptions {
  /** Runs a webhook receiver in this host's namespace and points its daemon's `--webhook` at it. */
  readonly webhook?: LabHost;
}

/** Port of the webhook receiver on the loopback of its host's namespace. */
export const WEBHOOK_PORT = 18080;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export class NatScenario implements AsyncDisposable {
  readonly name: string;
  readonly lab: NatLab;
  readonly root: string;
  readonly agents: Readonly<Record<LabHost, Agent>>;
  readonly #webhookHost: LabHost | null;
  #registry: LabProcess | null = null;
  #webhook: LabProcess | null = null;

  private constructor(name: string, lab: NatLab, root: string, options: ScenarioOptions) {
    this.name = name;
    this.lab = lab;
    this.root = root;
    this.#webhookHost = options.webhook ?? null;
    const registry = `${lab.addr("public")}:${REGISTRY_PORT}`;
    const beacon = `${lab.addr("public")}:${BEACON_PORT}`;
    const agent = (host: LabHost, short: string): Agent => ({
      host,
      home: `${root}/${short}`,
      socket: `${root}/${short}.sock`,
      env: {
        NO_COLOR: "1",
        PILOT_HOME: `${root}/${short}`,
        PILOT_SOCKET: `${root}/${short}.sock`,
        PILOT_REGISTRY: registry,
        PILOT_BEACON: beacon,
      },
      process: null,
      nodeId: 0,
      address: "",
    });
    this.agents = { hostA: agent("hostA", "a"), hostB: agent("hostB", "b") };
  }

  /** Builds the lab, starts the registry and both daemons; runs `body`; prints logs if it throws; tears down. */
  static async run(
    name: string,
    options: ScenarioOptions,
    body: (s: NatScenario) => Promise<void>,
  ): Promise<void> {
    const lab = await NatLab.create(options);
    const root = await Deno.makeTempDir({ prefix: "pilot-nat-" });
    const s = new NatScenario(name, lab, root, options);
    try {
      await s.#startRegistry();
      await s.#startWebhookSink();
      await Promise.all([s.startDaemon("hostA"), s.startDaemon("hostB")]);
      await body(s);
    } catch (err) {
      console.error(await s.diagnostics());
      throw err;
    } finally {
      await s.close();
    }
  }

  /** Starts (or restarts) the daemon of `host` and waits for its ready envelope. */
  async startDaemon(host: LabHost): Promise<void> {
    const a = this.agents[host];
    const args = [
      "daemon",
      "run",
      "--json",
      "--log-file",
      `${a.home}/pilot.log`,
      "--log-level",
      "debug",
    ];
    if (host === this.#webhookHost) args.push("--webhook", `http://127.0.0.1:${WEBHOOK_PORT}/pilot`);
    const proc = this.lab.exec(host, [Deno.execPath(), "run", "-A", MAIN_TS, ...args], {
      env: a.env,
      cwd: REPO_ROOT,
      label: `${host}:daemon`,
    });
    a.process = proc;
    const line = await proc.waitForLine((l) => l.startsWith("{"), PROCESS_READY_TIMEOUT_MS);
    const envelope = JSON.parse(line);
    if (envelope.status !== "ok") throw new Error(`start daemon in ${host}: ${line}`);
    a.nodeId = envelope.data.node_id;
    a.address = envelope.data.address;
  }

  /** SIGTERM to the daemon of `host` (a clean shutdown: BYE to peers, deregister) and waits for it. */
  async stopDaemon(host: LabHost): Promise<void> {
    const a = this.agents[host];
    const proc = a.process;
    a.process = null;
    if (proc === null) return;
    await proc.close();
  }

  /** The webhook receiver (lines `event <name> <body>`); throws when the scenario has none. */
  get webhookEvents(): LabProcess {
    if (this.#webhook === null) throw new Error(`${this.name}: no webhook receiver`);
    return this.#webhook;
  }

  /** Runs `pilotctl <args> --json` in the namespace of `host`'s daemon; never throws for a non-zero exit. */
  async cli(host: LabHost, args: readonly string[], timeoutMs = CLI_TIMEOUT_MS): Promise<CliOutcome> {
    const a = this.agents[host];
    const out = await new Deno.Command("ip", {
      args: ["netns", "exec", this.lab.nsName(host), Deno.execPath(), "run", "-A", MAIN_TS, ...args, "--json"],
      cwd: REPO_ROOT,
      env: a.env,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(timeoutMs),
    }).output();
    const text = new TextDecoder();
    return { code: out.code, stdout: text.decode(out.stdout), stderr: text.decode(out.stderr) };
  }

  /** `cli()` that must exit 0; returns the envelope's `data`. */
  async cliOk<T = Record<string, unknown>>(host: LabHost, args: readonly string[], timeoutMs?: number): Promise<T> {
    const r = await this.cli(host, args, timeoutMs);
    if (r.code !== 0) {
      throw new Error(`${host}: pilotctl ${args.join(" ")}: exit ${r.code}: ${r.stderr.trim() || r.stdout.trim()}`);
    }
    return JSON.parse(r.stdout).data as T;
  }

  /** Starts a program of _tools.ts in the namespace of `host`. */
  tool(host: LabHost, args: readonly string[]): LabProcess {
    return this.lab.exec(host, [Deno.execPath(), "run", "-A", TOOLS_TS, ...args], {
      env: { NO_COLOR: "1" },
      cwd: REPO_ROOT,
      label: `${host}:${args[0]}`,
    });
  }

  /**
   * Polls `probe` until it returns a value other than undefined, at most `timeoutMs`; throws with `what` and the
   * last observation otherwise.
   */
  async until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
    const deadline = performance.now() + timeoutMs;
    let last: unknown = undefined;
    for (;;) {
      try {
        const v = await probe();
        if (v !== undefined) return v;
      } catch (err) {
        last = err;
      }
      if (performance.now() >= deadline) {
        throw new Error(`${this.name}: ${what} not within ${timeoutMs} ms${last ? `: ${String(last)}` : ""}`);
      }
      await sleep(POLL_INTERVAL_MS);
    }
  }

  /** The last lines of both daemon logs and the registry's stderr. */
  async diagnostics(): Promise<string> {
    const parts = [`--- ${this.name}: diagnostics (lab ${this.lab.prefix}, dir ${this.root})`];
    for (const a of Object.values(this.agents)) {
      let log = "";
      try {
        log = await Deno.readTextFile(`${a.home}/pilot.log`);
      } catch {
        log = "(no log)";
      }
      parts.push(`--- ${a.host} (node ${a.nodeId}) log tail:\n${log.slice(-LOG_TAIL_CHARS)}`);
      if (a.process !== null) parts.push(`--- ${a.host} stderr: ${a.process.stderrTail}`);
    }
    if (this.#registry !== null) parts.push(`--- registry stderr:\n${this.#registry.stderrTail}`);
    return parts.join("\n");
  }

  async close(): Promise<void> {
    const errors: unknown[] = [];
    for (const host of ["hostA", "hostB"] as const) {
      await this.stopDaemon(host).catch((e) => errors.push(e));
    }
    const keep = Deno.env.get(KEEP_LOGS_ENV);
    if (keep) {
      for (const a of Object.values(this.agents)) {
        await Deno.copyFile(`${a.home}/pilot.log`, `${keep}/${this.name}-${a.host}.log`).catch(() => {});
      }
    }
    await this.lab.close().catch((e) => errors.push(e));
    await Deno.remove(this.root, { recursive: true }).catch((e) => errors.push(e));
    if (errors.length > 0) throw new AggregateError(errors, `tear down scenario ${this.name}`);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  async #startWebhookSink(): Promise<void> {
    if (this.#webhookHost === null) return;
    const sink = this.tool(this.#webhookHost, ["webhook-sink", "127.0.0.1", String(WEBHOOK_PORT)]);
    this.#webhook = sink;
    await sink.waitForLine(/^ready /, PROCESS_READY_TIMEOUT_MS);
  }

  async #startRegistry(): Promise<void> {
    const ip = this.lab.addr("public");
    const args = [
      "registry",
      "run",
      "--json",
      "--listen",
      `${ip}:${REGISTRY_PORT}`,
      "--beacon-listen",
      `${ip}:${BEACON_PORT}`,
      "--store",
      ":memory:",
      "--log-level",
      "info",
    ];
    const proc = this.lab.exec("public", [Deno.execPath(), "run", "-A", MAIN_TS, ...args], {
      env: { NO_COLOR: "1", PILOT_HOME: `${this.root}/registry` },
      cwd: REPO_ROOT,
      label: "public:registry",
    });
    this.#registry = proc;
    const line = await proc.waitForLine((l) => l.startsWith("{"), PROCESS_READY_TIMEOUT_MS);
    if (JSON.parse(line).status !== "ok") throw new Error(`start registry: ${line}`);
  }
}
