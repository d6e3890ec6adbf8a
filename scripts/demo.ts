// `deno task demo`: the two-agent walk-through of CLI.md §4 with the real CLI. A throw-away registry and two agents
// (alice, bob) run from a temporary directory, each with its own PILOT_HOME and PILOT_SOCKET; the transcript shows
// every command as `$ alice …` followed by its output: refused before trust, handshake → pending → approve, then
// ping, bench and a message to bob's inbox. Everything it started is stopped and the directory removed, also when a step fails.
import { MAIN_TS, REPO_ROOT } from "./bench/pilot_process.ts";
import { RegistryProcess } from "./bench/registry_process.ts";

interface Step {
  readonly code: number;
  readonly stdout: string;
}

const decoder = new TextDecoder();
/** Bounded waits: how long `pending` may take to show the request (CLI.md §4: tests wait ≤ 5 s). */
const PENDING_WAIT_MS = 5_000;
const PENDING_POLL_MS = 200;

class Agent {
  readonly name: string;
  readonly env: Record<string, string>;
  readonly home: string;

  constructor(name: string, root: string, registry: string, beacon: string) {
    this.name = name;
    this.home = `${root}/${name}`;
    this.env = {
      PILOT_HOME: this.home,
      PILOT_SOCKET: `${root}/${name}.sock`,
      PILOT_REGISTRY: registry,
      PILOT_BEACON: beacon,
      NO_COLOR: "1",
    };
  }

  /** Runs `pilotctl <args>`, echoing `$ name args` and the output as it arrives; checks the exit status. */
  async run(args: string[], expectCode = 0, quiet = false): Promise<Step> {
    if (!quiet) console.log(`$ ${this.name} ${args.map(shellWord).join(" ")}`);
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", MAIN_TS, ...args],
      cwd: REPO_ROOT,
      env: this.env,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    let stdout = "";
    const show = async (stream: ReadableStream<Uint8Array>, keep: boolean) => {
      for await (const chunk of stream) {
        const text = decoder.decode(chunk);
        if (keep) stdout += text;
        if (!quiet) await Deno.stdout.write(chunk);
      }
    };
    const [status] = await Promise.all([child.status, show(child.stdout, true), show(child.stderr, false)]);
    if (status.code !== expectCode) {
      throw new Error(`"${this.name} ${args.join(" ")}" exited ${status.code}, expected ${expectCode}`);
    }
    return { code: status.code, stdout };
  }

  /** The daemon's pid from its pid file, if any. */
  async pid(): Promise<number | null> {
    try {
      const text = (await Deno.readTextFile(`${this.home}/pilot.pid`)).trim();
      return /^\d+$/.test(text) ? Number(text) : null;
    } catch {
      return null;
    }
  }
}

function shellWord(word: string): string {
  return /^[A-Za-z0-9_.:\/=,-]+$/.test(word) ? word : `"${word.replace(/(["\\$`])/g, "\\$1")}"`;
}

function comment(text: string): void {
  console.log(`\n# ${text}`);
}

async function demo(root: string, agents: Agent[]): Promise<void> {
  const [alice, bob] = agents;
  comment("Each agent has its own state directory and socket; both daemons register with the registry.");
  await alice.run(["daemon", "start", "--hostname", "alice"]);
  await bob.run(["daemon", "start", "--hostname", "bob"]);
  const aliceInfo = JSON.parse((await alice.run(["info", "--json"], 0, true)).stdout).data;
  const bobInfo = JSON.parse((await bob.run(["info", "--json"], 0, true)).stdout).data;

  comment("Both nodes are private. Before trust, traffic is refused (exit 1).");
  await alice.run(["ping", bobInfo.address, "--count", "1"], 1);

  comment("Ask on one side, approve on the other.");
  await alice.run(["handshake", bobInfo.address, "nightly report summaries"]);
  await waitForPending(bob, aliceInfo.node_id);
  await bob.run(["pending"]);
  await bob.run(["approve", String(aliceInfo.node_id)]);

  comment("Trusted: hostnames resolve and traffic flows.");
  await alice.run(["ping", "bob", "--count", "2"]);
  await alice.run(["bench", "bob", "1"]);
  await alice.run(["send-message", "bob", "--data", "hello bob"]);
  await bob.run(["inbox"]);
  await alice.run(["peers"]);

  comment("Clean up.");
  await alice.run(["daemon", "stop"]);
  await bob.run(["daemon", "stop"]);
  console.log(`\ndemo finished (state was in ${root})`);
}

/** `pending` is polled quietly until the request has arrived (bounded). */
async function waitForPending(agent: Agent, from: number): Promise<void> {
  const deadline = performance.now() + PENDING_WAIT_MS;
  while (performance.now() < deadline) {
    const rows = JSON.parse((await agent.run(["pending", "--json"], 0, true)).stdout).data.pending;
    if (rows.some((r: { node_id: number }) => r.node_id === from)) return;
    await new Promise((resolve) => setTimeout(resolve, PENDING_POLL_MS));
  }
  throw new Error(`no trust request from node ${from} within ${PENDING_WAIT_MS} ms`);
}

/** Stops whatever is still running: daemons by `daemon stop`, then by their pid; never by name. */
async function cleanup(agents: Agent[]): Promise<void> {
  for (const agent of agents) {
    const pid = await agent.pid();
    if (pid === null) continue;
    await agent.run(["daemon", "stop"], 0, true).catch(() => {});
    const left = await agent.pid();
    if (left !== null) {
      try {
        Deno.kill(left, "SIGKILL");
      } catch {
        // already gone
      }
    }
  }
}

async function main(): Promise<number> {
  const root = await Deno.makeTempDir({ prefix: "pilot-demo-" });
  let registry: RegistryProcess | null = null;
  const agents: Agent[] = [];
  const interrupted = new AbortController();
  const onSignal = () => interrupted.abort();
  Deno.addSignalListener("SIGINT", onSignal);
  try {
    console.log("$ pilotctl registry run --store :memory: --listen 127.0.0.1:0 --beacon-listen 127.0.0.1:0 &");
    registry = await RegistryProcess.start({ store: ":memory:" });
    console.log(
      `Registry running (pid ${registry.ready.pid}): ${registry.ready.registry} (tcp), ` +
        `${registry.ready.beacon} (udp)`,
    );
    for (const name of ["alice", "bob"]) {
      agents.push(new Agent(name, root, registry.ready.registry, registry.ready.beacon!));
    }
    await Promise.race([
      demo(root, agents),
      new Promise<never>((_, reject) =>
        interrupted.signal.addEventListener("abort", () => reject(new Error("interrupted")), { once: true })
      ),
    ]);
    return 0;
  } catch (err) {
    console.error(`\ndemo failed: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  } finally {
    Deno.removeSignalListener("SIGINT", onSignal);
    await cleanup(agents);
    if (registry !== null) await registry[Symbol.asyncDispose]();
    await Deno.remove(root, { recursive: true }).catch(() => {});
  }
}

if (import.meta.main) Deno.exit(await main());
