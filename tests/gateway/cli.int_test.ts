// The `gateway …` commands in-process against a fake daemon (CLI.md §3.9): `gateway run` in the foreground, then
// list / map / unmap / stop through the control socket, human and --json output, and the failures of the table.
import assert from "node:assert/strict";
import { gatewayListCommand } from "../../src/cli/commands/gateway_list.ts";
import { gatewayMapCommand } from "../../src/cli/commands/gateway_map.ts";
import { gatewayRunCommandWith } from "../../src/cli/commands/gateway_run.ts";
import { gatewayStopCommand } from "../../src/cli/commands/gateway_stop.ts";
import { gatewayUnmapCommand } from "../../src/cli/commands/gateway_unmap.ts";
import type { CommandTable } from "../../src/cli/spec.ts";
import { MemorySink } from "../../src/log/logger.ts";
import { type CliOutcome, runCli } from "../cli/_run.ts";
import { BOB, CAROL, type Fixture, startFixture } from "./fixture.ts";

const NOT_RUNNING = "error: gateway is not running\nhint:  pilotctl gateway start\n";

interface Running {
  readonly table: CommandTable;
  readonly done: Promise<CliOutcome>;
  readonly ready: Promise<Record<string, unknown>>;
  /** Ends the foreground gateway as a signal would. */
  readonly stop: AbortController;
}

function startRun(f: Fixture, argv: string[]): Running {
  const stop = new AbortController();
  let readyResolve!: (data: Record<string, unknown>) => void;
  const ready = new Promise<Record<string, unknown>>((resolve) => readyResolve = resolve);
  const table: CommandTable = [
    gatewayRunCommandWith({ signal: stop.signal, logSink: new MemorySink(), onReady: readyResolve }),
    gatewayListCommand,
    gatewayMapCommand,
    gatewayUnmapCommand,
    gatewayStopCommand,
  ];
  const done = runCli(["gateway", "run", ...argv], f.env, { table });
  // A run that fails at start-up never becomes ready: surface its output instead of waiting.
  const readyOrFailed = Promise.race([
    ready,
    done.then((out) => {
      throw new Error(`gateway run ended before ready: exit ${out.code}: ${out.stderr}`);
    }),
  ]);
  return { table, done, ready: readyOrFailed, stop };
}

async function exists(path: string): Promise<boolean> {
  return await Deno.lstat(path).then(() => true, () => false);
}

Deno.test("gateway run, list, map, unmap and stop work together in-process", async () => {
  await using f = await startFixture({ gateway: false });
  const run = startRun(f, ["--subnet", f.subnet.text, "--ports", "8080,8081", "bob"]);
  try {
    const ready = await run.ready;
    assert.deepEqual(ready, {
      pid: Deno.pid,
      subnet: f.subnet.text,
      ports: [8080, 8081],
      mappings: [{ local_ip: f.ip(1), pilot_addr: BOB, hostname: "bob" }],
    });
    assert.equal(await Deno.readTextFile(f.pidFile), String(Deno.pid));
    assert.equal((await Deno.lstat(f.gatewaySocket)).mode! & 0o777, 0o600);
    const cli = (argv: string[]) => runCli(argv, f.env, { table: run.table });

    const list = await cli(["gateway", "list"]);
    assert.equal(list.code, 0, list.stderr);
    const lines = list.stdout.trimEnd().split("\n");
    assert.match(lines[0], /^LOCAL IP {2,}PILOT ADDRESS {2,}HOSTNAME {2,}CONNS$/);
    assert.match(lines[1], new RegExp(`^${f.ip(1).replaceAll(".", "\\.")} {2,}${BOB} {2,}bob {2,}0$`));

    const mapped = await cli(["gateway", "map", "carol"]);
    assert.equal(mapped.code, 0, mapped.stderr);
    assert.equal(mapped.stdout, `Mapped ${f.ip(2)} -> ${CAROL}\n`);
    assert.equal(mapped.stderr, `resolved "carol" -> ${CAROL}\n`);

    const json = await cli(["gateway", "list", "--json"]);
    assert.deepEqual(JSON.parse(json.stdout), {
      status: "ok",
      data: {
        subnet: f.subnet.text,
        ports: [8080, 8081],
        mappings: [
          { local_ip: f.ip(1), pilot_addr: BOB, hostname: "bob", connections: 0 },
          { local_ip: f.ip(2), pilot_addr: CAROL, hostname: "carol", connections: 0 },
        ],
        total: 2,
      },
    });

    const chosen = await cli(["gateway", "map", "0:0000.0000.0106", f.ip(9), "--json"]);
    assert.deepEqual(JSON.parse(chosen.stdout), {
      status: "ok",
      data: { local_ip: f.ip(9), pilot_addr: "0:0000.0000.0106", hostname: "" },
    });

    const outside = await cli(["gateway", "map", "0:0000.0000.0107", "127.9.9.9", "--json"]);
    assert.equal(outside.code, 1);
    assert.equal(JSON.parse(outside.stderr).code, "invalid_argument");
    const again = await cli(["gateway", "map", "carol", "--json"]);
    assert.equal(again.code, 1);
    assert.equal(JSON.parse(again.stderr).code, "already_exists");
    const taken = await cli(["gateway", "map", "0:0000.0000.0107", f.ip(1), "--json"]);
    assert.equal(JSON.parse(taken.stderr).code, "already_exists");

    const unmapped = await cli(["gateway", "unmap", "carol"]);
    assert.equal(unmapped.stdout, `Unmapped ${f.ip(2)} (${CAROL})\n`);
    const byAddr = await cli(["gateway", "unmap", "0:0000.0000.0106", "--json"]);
    assert.deepEqual(JSON.parse(byAddr.stdout), {
      status: "ok",
      data: { local_ip: f.ip(9), pilot_addr: "0:0000.0000.0106" },
    });
    const unknown = await cli(["gateway", "unmap", f.ip(200), "--json"]);
    assert.equal(unknown.code, 1);
    assert.equal(JSON.parse(unknown.stderr).code, "not_found");

    const second = await cli(["gateway", "run", "--subnet", f.subnet.text, "--json"]);
    assert.equal(second.code, 1);
    assert.deepEqual(JSON.parse(second.stderr), {
      status: "error",
      code: "already_exists",
      message: `gateway is already running (pid ${Deno.pid})`,
      hint: "pilotctl gateway stop",
    });

    const stopped = await cli(["gateway", "stop"]);
    assert.equal(stopped.code, 0, stopped.stderr);
    assert.equal(stopped.stdout, `Gateway stopped (pid ${Deno.pid})\n`);
    const out = await run.done;
    assert.equal(out.code, 0, out.stderr);
    assert.equal(out.stdout, `Gateway running (pid ${Deno.pid})\n  ${f.ip(1)} -> ${BOB}  ports 8080,8081\n`);
    assert.equal(await exists(f.pidFile), false);
    assert.equal(await exists(f.gatewaySocket), false);

    const after = await cli(["gateway", "list"]);
    assert.equal(after.code, 1);
    assert.equal(after.stderr, NOT_RUNNING);
  } finally {
    run.stop.abort();
    await run.done;
  }
});

