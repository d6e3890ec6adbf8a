// The daemon lifecycle commands without a daemon (CLI.md §3.1): --no-encrypt is a usage error, a stopped daemon's
// status, `stop` with nothing running, and how `daemon start` reads a dead daemon's start-up failure from its log.
import assert from "node:assert/strict";
import { parseStartupFailure } from "../../src/cli/commands/daemon_run.ts";
import { Logger } from "../../src/log/logger.ts";
import { RotatingFileSink } from "../../src/daemon/mod.ts";
import { runCli, tempHome } from "../cli/_run.ts";

async function withHome(fn: (env: Record<string, string>, dir: string) => Promise<void>): Promise<void> {
  await using home = await tempHome();
  await fn({ ...home.env, PILOT_SOCKET: `${home.dir}.sock` }, home.dir);
}

Deno.test("daemon start --no-encrypt is a usage error: exit 2, encryption cannot be disabled", async () => {
  await withHome(async (env) => {
    for (const cmd of [["daemon", "start"], ["daemon", "run"]]) {
      const out = await runCli([...cmd, "--no-encrypt"], env);
      assert.equal(out.code, 2);
      assert.equal(out.stderr, `error: encryption cannot be disabled\nhint:  pilotctl ${cmd.join(" ")} --help\n`);
    }
    const json = await runCli(["daemon", "start", "--no-encrypt", "--json"], env);
    assert.equal(
      json.stderr,
      '{"status":"error","code":"invalid_argument","message":"encryption cannot be disabled",' +
        '"hint":"pilotctl daemon start --help"}\n',
    );
  });
});

Deno.test("daemon start refuses a malformed --email or --hostname before starting anything", async () => {
  await withHome(async (env, dir) => {
    const out = await runCli(["daemon", "start", "--hostname", "Bad_Name"], env);
    assert.equal(out.code, 1);
    assert.match(out.stderr, /^error: invalid hostname "Bad_Name"/);
    const mail = await runCli(["daemon", "start", "--email", "nope", "--json"], env);
    assert.equal(mail.code, 1);
    assert.equal(JSON.parse(mail.stderr).code, "invalid_argument");
    await assert.rejects(() => Deno.stat(`${dir}/pilot.pid`));
  });
});

Deno.test("daemon status of a stopped daemon is exit 0 with running false; --check exits 1 silently", async () => {
  await withHome(async (env, dir) => {
    const human = await runCli(["daemon", "status"], env);
    assert.equal(human.code, 0);
    assert.equal(human.stdout, "Daemon: stopped\n  start with: pilotctl daemon start\n");
    const json = await runCli(["daemon", "status", "--json"], env);
    const data = JSON.parse(json.stdout).data;
    assert.equal(data.running, false);
    assert.equal(data.responsive, false);
    assert.equal(data.pid, null);
    assert.equal(data.pid_file, `${dir}/pilot.pid`);
    assert.equal(data.connections, null);
    const check = await runCli(["daemon", "status", "--check"], env);
    assert.deepEqual([check.code, check.stdout, check.stderr], [1, "", ""]);
  });
});

Deno.test("daemon stop with nothing running is not_running and removes a stale pid file", async () => {
  await withHome(async (env, dir) => {
    await Deno.mkdir(dir, { recursive: true });
    const child = new Deno.Command(Deno.execPath(), { args: ["eval", ""], stdout: "null", stderr: "null" }).spawn();
    await child.status;
    await Deno.writeTextFile(`${dir}/pilot.pid`, String(child.pid));
    const out = await runCli(["daemon", "stop"], env);
    assert.equal(out.code, 1);
    assert.equal(out.stderr, "error: daemon is not running\nhint:  pilotctl daemon start\n");
    await assert.rejects(() => Deno.stat(`${dir}/pilot.pid`), Deno.errors.NotFound);
  });
});

Deno.test("parseStartupFailure() reads the last start-up failure of a text or JSON log", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pilot-log-" });
  try {
    for (const format of ["text", "json"] as const) {
      const path = `${dir}/${format}.log`;
      using sink = RotatingFileSink.open(path);
      const log = new Logger({ sink, format }).child("daemon");
      log.info("registering");
      log.error("start-up failed", { code: "internal", message: "old failure" });
      log.error("start-up failed", {
        code: "already_exists",
        message: 'cannot listen on 127.0.0.1:5 (udp): address "in" use',
        hint: "x",
      });
      assert.deepEqual(await parseStartupFailure(path), {
        code: "already_exists",
        message: 'cannot listen on 127.0.0.1:5 (udp): address "in" use',
      });
    }
    assert.equal(await parseStartupFailure(`${dir}/missing.log`), null);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
