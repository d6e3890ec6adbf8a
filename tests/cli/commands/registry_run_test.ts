// `pilotctl registry run` in-process (CLI.md §1.1, §3.2): the flags and defaults, the ready block and envelope, the
// end of the foreground mode by an injected AbortSignal, the store flushed on the way out, and the start-up failures.
import assert from "node:assert/strict";
import { registryRunCommand, registryRunCommandWith } from "../../../src/cli/commands/registry_run.ts";
import type { ForegroundDeps } from "../../../src/cli/foreground.ts";
import { generateIdentity } from "../../../src/crypto/mod.ts";
import { MemorySink } from "../../../src/log/logger.ts";
import { RegistryClient } from "../../../src/registry/mod.ts";
import { type CliOutcome, runCli, tempHome } from "../_run.ts";

const LOOPBACK = ["--listen", "127.0.0.1:0", "--beacon-listen", "127.0.0.1:0"];

interface Session {
  readonly outcome: CliOutcome;
  readonly logs: string[];
}

/**
 * Runs `registry run` in-process; `whileReady` gets the ready data, and the mode is ended (as a signal would)
 * when it returns or throws. The run is bounded: a mode that never becomes ready fails the test.
 */
async function session(
  argv: string[],
  env: Record<string, string>,
  whileReady: (data: Record<string, unknown>) => Promise<void> = () => Promise.resolve(),
): Promise<Session> {
  const stop = new AbortController();
  const sink = new MemorySink();
  let during: Promise<void> = Promise.resolve();
  const deps: ForegroundDeps = {
    signal: stop.signal,
    logSink: sink,
    onReady: (data) => {
      during = whileReady(data).finally(() => stop.abort());
    },
  };
  const guard = setTimeout(() => stop.abort(), 20_000);
  try {
    const outcome = await runCli(["registry", "run", ...argv], env, { table: [registryRunCommandWith(deps)] });
    await during;
    return { outcome, logs: sink.lines };
  } finally {
    clearTimeout(guard);
  }
}

async function register(address: string, identity = generateIdentity()): Promise<number> {
  await using client = await RegistryClient.connect({ address });
  return (await client.register(identity, { listenPort: 4000 })).node_id;
}

Deno.test("registry run declares the flags and defaults of CLI.md §3.2", () => {
  const flags = Object.fromEntries(registryRunCommand.flags.map((f) => [f.name, f.default ?? ""]));
  assert.deepEqual(flags, {
    listen: ":9000",
    "beacon-listen": ":9001",
    store: "<home>/registry.db",
    postgres: "",
    "tls-cert": "",
    "tls-key": "",
    limits: "",
    metrics: "",
    dashboard: "",
    "log-level": "info",
    "log-format": "text",
  });
  assert.deepEqual(registryRunCommand.returns, ["pid", "registry", "beacon", "store", "metrics", "dashboard"]);
  assert.equal(registryRunCommand.needsDaemon, false);
});

Deno.test("registry run --json prints exactly one envelope and exits 0 when stopped", async () => {
  const { outcome, logs } = await session(["--json", ...LOOPBACK, "--store", ":memory:"], {}, async (data) => {
    assert.ok(await register(data.registry as string) > 0);
  });
  assert.equal(outcome.code, 0, outcome.stderr);
  assert.equal(outcome.stderr, "");
  const lines = outcome.stdout.split("\n");
  assert.deepEqual(lines.slice(1), [""], "one line");
  const envelope = JSON.parse(lines[0]);
  assert.equal(envelope.status, "ok");
  assert.equal(envelope.data.pid, Deno.pid);
  assert.match(envelope.data.beacon, /^127\.0\.0\.1:\d+$/);
  assert.equal(envelope.data.store, "sqlite :memory:");
  assert.ok(logs.some((l) => l.includes("registry started")), "logs go to the log sink, not stdout");
  assert.ok(logs.some((l) => l.includes("shutting down") && l.includes("signal=abort")));
});

Deno.test("registry run prints the human ready block with 'Beacon:    off' and no optional lines", async () => {
  const { outcome } = await session(["--listen", "127.0.0.1:0", "--beacon-listen", "off", "--store", ":memory:"], {});
  assert.equal(outcome.code, 0, outcome.stderr);
  const lines = outcome.stdout.split("\n");
  assert.equal(lines.length, 5, outcome.stdout);
  assert.equal(lines[0], `Registry running (pid ${Deno.pid})`);
  assert.match(lines[1], /^ {2}Registry: {2}127\.0\.0\.1:\d+ \(tcp\)$/);
  assert.equal(lines[2], "  Beacon:    off");
  assert.equal(lines[3], "  Store:     sqlite :memory:");
  assert.equal(lines[4], "");
});