Deno.test("gateway run --json prints one ready envelope and stops cleanly on a signal", async () => {
  await using f = await startFixture({ gateway: false });
  const run = startRun(f, ["--subnet", f.subnet.text, "--ports", "8080", "--json"]);
  try {
    await run.ready;
  } finally {
    run.stop.abort();
  }
  const out = await run.done;
  assert.equal(out.code, 0, out.stderr);
  assert.deepEqual(JSON.parse(out.stdout), {
    status: "ok",
    data: { pid: Deno.pid, subnet: f.subnet.text, ports: [8080], mappings: [] },
  });
  assert.equal(out.stdout.split("\n").length, 2);
  assert.equal(await exists(f.pidFile), false);
});

Deno.test("gateway commands without a running gateway fail with not_running", async () => {
  await using f = await startFixture({ gateway: false });
  const table: CommandTable = [gatewayListCommand, gatewayMapCommand, gatewayUnmapCommand, gatewayStopCommand];
  for (
    const argv of [["gateway", "list"], ["gateway", "map", "bob"], ["gateway", "unmap", "bob"], ["gateway", "stop"]]
  ) {
    const out = await runCli(argv, f.env, { table });
    assert.equal(out.code, 1, argv.join(" "));
    assert.equal(out.stderr, NOT_RUNNING, argv.join(" "));
  }
  // A stale pid file is removed by stop.
  await Deno.writeTextFile(f.pidFile, "999999999");
  assert.equal((await runCli(["gateway", "stop"], f.env, { table })).code, 1);
  assert.equal(await exists(f.pidFile), false);
});

Deno.test("gateway run refuses bad input, an absent daemon and an unknown hostname", async () => {
  await using f = await startFixture({ gateway: false });
  const table: CommandTable = [gatewayRunCommandWith({ logSink: new MemorySink() })];
  const fail = async (argv: string[], env = f.env) => {
    const out = await runCli(["gateway", "run", ...argv, "--json"], env, { table });
    assert.equal(out.code, 1, `${argv.join(" ")}: ${out.stderr}`);
    return JSON.parse(out.stderr) as { code: string; message: string; hint: string };
  };
  assert.equal((await fail(["--subnet", "127.4.0.0"])).code, "invalid_argument");
  assert.equal((await fail(["--subnet", "127.4.0.1/16"])).code, "invalid_argument");
  assert.equal((await fail(["--subnet", f.subnet.text, "--ports", "0"])).code, "invalid_argument");
  assert.equal((await fail(["--subnet", f.subnet.text, "--ports", "80,x"])).code, "invalid_argument");
  assert.equal((await fail(["--subnet", f.subnet.text, "-1"])).code, "invalid_argument");
  const down = await fail(["--subnet", f.subnet.text], { ...f.env, PILOT_SOCKET: `${f.root}/nothing.sock` });
  assert.equal(down.code, "not_running");
  assert.equal(down.hint, "pilotctl daemon start");
  const unknown = await fail(["--subnet", f.subnet.text, "dave"]);
  assert.equal(unknown.code, "not_found");
  assert.equal(unknown.message, `cannot find "dave": unknown hostname or no mutual trust`);
  // Nothing was left behind by the failed starts.
  assert.equal(await exists(f.pidFile), false);
  assert.equal(await exists(f.gatewaySocket), false);
});
