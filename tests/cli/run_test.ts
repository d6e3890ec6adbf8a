// run() with the real command table: envelopes, exit codes, help and version (CLI.md §1.2–1.4).
import assert from "node:assert/strict";
import { errorEnvelope, exitCodeFor, okEnvelope } from "../../src/cli/output.ts";
import { InvalidArgumentError, NotRunningError, UsageError } from "../../src/util/errors.ts";
import { runCli, usageEnvelope } from "./_run.ts";

Deno.test("okEnvelope() puts status first and data as an object on one line", () => {
  assert.equal(okEnvelope({ a: 1, b: [] }), '{"status":"ok","data":{"a":1,"b":[]}}');
});

Deno.test("errorEnvelope() has status, code, message and hint in that order, hint always present", () => {
  assert.equal(
    errorEnvelope(
      new NotRunningError("daemon is not running (socket /tmp/pilot.sock)", { hint: "pilotctl daemon start" }),
    ),
    '{"status":"error","code":"not_running","message":"daemon is not running (socket /tmp/pilot.sock)","hint":"pilotctl daemon start"}',
  );
  assert.equal(
    errorEnvelope(new InvalidArgumentError("port must be 1-65535")),
    '{"status":"error","code":"invalid_argument","message":"port must be 1-65535","hint":""}',
  );
});

Deno.test("exitCodeFor() gives 2 for usage errors and 1 for every other error", () => {
  assert.equal(exitCodeFor(new UsageError("unknown flag", "x")), 2);
  assert.equal(exitCodeFor(new InvalidArgumentError("bad")), 1);
  assert.equal(exitCodeFor(new NotRunningError("down")), 1);
});

Deno.test("version prints pilotctl, deno and platform; --version is the same", async () => {
  const human = await runCli(["version"]);
  assert.equal(human.code, 0);
  const arch = Deno.build.arch === "x86_64" ? "x64" : "arm64";
  assert.equal(human.stdout, `pilotctl 0.1.0 (deno ${Deno.version.deno}, ${Deno.build.os}-${arch})\n`);
  assert.match(human.stdout, /^pilotctl 0\.1\.0 \(deno \d+\.\d+\.\d+, [a-z]+-(x64|arm64)\)\n$/);
  assert.equal((await runCli(["--version"])).stdout, human.stdout);
  const json = await runCli(["--version", "--json"]);
  assert.equal(json.code, 0);
  const data = JSON.parse(json.stdout).data;
  assert.deepEqual(Object.keys(data), ["version", "deno", "os", "arch"]);
  assert.equal(data.version, "0.1.0");
  assert.equal(data.deno, Deno.version.deno);
  assert.equal(data.os, Deno.build.os);
  assert.equal(data.arch, arch);
});

Deno.test("version with an argument is a usage error", async () => {
  const out = await runCli(["--json", "version", "x"]);
  assert.equal(out.code, 2);
  assert.equal(out.stderr, usageEnvelope('unexpected argument "x"', "pilotctl version --help"));
});

Deno.test("help lists every registered command on stdout", async () => {
  const out = await runCli(["help"]);
  assert.equal(out.code, 0);
  assert.equal(out.stderr, "");
  for (const name of ["init", "config", "context", "version", "help"]) {
    assert.match(out.stdout, new RegExp(`\\n  ${name} `));
  }
});

Deno.test("help <command> shows its usage; help <unknown> exits 2", async () => {
  const out = await runCli(["help", "config"]);
  assert.equal(out.code, 0);
  assert.match(out.stdout, /^Usage: pilotctl config \[--set <key=value>\]… \[--unset <key>\]\n/);
  assert.equal((await runCli(["config", "--help"])).stdout, out.stdout);
  const unknown = await runCli(["help", "nope", "--json"]);
  assert.equal(unknown.code, 2);
  assert.equal(unknown.stderr, usageEnvelope('unknown command "nope"', "pilotctl --help"));
});

Deno.test("help in JSON mode gives the usage text in data", async () => {
  const out = await runCli(["--json", "help", "version"]);
  const env = JSON.parse(out.stdout);
  assert.equal(env.status, "ok");
  assert.equal(env.data.command, "version");
  assert.match(env.data.usage, /^Usage: pilotctl version/);
});

Deno.test("--json output is exactly one line", async () => {
  const out = await runCli(["--json", "context"]);
  assert.equal(out.code, 0);
  assert.equal(out.stdout.split("\n").length, 2);
  assert.ok(out.stdout.startsWith('{"status":"ok","data":{'));
  assert.ok(out.stdout.endsWith("}}\n"));
});
