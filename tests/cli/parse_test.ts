// Argument parsing rules of CLI.md §1.2, one by one, through run() with a small test table.
import assert from "node:assert/strict";
import type { CommandContext, CommandResult, CommandSpec, CommandTable } from "../../src/cli/spec.ts";
import { parseArgv } from "../../src/cli/parse.ts";
import { runCli, usageEnvelope } from "./_run.ts";

function echo(ctx: CommandContext): Promise<CommandResult> {
  const data: Record<string, unknown> = {};
  for (const arg of ctx.spec.args) data[arg.name] = arg.variadic ? ctx.args.list(arg.name) : ctx.args.get(arg.name);
  for (const flag of ctx.spec.flags) {
    const name = flag.name;
    if (flag.repeatable) data[name] = ctx.flags.list(name);
    else if (flag.type === "boolean") data[name] = ctx.flags.boolean(name);
    else if (flag.type === "int") data[name] = ctx.flags.int(name) ?? null;
    else if (flag.type === "duration") data[name] = ctx.flags.durationMs(name) ?? null;
    else data[name] = ctx.flags.string(name) ?? null;
    data[`${name}_source`] = ctx.flags.source(name) ?? null;
  }
  return Promise.resolve({ data });
}

function command(name: string, partial: Partial<CommandSpec>): CommandSpec {
  return {
    name,
    summary: `test ${name}`,
    description: `Test command ${name}.`,
    args: [],
    flags: [],
    returns: [],
    needsDaemon: false,
    run: echo,
    ...partial,
  };
}

const TABLE: CommandTable = [
  command("send", {
    args: [
      { name: "target", description: "target", required: true },
      { name: "port", description: "port", required: true },
    ],
    flags: [
      { name: "data", type: "string", description: "data" },
      { name: "timeout", type: "duration", default: "30s", description: "timeout" },
      { name: "count", type: "int", default: 1, description: "count" },
      { name: "public", type: "boolean", description: "public" },
      { name: "tag", type: "string", repeatable: true, description: "tag" },
      { name: "registry", type: "string", env: "PILOT_REGISTRY", default: "127.0.0.1:9000", description: "registry" },
    ],
  }),
  command("daemon start", { flags: [{ name: "foreground", type: "boolean", description: "fg" }] }),
  command("daemon stop", {}),
  command("bench", {
    args: [
      { name: "target", description: "target", required: true },
      { name: "size_mb", description: "size", required: false, default: "1" },
    ],
  }),
  command("set-tags", { args: [{ name: "tag", description: "tags", required: true, variadic: true }] }),
  command("boom", { run: () => Promise.reject(new TypeError("cannot read properties of undefined")) }),
];

async function ok(argv: string[], env: Record<string, string> = {}): Promise<Record<string, unknown>> {
  const out = await runCli(argv, env, { table: TABLE });
  assert.equal(out.stderr, "");
  assert.equal(out.code, 0);
  const parsed = JSON.parse(out.stdout);
  assert.equal(parsed.status, "ok");
  return parsed.data;
}

async function usageError(argv: string[], message: string, hint: string): Promise<void> {
  const out = await runCli(["--json", ...argv], {}, { table: TABLE });
  assert.equal(out.code, 2, `exit code of ${argv.join(" ")}`);
  assert.equal(out.stdout, "");
  assert.equal(out.stderr, usageEnvelope(message, hint));
}

Deno.test("--json is accepted anywhere and every occurrence is removed", async () => {
  for (
    const argv of [
      ["--json", "send", "a", "1"],
      ["send", "--json", "a", "1"],
      ["send", "a", "1", "--json"],
      ["send", "a", "--json", "1", "--json"],
      ["send", "a", "1", "--", "--json"],
    ]
  ) {
    const data = await ok(argv);
    assert.equal(data.target, "a", argv.join(" "));
    assert.equal(data.port, "1", argv.join(" "));
  }
});

Deno.test("a flag takes its value as the next token or after =", async () => {
  assert.equal((await ok(["--json", "send", "a", "1", "--data", "hi"])).data, "hi");
  assert.equal((await ok(["--json", "send", "a", "1", "--data=x=y"])).data, "x=y");
  assert.equal((await ok(["--json", "send", "--data", "-", "a", "1"])).data, "-");
  assert.equal((await ok(["--json", "send", "a", "1", "--data="])).data, "");
});

