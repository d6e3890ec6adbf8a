// The examples/ programs as real processes against real daemon processes: a `registry run` process and two
// `daemon start` daemons (alice, bob) that trust each other, then each example run with `deno run -A` and its
// output checked: echo server and client, the request/response agent, publish/subscribe, and every `--help`.
import assert from "node:assert/strict";
import { PilotProcess, REPO_ROOT } from "../../scripts/bench/pilot_process.ts";
import { RegistryProcess } from "../../scripts/bench/registry_process.ts";
import { processAlive, readPidFile } from "../../src/daemon/mod.ts";
import { connect } from "../../mod.ts";
import { trustEachOther } from "./_sdk.ts";

interface Outcome {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** The Deno cache of this process: the children get another HOME, and must not start an empty cache there. */
function denoDir(): string {
  const explicit = Deno.env.get("DENO_DIR");
  if (explicit) return explicit;
  const cache = Deno.env.get("XDG_CACHE_HOME") ?? `${Deno.env.get("HOME")}/.cache`;
  return `${cache}/deno`;
}

function example(name: string, args: readonly string[], env: Record<string, string>): PilotProcess {
  return PilotProcess.spawnScript(`${REPO_ROOT}examples/${name}`, args, env);
}

/** Waits for the process to exit on its own (bounded), then its output. */
async function exited(p: PilotProcess, timeoutMs = 30_000): Promise<Outcome> {
  const timer = setTimeout(() => p.kill("SIGKILL"), timeoutMs);
  try {
    const status = await p.status;
    await p.drained();
    return { code: status.code, stdout: p.stdout, stderr: p.stderr };
  } finally {
    clearTimeout(timer);
  }
}

async function run(name: string, args: readonly string[], env: Record<string, string>): Promise<Outcome> {
  await using p = example(name, args, env);
  return await exited(p);
}

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
    env,
    async start(): Promise<void> {
      await using p = PilotProcess.spawn(["daemon", "start", "--hostname", name], env);
      const out = await exited(p);
      assert.equal(out.code, 0, out.stderr);
    },
    async [Symbol.asyncDispose](): Promise<void> {
      await using p = PilotProcess.spawn(["daemon", "stop"], env);
      await exited(p).catch(() => {});
      const pid = await readPidFile(`${home}/pilot.pid`).catch(() => null);
      if (pid !== null && processAlive(pid)) Deno.kill(pid, "SIGKILL");
    },
  };
}

