// `pilotctl context` (CLI.md §3.10): the catalogue built from the command table.
import assert from "node:assert/strict";
import { COMMAND_TABLE } from "../../../src/cli/command_table.ts";
import { CONFIG_KEY_NAMES } from "../../../src/config/keys.ts";
import { ERROR_CODES } from "../../../src/util/errors.ts";
import { runCli } from "../_run.ts";

async function context(): Promise<Record<string, unknown>> {
  const out = await runCli(["--json", "context"], { HOME: "/home/u" });
  assert.equal(out.code, 0);
  assert.equal(out.stderr, "");
  const env = JSON.parse(out.stdout);
  assert.equal(env.status, "ok");
  return env.data;
}

Deno.test("context has exactly the documented top-level fields", async () => {
  assert.deepEqual(Object.keys(await context()), [
    "version",
    "commands",
    "error_codes",
    "exit_codes",
    "global_flags",
    "environment",
    "config_keys",
    "config_file",
  ]);
});

Deno.test("context lists every registered command with args, flags, returns and needs_daemon", async () => {
  const commands = (await context()).commands as Record<string, Record<string, unknown>>;
  assert.deepEqual(Object.keys(commands).sort(), COMMAND_TABLE.map((s) => s.name).sort());
  for (const spec of COMMAND_TABLE) {
    const entry = commands[spec.name];
    assert.deepEqual(Object.keys(entry), ["args", "flags", "description", "returns", "needs_daemon"], spec.name);
    assert.deepEqual((entry.args as { name: string }[]).map((a) => a.name), spec.args.map((a) => a.name));
    assert.deepEqual(Object.keys(entry.flags as object), spec.flags.map((f) => `--${f.name}`));
    assert.deepEqual(entry.returns, spec.returns);
    assert.equal(entry.needs_daemon, spec.needsDaemon);
    assert.equal(entry.description, spec.description);
  }
});

Deno.test("context describes flags with type, default and description", async () => {
  const commands = (await context()).commands as Record<
    string,
    { flags: Record<string, Record<string, unknown>>; description: string }
  >;
  assert.deepEqual(commands["init"].flags["--registry"], {
    type: "string",
    default: "127.0.0.1:9000",
    description: "Registry address",
    env: "PILOT_REGISTRY",
    repeatable: false,
  });
  assert.equal(commands["config"].flags["--set"].repeatable, true);
  assert.deepEqual(commands["version"], {
    args: [],
    flags: {},
    description: commands["version"].description,
    returns: ["version", "deno", "os", "arch"],
    needs_daemon: false,
  });
});

Deno.test("context lists every error code with meaning and retry advice, and the exit codes", async () => {
  const data = await context();
  const codes = data.error_codes as Record<string, { meaning: string; retry: string }>;
  assert.deepEqual(Object.keys(codes), [...ERROR_CODES]);
  for (const c of ERROR_CODES) assert.ok(codes[c].meaning.length > 0 && codes[c].retry.length > 0, c);
  assert.equal(codes.invalid_argument.retry, "Never. Fix the input (see the hint).");
  assert.deepEqual(Object.keys(data.exit_codes as object), ["0", "1", "2"]);
});

Deno.test("context lists global flags, environment variables, config keys and the config file", async () => {
  const data = await context();
  assert.deepEqual(Object.keys(data.global_flags as object), ["--json", "--help", "--version"]);
  assert.deepEqual(Object.keys(data.environment as object), [
    "PILOT_HOME",
    "PILOT_SOCKET",
    "PILOT_REGISTRY",
    "PILOT_BEACON",
    "PILOT_EMAIL",
    "PILOT_HOSTNAME",
    "PILOT_POSTGRES_URL",
  ]);
  assert.deepEqual(Object.keys(data.config_keys as object), [...CONFIG_KEY_NAMES]);
  assert.deepEqual((data.config_keys as Record<string, unknown>).public, {
    values: "true / false",
    default: "false",
    env: null,
    read_by: "daemon",
  });
  assert.equal((data.config_file as { path: string }).path, "/home/u/.pilot/config.json");
});

Deno.test("context in human mode prints indented JSON of the same data", async () => {
  const human = await runCli(["context"], { HOME: "/home/u" });
  assert.equal(human.code, 0);
  assert.match(human.stdout, /^\{\n {2}"version": "0\.1\.0",\n/);
  assert.deepEqual(JSON.parse(human.stdout), await context());
});