Deno.test("a boolean flag never consumes the next token", async () => {
  const data = await ok(["--json", "send", "--public", "a", "1"]);
  assert.equal(data.public, true);
  assert.equal(data.target, "a");
  assert.equal((await ok(["--json", "send", "a", "1", "--public=false"])).public, false);
  assert.equal((await ok(["--json", "send", "a", "1", "--public=true"])).public, true);
  assert.equal((await ok(["--json", "send", "a", "1"])).public, false);
});

Deno.test("a bad boolean value is invalid_argument with exit 1", async () => {
  const out = await runCli(["--json", "send", "a", "1", "--public=maybe"], {}, { table: TABLE });
  assert.equal(out.code, 1);
  assert.equal(
    out.stderr,
    '{"status":"error","code":"invalid_argument","message":"invalid value \\"maybe\\" for --public (use true or false)","hint":""}\n',
  );
});

Deno.test("-- ends flags", async () => {
  const data = await ok(["--json", "send", "--", "--data", "--public"]);
  assert.equal(data.target, "--data");
  assert.equal(data.port, "--public");
  assert.equal(data.data, null);
  assert.equal(data.public, false);
});

Deno.test("a token with a single dash is a positional", async () => {
  const data = await ok(["--json", "send", "-1", "-x"]);
  assert.equal(data.target, "-1");
  assert.equal(data.port, "-x");
  assert.equal((await ok(["--json", "send", "a", "1", "--data", "-5"])).data, "-5");
});

Deno.test("a repeated flag keeps its last value; a repeatable one keeps all", async () => {
  const data = await ok(["--json", "send", "a", "1", "--data", "x", "--data", "y", "--tag", "t1", "--tag=t2"]);
  assert.equal(data.data, "y");
  assert.deepEqual(data.tag, ["t1", "t2"]);
  assert.deepEqual((await ok(["--json", "send", "a", "1"])).tag, []);
});

Deno.test("typed flags: durations, ints, defaults and env fallback with their sources", async () => {
  const data = await ok(["--json", "send", "a", "1", "--timeout", "1m30s", "--count", "3"]);
  assert.equal(data.timeout, 90_000);
  assert.equal(data.timeout_source, "flag");
  assert.equal(data.count, 3);
  const defaults = await ok(["--json", "send", "a", "1"]);
  assert.equal(defaults.timeout, 30_000);
  assert.equal(defaults.timeout_source, "default");
  assert.equal(defaults.count, 1);
  assert.equal(defaults.registry, "127.0.0.1:9000");
  assert.equal(defaults.data_source, null);
  const fromEnv = await ok(["--json", "send", "a", "1"], { PILOT_REGISTRY: "10.0.0.1:9000" });
  assert.equal(fromEnv.registry, "10.0.0.1:9000");
  assert.equal(fromEnv.registry_source, "env");
  const flagWins = await ok(["--json", "send", "a", "1", "--registry", "h:1"], { PILOT_REGISTRY: "10.0.0.1:9000" });
  assert.equal(flagWins.registry, "h:1");
});

Deno.test("an invalid flag value is invalid_argument with exit 1, not a usage error", async () => {
  const timeout = await runCli(["--json", "send", "a", "1", "--timeout", "5x"], {}, { table: TABLE });
  assert.equal(timeout.code, 1);
  assert.equal(
    timeout.stderr,
    '{"status":"error","code":"invalid_argument","message":"invalid duration \\"5x\\" (use 500ms, 10s, 1m30s or seconds)","hint":""}\n',
  );
  const count = await runCli(["send", "a", "1", "--count", "abc"], {}, { table: TABLE });
  assert.equal(count.code, 1);
  assert.equal(count.stderr, 'error: invalid number "abc" for --count\n');
});

Deno.test("optional arguments take their default and variadic ones take the rest", async () => {
  assert.equal((await ok(["--json", "bench", "a"])).size_mb, "1");
  assert.equal((await ok(["--json", "bench", "a", "5"])).size_mb, "5");
  assert.deepEqual((await ok(["--json", "set-tags", "a", "b", "c"])).tag, ["a", "b", "c"]);
});

Deno.test("multi-word commands are matched as typed", async () => {
  assert.equal((await ok(["--json", "daemon", "start", "--foreground"])).foreground, true);
  assert.deepEqual(await ok(["daemon", "stop", "--json"]), {});
});

