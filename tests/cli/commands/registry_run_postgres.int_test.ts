// `pilotctl registry run --postgres` in-process (CLI.md §3.2): the flag and its PILOT_POSTGRES_URL default, the
// --store conflict (invalid_argument, nothing created), an unreachable server (connection_failed, password never
// shown), and a real run on a fresh database that serves clients and keeps their node ids across a restart.
import assert from "node:assert/strict";
import { registryRunCommand, registryRunCommandWith } from "../../../src/cli/commands/registry_run.ts";
import type { ForegroundDeps } from "../../../src/cli/foreground.ts";
import { generateIdentity } from "../../../src/crypto/mod.ts";
import { MemorySink } from "../../../src/log/logger.ts";
import { RegistryClient } from "../../../src/registry/mod.ts";
import { createTestDatabase, postgresTest, probePostgres } from "../../_support/postgres.ts";
import { type CliOutcome, runCli, tempHome } from "../_run.ts";

const pg = await probePostgres();
const LOOPBACK = ["--listen", "127.0.0.1:0", "--beacon-listen", "127.0.0.1:0"];
/** Nothing listens on port 1 of the loopback: the connection is refused at once. */
const UNREACHABLE = "postgres://pilot:not-shown-pw@127.0.0.1:1/pilot";
const SESSION_LIMIT_MS = 20_000;

/** Runs `registry run` in-process; the mode ends (as a signal would) when `whileReady` settles. */
async function session(
  argv: string[],
  env: Record<string, string>,
  whileReady: (data: Record<string, unknown>) => Promise<void> = () => Promise.resolve(),
): Promise<CliOutcome> {
  const stop = new AbortController();
  let during: Promise<void> = Promise.resolve();
  const deps: ForegroundDeps = {
    signal: stop.signal,
    logSink: new MemorySink(),
    onReady: (data) => {
      during = whileReady(data).finally(() => stop.abort());
    },
  };
  const guard = setTimeout(() => stop.abort(), SESSION_LIMIT_MS);
  try {
    const outcome = await runCli(["registry", "run", ...argv], env, { table: [registryRunCommandWith(deps)] });
    await during;
    return outcome;
  } finally {
    clearTimeout(guard);
  }
}

async function failure(argv: string[], env: Record<string, string> = {}): Promise<Record<string, string>> {
  const outcome = await session(["--json", ...argv], env, () => {
    throw new Error("a failing start must never become ready");
  });
  assert.equal(outcome.code, 1, outcome.stderr);
  assert.equal(outcome.stdout, "", "no ready block on a failed start");
  return JSON.parse(outcome.stderr);
}

Deno.test('registry run declares --postgres with default "" read from PILOT_POSTGRES_URL', () => {
  const flag = registryRunCommand.flags.find((f) => f.name === "postgres");
  assert.ok(flag);
  assert.equal(flag.type, "string");
  assert.equal(flag.default, "");
  assert.equal(flag.env, "PILOT_POSTGRES_URL");
});

Deno.test("registry run with --store and --postgres is invalid_argument and creates no store", async () => {
  await using home = await tempHome();
  const store = `${home.dir}/registry.db`;
  const err = await failure([...LOOPBACK, "--store", store, "--postgres", UNREACHABLE], home.env);
  assert.equal(err.code, "invalid_argument");
  assert.equal(err.message, "--store and --postgres cannot be used together: --postgres replaces --store");
  await assert.rejects(Deno.stat(store), Deno.errors.NotFound);
});

Deno.test("registry run with an unreachable PostgreSQL is connection_failed and never shows the password", async () => {
  await using home = await tempHome();
  const err = await failure([...LOOPBACK, "--postgres", UNREACHABLE], home.env);
  assert.equal(err.code, "connection_failed");
  assert.match(err.message, /^cannot connect to PostgreSQL at postgres:\/\/pilot@127\.0\.0\.1:1\/pilot: /);
  assert.doesNotMatch(JSON.stringify(err), /not-shown-pw/);
  await assert.rejects(Deno.stat(`${home.dir}/registry.db`), Deno.errors.NotFound);
});

Deno.test("registry run reads PILOT_POSTGRES_URL, and an explicit --store wins over it", async () => {
  await using home = await tempHome();
  const env = { ...home.env, PILOT_POSTGRES_URL: UNREACHABLE };
  const err = await failure([...LOOPBACK], env);
  assert.equal(err.code, "connection_failed");
  const outcome = await session(["--json", ...LOOPBACK, "--store", ":memory:"], env);
  assert.equal(outcome.code, 0, outcome.stderr);
  assert.equal(JSON.parse(outcome.stdout).data.store, "sqlite :memory:");
});

Deno.test("registry run with a --postgres value that is not a URL is invalid_argument", async () => {
  const err = await failure([...LOOPBACK, "--postgres", "host=db user=pilot"]);
  assert.equal(err.code, "invalid_argument");
  assert.match(err.message, /^invalid PostgreSQL URL "host=db user=pilot"/);
});

postgresTest(pg, "registry run --postgres serves clients and keeps node ids across a restart", async (url) => {
  await using db = await createTestDatabase(url);
  const identity = generateIdentity();
  let nodeId = 0;
  const redacted = db.url.replace(/\/\/([^:@/]*):[^@/]*@/, "//$1@");
  const first = await session(
    ["--json", ...LOOPBACK, "--beacon-listen", "off", "--postgres", db.url],
    {},
    async (d) => {
      assert.equal(d.store, `postgres ${redacted}`);
      assert.equal(d.beacon, null);
      await using client = await RegistryClient.connect({ address: d.registry as string });
      nodeId = (await client.register(identity, { listenPort: 4000 })).node_id;
    },
  );
  assert.equal(first.code, 0, first.stderr);
  const second = await session(["--json", ...LOOPBACK], { PILOT_POSTGRES_URL: db.url }, async (d) => {
    await using client = await RegistryClient.connect({ address: d.registry as string });
    const again = await client.register(identity, { listenPort: 4000 });
    assert.equal(again.node_id, nodeId);
    assert.equal(again.new, false);
  });
  assert.equal(second.code, 0, second.stderr);
});