Deno.test("the examples run against real daemons and print what they document", async (t) => {
  const root = await Deno.makeTempDir({ prefix: "pilot-sdk-e2e-" });
  try {
    await using reg = await RegistryProcess.start({ store: ":memory:" });
    await using alice = agent(root, "alice", reg.ready.registry, reg.ready.beacon!);
    await using bob = agent(root, "bob", reg.ready.registry, reg.ready.beacon!);
    await Promise.all([alice.start(), bob.start()]);
    const aliceAddr = await (async () => {
      await using a = await connect({ socket: alice.env.PILOT_SOCKET, env: new Map([["HOME", root]]) });
      await using b = await connect({ socket: bob.env.PILOT_SOCKET, env: new Map([["HOME", root]]) });
      await trustEachOther(a, b);
      return a.address;
    })();
    const bobAddr = await (async () => {
      await using b = await connect({ socket: bob.env.PILOT_SOCKET, env: new Map([["HOME", root]]) });
      return b.address;
    })();

    await t.step("--help prints the usage and exits 0; a usage error exits 2", async () => {
      for (const name of ["echo_server.ts", "echo_client.ts", "request_response_agent.ts", "pubsub.ts"]) {
        const out = await run(name, ["--help"], alice.env);
        assert.equal(out.code, 0, out.stderr);
        assert.match(out.stdout, /^Usage:/, name);
      }
      assert.equal((await run("echo_client.ts", [], alice.env)).code, 2);
    });

    await t.step("echo_client gets its message back from echo_server", async () => {
      await using server = example("echo_server.ts", ["--port", "7000", "--count", "1"], bob.env);
      await server.waitForStdout((s) => s.includes("\n"));
      assert.equal(server.stdout, `echo server on ${bobAddr} port 7000\n`);
      const client = await run("echo_client.ts", ["bob", "--message", "hello over pilot"], alice.env);
      assert.equal(client.code, 0, client.stderr);
      const lines = client.stdout.split("\n");
      assert.equal(lines[0], `connected to ${bobAddr} port 7000`);
      assert.equal(lines[1], "echo: hello over pilot");
      assert.match(lines[2], /^16 bytes back in \d+\.\d ms \(dial included\)$/);
      const served = await exited(server);
      assert.equal(served.code, 0, served.stderr);
      assert.match(
        served.stdout,
        new RegExp(`\\nechoed 16 bytes to ${aliceAddr.replaceAll(".", "\\.")} port \\d+\\n$`),
      );
    });

    await t.step("echo_client without a server fails with the refused error and exit 1", async () => {
      const out = await run("echo_client.ts", [bobAddr, "--port", "7001"], alice.env);
      assert.equal(out.code, 1);
      assert.equal(
        out.stderr,
        `error: connection refused: ${bobAddr} port 7001\nhint:  check that a service listens on port 7001\n`,
      );
    });

    await t.step("request_response_agent answers JSON requests with the caller taken from the tunnel", async () => {
      await using server = example("request_response_agent.ts", ["serve", "--count", "3"], bob.env);
      await server.waitForStdout((s) => s.includes("\n"));
      assert.equal(server.stdout, `serving on ${bobAddr} port 8080\n`);
      const whoami = await run("request_response_agent.ts", ["request", "bob", "GET", "/whoami"], alice.env);
      assert.equal(whoami.code, 0, whoami.stderr);
      assert.equal(whoami.stdout, `200 OK\n${JSON.stringify({ you: aliceAddr, me: bobAddr }, null, 2)}\n`);
      const sum = await run(
        "request_response_agent.ts",
        ["request", bobAddr, "post", "/sum", "--body", '{"numbers":[1,2,3.5]}'],
        alice.env,
      );
      assert.equal(sum.stdout, `200 OK\n${JSON.stringify({ sum: 6.5 }, null, 2)}\n`);
      const missing = await run("request_response_agent.ts", ["request", "bob", "GET", "/nope"], alice.env);
      assert.equal(missing.code, 1);
      assert.match(missing.stdout, /^404 Not Found\n/);
      const served = await exited(server);
      assert.equal(served.code, 0, served.stderr);
      const log = served.stdout.split("\n").slice(1, -1).sort();
      assert.deepEqual(log, [
        `GET /nope from ${aliceAddr} -> 404`,
        `GET /whoami from ${aliceAddr} -> 200`,
        `POST /sum from ${aliceAddr} -> 200`,
      ]);
    });

    await t.step("pubsub subscribe prints the events pubsub publish sends", async () => {
      await using sub = example("pubsub.ts", ["subscribe", "bob", "jobs.*", "--count", "2"], alice.env);
      await sub.waitForStdout((s) => s.includes("\n"));
      assert.equal(sub.stdout, `subscribed to "jobs.*" on bob\n`);
      const first = await run("pubsub.ts", ["publish", bobAddr, "jobs.done", "build 42"], bob.env);
      assert.equal(first.code, 0, first.stderr);
      assert.equal(first.stdout, `published "jobs.done" to 1 subscriber\n`);
      const other = await run("pubsub.ts", ["publish", bobAddr, "mail.new", "ignored"], bob.env);
      assert.equal(other.stdout, `published "mail.new" to 0 subscribers\n`);
      await run("pubsub.ts", ["publish", bobAddr, "jobs.failed", "build 43"], bob.env);
      const got = await exited(sub);
      assert.equal(got.code, 0, got.stderr);
      assert.equal(
        got.stdout,
        `subscribed to "jobs.*" on bob\n[jobs.done] build 42 (from ${bobAddr})\n[jobs.failed] build 43 (from ${bobAddr})\n`,
      );
    });
  } finally {
    await Deno.remove(root, { recursive: true }).catch(() => {});
  }
});