Deno.test("usage errors exit 2 with invalid_argument and the command's help hint", async () => {
  await usageError([], "missing command", "pilotctl --help");
  await usageError(["nope"], 'unknown command "nope"', "pilotctl --help");
  await usageError(["--nope"], 'unknown flag "--nope"', "pilotctl --help");
  await usageError(["daemon", "nope"], 'unknown subcommand "daemon nope"', "pilotctl daemon --help");
  await usageError(["daemon"], "missing subcommand for daemon", "pilotctl daemon --help");
  await usageError(["send", "a", "1", "--nope"], 'unknown flag "--nope"', "pilotctl send --help");
  await usageError(["send", "a"], "missing argument <port>", "pilotctl send --help");
  await usageError(["send", "a", "1", "2"], 'unexpected argument "2"', "pilotctl send --help");
  await usageError(["send", "a", "1", "--data"], "flag --data needs a value", "pilotctl send --help");
  await usageError(["send", "a", "1", "--data", "--public"], "flag --data needs a value", "pilotctl send --help");
  await usageError(["set-tags"], "missing argument <tag>", "pilotctl set-tags --help");
  await usageError(["daemon", "start", "x"], 'unexpected argument "x"', "pilotctl daemon start --help");
});

Deno.test("usage errors in human mode print error and hint lines", async () => {
  const out = await runCli(["send", "a", "1", "--nope"], {}, { table: TABLE });
  assert.equal(out.code, 2);
  assert.equal(out.stdout, "");
  assert.equal(out.stderr, 'error: unknown flag "--nope"\nhint:  pilotctl send --help\n');
});

Deno.test("pilotctl alone prints usage on stderr and exits 2", async () => {
  const out = await runCli([], {}, { table: TABLE });
  assert.equal(out.code, 2);
  assert.equal(out.stdout, "");
  assert.match(out.stderr, /^pilotctl \d+\.\d+\.\d+/);
  assert.match(out.stderr, /Usage: pilotctl <command>/);
  assert.match(out.stderr, /daemon start/);
});

Deno.test("--help and -h print usage on stdout and exit 0, and win over other errors", async () => {
  for (const argv of [["--help"], ["-h"], ["send", "--help"], ["send", "-h"], ["send", "a", "--nope", "--help"]]) {
    const out = await runCli(argv, {}, { table: TABLE });
    assert.equal(out.code, 0, argv.join(" "));
    assert.equal(out.stderr, "");
    assert.match(out.stdout, /Usage: pilotctl/);
  }
  const cmd = await runCli(["send", "-h"], {}, { table: TABLE });
  assert.match(cmd.stdout, /^Usage: pilotctl send <target> <port>/);
  assert.match(cmd.stdout, /--registry <string>\s+registry \(env PILOT_REGISTRY, default 127\.0\.0\.1:9000\)/);
  const group = await runCli(["daemon", "--help"], {}, { table: TABLE });
  assert.equal(group.code, 0);
  assert.match(group.stdout, /daemon start/);
  assert.match(group.stdout, /daemon stop/);
  assert.doesNotMatch(group.stdout, /set-tags/);
});

Deno.test("-h after -- is a positional", async () => {
  const data = await ok(["--json", "send", "--", "-h", "1"]);
  assert.equal(data.target, "-h");
});

Deno.test("an unexpected exception becomes code internal without a stack trace", async () => {
  const json = await runCli(["--json", "boom"], {}, { table: TABLE });
  assert.equal(json.code, 1);
  assert.equal(
    json.stderr,
    '{"status":"error","code":"internal","message":"cannot read properties of undefined","hint":""}\n',
  );
  const human = await runCli(["boom"], {}, { table: TABLE });
  assert.equal(human.stderr, "error: cannot read properties of undefined\n");
  assert.doesNotMatch(human.stderr, /\bat\b.*\.ts:/);
});

Deno.test("parseArgv() reports the JSON switch separately from the outcome", () => {
  const parsed = parseArgv(["send", "--json", "a", "1"], TABLE);
  assert.equal(parsed.json, true);
  assert.equal(parsed.outcome.kind, "command");
  assert.equal(parseArgv([], TABLE).outcome.kind, "none");
  assert.deepEqual(parseArgv(["-h"], TABLE).outcome, { kind: "help", topic: null });
  assert.deepEqual(parseArgv(["daemon", "-h"], TABLE).outcome, { kind: "help", topic: "daemon" });
});
