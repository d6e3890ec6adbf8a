// `daemon start | status | stop` as real processes (CLI.md §3.1): a `registry run` process, then the CLI starting a
// detached `daemon run`, reporting it and stopping it; the refusals (already running, unreachable registry, a daemon
// that dies while starting) with their exact codes and hints.
import assert from "node:assert/strict";
import { PilotProcess } from "../../scripts/bench/pilot_process.ts";
import { RegistryProcess } from "../../scripts/bench/registry_process.ts";
import { processAlive, readPidFile } from "../../src/daemon/mod.ts";

interface Outcome {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

async function cli(args: string[], env: Record<string, string>): Promise<Outcome> {
  await using p = PilotProcess.spawn(args, env);
  const status = await p.status;
  await p.drained();
  return { code: status.code, stdout: p.stdout, stderr: p.stderr };
}

/** The Deno cache of this process: the children get another HOME, and must not start an empty cache there. */
export function denoDir(): string {
  const explicit = Deno.env.get("DENO_DIR");
  if (explicit) return explicit;
  const cache = Deno.env.get("XDG_CACHE_HOME") ?? `${Deno.env.get("HOME")}/.cache`;
  return `${cache}/deno`;
}

/** A home per agent; whatever daemon is still running at the end is killed by its pid. */
function agent(root: string, name: string, registry: string, beacon: string) {
  const home = `${root}/${name}`;
  const env = {
    DENO_DIR: denoDir(),
    HOME: root,
    PILOT_HOME: home,
    PILOT_SOCKET: `${root}/${name}.sock`,
    PILOT_REGISTRY: registry,
    PILOT_BEACON: beacon,
  };
  return {
    home,
    env,
    run: (args: string[]) => cli(args, env),
    async [Symbol.asyncDispose]() {
      const pid = await readPidFile(`${home}/pilot.pid`).catch(() => null);
      if (pid !== null && processAlive(pid)) Deno.kill(pid, "SIGKILL");
    },
  };
}

Deno.test("daemon start, status and stop manage a detached daemon", async () => {
  const root = await Deno.makeTempDir({ prefix: "pilot-e2e-" });
  try {
    await using reg = await RegistryProcess.start({ store: ":memory:" });
    await using alice = agent(root, "alice", reg.ready.registry, reg.ready.beacon!);
    const started = await alice.run(["daemon", "start", "--hostname", "alice"]);
    assert.equal(started.code, 0, started.stderr);
    const pid = await readPidFile(`${alice.home}/pilot.pid`);
    assert.ok(pid !== null && processAlive(pid));
    assert.match(started.stderr, new RegExp(`^starting daemon \\(pid ${pid}\\)\\.+\\n$`));
    assert.equal(
      started.stdout,
      `Daemon running (pid ${pid})\n  Address:  0:0000.0000.0100\n  Hostname: alice\n` +
        `  Socket:   ~/alice.sock\n  Logs:     ~/alice/pilot.log\n`,
    );
    assert.equal((await Deno.stat(`${alice.home}/pilot.log`)).mode! & 0o777, 0o600);

    const again = await alice.run(["daemon", "start"]);
    assert.equal(again.code, 1);
    assert.equal(again.stderr, `error: daemon is already running (pid ${pid})\nhint:  pilotctl daemon stop\n`);

    const status = await alice.run(["daemon", "status", "--json"]);
    const data = JSON.parse(status.stdout).data;
    assert.deepEqual([data.running, data.responsive, data.pid, data.node_id, data.hostname], [
      true,
      true,
      pid,
      256,
      "alice",
    ]);
    const human = await alice.run(["daemon", "status"]);
    assert.match(human.stdout, new RegExp(`^Daemon: running \\(pid ${pid}\\)\\n  Node ID:     256\\n`));
    assert.equal((await alice.run(["daemon", "status", "--check"])).code, 0);

    const stopped = await alice.run(["daemon", "stop"]);
    assert.equal(stopped.code, 0, stopped.stderr);
    assert.equal(stopped.stdout, `Daemon stopped (pid ${pid})\n`);
    assert.equal(processAlive(pid), false);
    await assert.rejects(() => Deno.stat(`${alice.home}/pilot.pid`), Deno.errors.NotFound);
    await assert.rejects(() => Deno.lstat(alice.env.PILOT_SOCKET), Deno.errors.NotFound);
    const after = await alice.run(["daemon", "status"]);
    assert.deepEqual([after.code, after.stdout], [0, "Daemon: stopped\n  start with: pilotctl daemon start\n"]);
    const stopAgain = await alice.run(["daemon", "stop", "--json"]);
    assert.equal(stopAgain.code, 1);
    assert.equal(JSON.parse(stopAgain.stderr).code, "not_running");

    // The same key registers again under the same id.
    const restarted = await alice.run(["daemon", "start", "--json"]);
    assert.equal(JSON.parse(restarted.stdout).data.node_id, 256);
    assert.equal((await alice.run(["daemon", "stop"])).code, 0);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("daemon start reports an unreachable registry after --wait, and the daemon keeps retrying", async () => {
  const root = await Deno.makeTempDir({ prefix: "pilot-e2e-" });
  try {
    // A port nobody listens on: bind and release it.
    const probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = (probe.addr as Deno.NetAddr).port;
    probe.close();
    await using bob = agent(root, "bob", `127.0.0.1:${port}`, "127.0.0.1:9");
    const out = await bob.run(["daemon", "start", "--wait", "1s", "--json"]);
    assert.equal(out.code, 1);
    const err = JSON.parse(out.stderr);
    assert.equal(err.code, "connection_failed");
    assert.match(err.message, /not registered within 1s; it keeps retrying in the background/);
    assert.equal(err.hint, "tail ~/bob/pilot.log");
    const pid = await readPidFile(`${bob.home}/pilot.pid`);
    assert.ok(pid !== null && processAlive(pid), "the daemon is still running");
    const status = await bob.run(["daemon", "status"]);
    assert.equal(status.stdout, `Daemon: not responding (pid ${pid})\n`);
    const stopped = await bob.run(["daemon", "stop"]);
    assert.equal(stopped.stdout, `Daemon stopped (pid ${pid})\n`);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("a daemon that dies while starting is reported with its own error and hint see <log>", async () => {
  const root = await Deno.makeTempDir({ prefix: "pilot-e2e-" });
  try {
    await using reg = await RegistryProcess.start({ store: ":memory:" });
    await using carol = agent(root, "carol", reg.ready.registry, reg.ready.beacon!);
    await Deno.mkdir(carol.home, { mode: 0o700 });
    await Deno.writeTextFile(`${carol.home}/identity.json`, "{not json");
    const out = await carol.run(["daemon", "start"]);
    assert.equal(out.code, 1);
    assert.match(
      out.stderr,
      /\nerror: cannot load identity .*identity\.json: not valid JSON\nhint: {2}see ~\/carol\/pilot\.log\n$/,
    );
    assert.equal(await Deno.readTextFile(`${carol.home}/identity.json`), "{not json", "never regenerated");
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("daemon run prints one ready envelope, serves metrics, and SIGTERM stops it with exit 0", async () => {
  const root = await Deno.makeTempDir({ prefix: "pilot-e2e-" });
  try {
    await using reg = await RegistryProcess.start({ store: ":memory:" });
    await using dave = agent(root, "dave", reg.ready.registry, reg.ready.beacon!);
    await using p = PilotProcess.spawn(["daemon", "run", "--json", "--metrics", "127.0.0.1:0"], dave.env);
    const line = (await p.waitForStdout((s) => s.includes("\n"))).split("\n")[0];
    const data = JSON.parse(line).data;
    assert.equal(data.pid, p.pid);
    assert.equal(data.node_id, 256);
    assert.equal(data.log_file, null);
    assert.match(data.listen, /^0\.0\.0\.0:\d+$/);
    assert.match(data.metrics, /^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    const metrics = await (await fetch(data.metrics)).text();
    assert.match(metrics, /^pilot_peers\{path="direct"\} 0$/m);
    assert.match(metrics, /^# TYPE pilot_drops_total counter$/m);
    assert.equal(await readPidFile(`${dave.home}/pilot.pid`), p.pid);
    const status = await p.stop("SIGTERM");
    assert.equal(status.code, 0);
    await assert.rejects(() => Deno.stat(`${dave.home}/pilot.pid`), Deno.errors.NotFound);
    await assert.rejects(() => Deno.lstat(dave.env.PILOT_SOCKET), Deno.errors.NotFound);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("daemon run waiting for an unreachable registry stops cleanly on SIGTERM", async () => {
  const root = await Deno.makeTempDir({ prefix: "pilot-e2e-" });
  try {
    await using erin = agent(root, "erin", "127.0.0.1:9", "127.0.0.1:9");
    await using p = PilotProcess.spawn(["daemon", "run"], erin.env);
    const pidFile = `${erin.home}/pilot.pid`;
    for (let i = 0; i < 300 && await readPidFile(pidFile) === null; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.equal(await readPidFile(pidFile), p.pid);
    const status = await p.stop("SIGTERM");
    assert.equal(status.code, 0);
    assert.equal(p.stdout, "", "no ready block without registration");
    await assert.rejects(() => Deno.stat(pidFile), Deno.errors.NotFound);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
