// End-to-end: the real `pilotctl` process (deno run main.ts) with a temporary PILOT_HOME (CLI.md §1–3).
import assert from "node:assert/strict";
import { COMMAND_TABLE } from "../../src/cli/command_table.ts";

const MAIN = new URL("../../main.ts", import.meta.url).pathname;

interface ProcessOutcome {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

async function pilotctl(args: string[], env: Record<string, string>): Promise<ProcessOutcome> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, ...args],
    env: { NO_COLOR: "1", ...env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

async function withHome(fn: (env: Record<string, string>, home: string) => Promise<void>): Promise<void> {
  const root = await Deno.makeTempDir({ prefix: "pilotctl-e2e-" });
  try {
    const home = `${root}/pilot`;
    await fn({ PILOT_HOME: home, PILOT_SOCKET: `${root}/pilot.sock` }, home);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}

Deno.test("e2e: version prints one human line and exits 0", async () => {
  const out = await pilotctl(["version"], {});
  assert.equal(out.code, 0, out.stderr);
  assert.match(out.stdout, /^pilotctl 0\.1\.0 \(deno \d+\.\d+\.\d+, [a-z]+-[a-z0-9_]+\)\n$/);
  assert.equal(out.stderr, "");
});

Deno.test("e2e: --json context prints one ok envelope listing every command", async () => {
  await withHome(async (env) => {
    const out = await pilotctl(["--json", "context"], env);
    assert.equal(out.code, 0, out.stderr);
    assert.equal(out.stdout.trimEnd().split("\n").length, 1);
    const envelope = JSON.parse(out.stdout);
    assert.equal(envelope.status, "ok");
    assert.deepEqual(Object.keys(envelope.data.commands).sort(), COMMAND_TABLE.map((s) => s.name).sort());
  });
});

Deno.test("e2e: init then config --set then config show the change with its source", async () => {
  await withHome(async (env, home) => {
    const init = await pilotctl(["init", "--hostname", "alice", "--json"], env);
    assert.equal(init.code, 0, init.stderr);
    const data = JSON.parse(init.stdout).data;
    assert.equal(data.created, true);
    assert.equal(data.socket, env.PILOT_SOCKET);
    if (Deno.build.os !== "windows") {
      assert.equal((await Deno.stat(home)).mode! & 0o777, 0o700);
      assert.equal((await Deno.stat(`${home}/identity.json`)).mode! & 0o777, 0o600);
    }
    const set = await pilotctl(["config", "--set", "public=true", "--set", "log_level=debug"], env);
    assert.equal(set.code, 0, set.stderr);
    const show = await pilotctl(["config", "--json"], env);
    const shown = JSON.parse(show.stdout).data;
    assert.equal(shown.values.public, true);
    assert.equal(shown.sources.public, "config");
    assert.equal(shown.values.hostname, "alice");
    assert.equal(shown.sources.socket, "env");
    const again = await pilotctl(["--json", "init"], env);
    assert.equal(JSON.parse(again.stdout).data.created, false);
    assert.equal(JSON.parse(again.stdout).data.public_key, data.public_key);
  });
});

Deno.test("e2e: usage errors exit 2 with the invalid_argument envelope; bare pilotctl prints usage", async () => {
  await withHome(async (env) => {
    const bad = await pilotctl(["config", "--bogus", "--json"], env);
    assert.equal(bad.code, 2);
    assert.equal(bad.stdout, "");
    assert.equal(
      bad.stderr,
      '{"status":"error","code":"invalid_argument","message":"unknown flag \\"--bogus\\"","hint":"pilotctl config --help"}\n',
    );
    const bare = await pilotctl([], env);
    assert.equal(bare.code, 2);
    assert.equal(bare.stdout, "");
    assert.match(bare.stderr, /Usage: pilotctl <command>/);
    const unknown = await pilotctl(["frobnicate"], env);
    assert.equal(unknown.code, 2);
    assert.equal(unknown.stderr, 'error: unknown command "frobnicate"\nhint:  pilotctl --help\n');
  });
});

Deno.test("e2e: an invalid value exits 1", async () => {
  await withHome(async (env) => {
    const out = await pilotctl(["init", "--hostname", "NOT_OK"], env);
    assert.equal(out.code, 1);
    assert.equal(out.stderr, 'error: invalid hostname "NOT_OK"\n');
  });
});