Deno.test("registry run stores in <home>/registry.db by default and flushes it on the way out", async () => {
  await using home = await tempHome();
  const identity = generateIdentity();
  let nodeId = 0;
  const first = await session(["--json", ...LOOPBACK], home.env, async (data) => {
    assert.equal(data.store, `sqlite ${home.dir}/registry.db`);
    nodeId = await register(data.registry as string, identity);
  });
  assert.equal(first.outcome.code, 0, first.outcome.stderr);
  if (Deno.build.os !== "windows") {
    assert.equal((await Deno.stat(`${home.dir}/registry.db`)).mode! & 0o777, 0o600);
  }
  const second = await session(["--json", ...LOOPBACK], home.env, async (data) => {
    assert.equal(await register(data.registry as string, identity), nodeId, "same key, same node id after restart");
  });
  assert.equal(second.outcome.code, 0, second.outcome.stderr);
});

Deno.test("registry run with limits off says so in its log", async () => {
  await using home = await tempHome();
  const limits = `${home.dir}.limits.json`;
  await Deno.writeTextFile(limits, '{"enabled":false}');
  try {
    const { outcome, logs } = await session([...LOOPBACK, "--store", ":memory:", "--limits", limits], {});
    assert.equal(outcome.code, 0, outcome.stderr);
    assert.ok(logs.some((l) => l.includes("WARN") && l.includes("rate limits are off")), logs.join("\n"));
  } finally {
    await Deno.remove(limits);
  }
});

Deno.test("registry run --log-format json writes JSON log lines", async () => {
  const { logs } = await session([...LOOPBACK, "--store", ":memory:", "--log-format", "json"], {});
  assert.ok(logs.length > 0);
  for (const line of logs) assert.equal(typeof JSON.parse(line).msg, "string");
});

async function failure(argv: string[], env: Record<string, string> = {}): Promise<Record<string, string>> {
  const { outcome } = await session(["--json", ...argv], env, () => {
    throw new Error("a failing start must never become ready");
  });
  assert.equal(outcome.code, 1, outcome.stderr);
  assert.equal(outcome.stdout, "", "no ready block on a failed start");
  return JSON.parse(outcome.stderr);
}

Deno.test("registry run with only --tls-cert is invalid_argument and creates no store", async () => {
  await using home = await tempHome();
  const err = await failure([...LOOPBACK, "--tls-cert", "/nonexistent/cert.pem"], home.env);
  assert.equal(err.code, "invalid_argument");
  assert.equal(err.message, "--tls-cert and --tls-key must be given together");
  await assert.rejects(Deno.stat(`${home.dir}/registry.db`), Deno.errors.NotFound);
});

Deno.test("registry run with an unreadable certificate is invalid_argument", async () => {
  const err = await failure([
    ...LOOPBACK,
    "--store",
    ":memory:",
    "--tls-cert",
    "/nonexistent/cert.pem",
    "--tls-key",
    "/nonexistent/key.pem",
  ]);
  assert.equal(err.code, "invalid_argument");
  assert.match(err.message, /^cannot read certificate \/nonexistent\/cert\.pem/);
});

Deno.test("registry run with a bad --listen address is invalid_argument", async () => {
  const err = await failure(["--listen", "localhost", "--beacon-listen", "off", "--store", ":memory:"]);
  assert.equal(err.code, "invalid_argument");
  assert.equal(err.message, 'invalid --listen address "localhost": want host:port');
});

Deno.test("registry run with a bad --log-level is invalid_argument", async () => {
  const err = await failure([...LOOPBACK, "--store", ":memory:", "--log-level", "loud"]);
  assert.equal(err.code, "invalid_argument");
  assert.equal(err.message, 'invalid value "loud" for --log-level (use debug, info, warn or error)');
});

Deno.test("registry run with an empty --store is invalid_argument", async () => {
  const err = await failure([...LOOPBACK, "--store", ""]);
  assert.equal(err.code, "invalid_argument");
});

Deno.test("registry run on a bound port is already_exists", async () => {
  using busy = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (busy.addr as Deno.NetAddr).port;
  const err = await failure(["--listen", `127.0.0.1:${port}`, "--beacon-listen", "off", "--store", ":memory:"]);
  assert.equal(err.code, "already_exists");
});

Deno.test("registry run refuses a corrupt store with internal and leaves the file untouched", async () => {
  await using home = await tempHome();
  await Deno.mkdir(home.dir, { recursive: true });
  const store = `${home.dir}/registry.db`;
  const garbage = "this is not a database\n".repeat(40);
  await Deno.writeTextFile(store, garbage);
  const err = await failure([...LOOPBACK, "--store", store], home.env);
  assert.equal(err.code, "internal");
  assert.match(err.message, /not a SQLite database/);
  assert.equal(await Deno.readTextFile(store), garbage);
});
