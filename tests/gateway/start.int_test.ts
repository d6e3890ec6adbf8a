// `gateway start` as real processes (CLI.md §3.9): `deno run main.ts gateway start` spawns the gateway detached,
// returns once it is ready, and the gateway outlives it; `gateway stop` ends it. A child that fails at start-up hands
// its error to the parent.
import assert from "node:assert/strict";
import { processAlive } from "../../src/gateway/mod.ts";
import { runCli } from "../cli/_run.ts";
import { BOB, startFixture } from "./fixture.ts";

const MAIN = new URL("../../main.ts", import.meta.url).pathname;
/** Bound on one CLI process (a cold `deno run` plus the gateway's start-up). */
const CLI_TIMEOUT_MS = 60_000;

async function pilotctl(argv: string[], env: Record<string, string>) {
  // The real HOME stays, so `deno run` finds its module cache (DENO_DIR defaults to ~/.cache/deno).
  const { HOME: _home, ...rest } = env;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, ...argv],
    env: { ...rest, NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(CLI_TIMEOUT_MS),
  }).output();
  const decoder = new TextDecoder();
  return { code: out.code, stdout: decoder.decode(out.stdout), stderr: decoder.decode(out.stderr) };
}

Deno.test("gateway start spawns a detached gateway that serves until gateway stop", async () => {
  await using f = await startFixture({ gateway: false });
  let pid: number | null = null;
  try {
    const started = await pilotctl(["gateway", "start", "--subnet", f.subnet.text, "--ports", "8080", "bob"], f.env);
    assert.equal(started.code, 0, started.stderr);
    const m = /^Gateway running \(pid (\d+)\)\n/.exec(started.stdout);
    assert.ok(m, started.stdout);
    pid = Number(m[1]);
    assert.equal(started.stdout, `Gateway running (pid ${pid})\n  ${f.ip(1)} -> ${BOB}  ports 8080\n`);
    // The `pilotctl gateway start` process has exited; the gateway it started has not.
    assert.ok(processAlive(pid));
    assert.equal(await Deno.readTextFile(f.pidFile), String(pid));
    assert.equal((await Deno.stat(`${f.home}/gateway.log`)).mode! & 0o777, 0o600);

    using client = Deno.createHttpClient({});
    const res = await fetch(`http://${f.ip(1)}:8080/hello?n=5`, { client });
    assert.equal(await res.text(), "hello 5");

    const list = await runCli(["gateway", "list", "--json"], f.env);
    assert.equal(JSON.parse(list.stdout).data.total, 1);
    const again = await runCli(["gateway", "start", "--subnet", f.subnet.text, "--json"], f.env);
    assert.equal(again.code, 1);
    assert.equal(JSON.parse(again.stderr).code, "already_exists");

    const stopped = await runCli(["gateway", "stop"], f.env);
    assert.equal(stopped.code, 0, stopped.stderr);
    assert.equal(stopped.stdout, `Gateway stopped (pid ${pid})\n`);
    assert.equal(processAlive(pid), false);
    await assert.rejects(Deno.stat(f.pidFile), Deno.errors.NotFound);
  } finally {
    if (pid !== null && processAlive(pid)) Deno.kill(pid, "SIGKILL");
  }
});

Deno.test("gateway start reports the child's start-up failure as its own", async () => {
  await using f = await startFixture({ gateway: false });
  const env = { ...f.env, PILOT_SOCKET: `${f.root}/no-daemon.sock` };
  const out = await pilotctl(["gateway", "start", "--subnet", f.subnet.text, "--ports", "8080"], env);
  assert.equal(out.code, 1);
  assert.equal(
    out.stderr,
    `error: daemon is not running (socket ${f.root}/no-daemon.sock)\nhint:  pilotctl daemon start\n`,
  );
  await assert.rejects(Deno.stat(f.pidFile), Deno.errors.NotFound);
});
