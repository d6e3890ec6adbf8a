// `pilotctl config [--set k=v]… [--unset k]` (CLI.md §3.10, §1.7).
import assert from "node:assert/strict";
import { runCli, tempHome } from "../_run.ts";

Deno.test("config shows every key with value and source, and the paths", async () => {
  await using home = await tempHome();
  const out = await runCli(["--json", "config"], { ...home.env, PILOT_REGISTRY: "10.0.0.9:9000" });
  assert.equal(out.code, 0);
  const data = JSON.parse(out.stdout).data;
  assert.deepEqual(Object.keys(data), [
    "config_path",
    "home",
    "pid_file",
    "log_file",
    "values",
    "sources",
    "unknown_keys",
  ]);
  assert.equal(data.config_path, `${home.dir}/config.json`);
  assert.equal(data.home, home.dir);
  assert.equal(data.pid_file, `${home.dir}/pilot.pid`);
  assert.equal(data.log_file, `${home.dir}/pilot.log`);
  assert.equal(data.values.registry, "10.0.0.9:9000");
  assert.equal(data.sources.registry, "env");
  assert.equal(data.sources.beacon, "default");
  assert.equal(Object.keys(data.values).length, 18);
  assert.deepEqual(data.unknown_keys, []);
});

Deno.test("config prints one `key = value  (source)` line per setting in human mode", async () => {
  await using home = await tempHome();
  await runCli(["config", "--set", "hostname=alice"], home.env);
  const out = await runCli(["config"], home.env);
  assert.equal(out.code, 0);
  const lines = out.stdout.trimEnd().split("\n");
  assert.equal(lines.length, 18);
  assert.equal(lines[0], "registry = 127.0.0.1:9000  (default)");
  assert.ok(lines.includes("hostname = alice  (config)"));
  assert.ok(lines.includes('email = ""  (default)'));
  assert.ok(lines.includes("lan_addrs = []  (default)"));
  assert.ok(lines.includes("public = false  (default)"));
});

Deno.test("config --set types values per key and writes config.json 0600", async () => {
  await using home = await tempHome();
  const out = await runCli(
    [
      "config",
      "--set",
      "public=true",
      "--set",
      "lan_addrs=10.0.0.1:1,10.0.0.2:2",
      "--set=max_file_size=2048",
      "--json",
    ],
    home.env,
  );
  assert.equal(out.code, 0, out.stderr);
  assert.deepEqual(JSON.parse(out.stdout).data.changed, [
    { key: "public", value: true },
    { key: "lan_addrs", value: ["10.0.0.1:1", "10.0.0.2:2"] },
    { key: "max_file_size", value: 2048 },
  ]);
  const path = `${home.dir}/config.json`;
  assert.equal(
    await Deno.readTextFile(path),
    '{\n  "public": true,\n  "lan_addrs": [\n    "10.0.0.1:1",\n    "10.0.0.2:2"\n  ],\n  "max_file_size": 2048\n}\n',
  );
  if (Deno.build.os !== "windows") {
    assert.equal((await Deno.stat(path)).mode! & 0o777, 0o600);
    assert.equal((await Deno.stat(home.dir)).mode! & 0o777, 0o700);
  }
  const shown = JSON.parse((await runCli(["--json", "config"], home.env)).stdout).data;
  assert.equal(shown.values.public, true);
  assert.equal(shown.sources.public, "config");
});

Deno.test("config --unset removes a key", async () => {
  await using home = await tempHome();
  await runCli(["config", "--set", "hostname=alice"], home.env);
  const out = await runCli(["--json", "config", "--unset", "hostname"], home.env);
  assert.equal(out.code, 0);
  assert.deepEqual(JSON.parse(out.stdout).data.changed, [{ key: "hostname", value: null }]);
  assert.deepEqual(JSON.parse(await Deno.readTextFile(`${home.dir}/config.json`)), {});
});

Deno.test("config shows webhook_secret as ***", async () => {
  await using home = await tempHome();
  const set = await runCli(["config", "--set", "webhook_secret=s3cret"], home.env);
  assert.doesNotMatch(set.stdout, /s3cret/);
  const out = await runCli(["--json", "config"], home.env);
  assert.equal(JSON.parse(out.stdout).data.values.webhook_secret, "***");
  assert.doesNotMatch(out.stdout, /s3cret/);
  assert.match((await runCli(["config"], home.env)).stdout, /^webhook_secret = \*\*\* {2}\(config\)$/m);
});

Deno.test("config rejects an unknown key with hint pilotctl config (exit 1)", async () => {
  await using home = await tempHome();
  const out = await runCli(["--json", "config", "--set", "colour=red"], home.env);
  assert.equal(out.code, 1);
  assert.equal(
    out.stderr,
    '{"status":"error","code":"invalid_argument","message":"unknown config key \\"colour\\"","hint":"pilotctl config"}\n',
  );
});

Deno.test("config rejects a bad value or a missing = (exit 1) and leaves the file alone", async () => {
  await using home = await tempHome();
  await runCli(["config", "--set", "hostname=alice"], home.env);
  const before = await Deno.readTextFile(`${home.dir}/config.json`);
  const bad = await runCli(["--json", "config", "--set", "hostname=Bob"], home.env);
  assert.equal(bad.code, 1);
  assert.equal(JSON.parse(bad.stderr).message, 'invalid hostname "Bob"');
  const noEq = await runCli(["--json", "config", "--set", "public"], home.env);
  assert.equal(noEq.code, 1);
  assert.equal(JSON.parse(noEq.stderr).code, "invalid_argument");
  assert.equal(await Deno.readTextFile(`${home.dir}/config.json`), before);
});

Deno.test("config keeps and reports unknown keys", async () => {
  await using home = await tempHome();
  await Deno.mkdir(home.dir, { recursive: true });
  await Deno.writeTextFile(`${home.dir}/config.json`, '{"future_key":42}');
  const shown = await runCli(["--json", "config"], home.env);
  assert.deepEqual(JSON.parse(shown.stdout).data.unknown_keys, ["future_key"]);
  const human = await runCli(["config"], home.env);
  assert.match(human.stderr, /unknown key "future_key"/);
  await runCli(["config", "--set", "public=true"], home.env);
  assert.deepEqual(JSON.parse(await Deno.readTextFile(`${home.dir}/config.json`)), { future_key: 42, public: true });
});

Deno.test("config on a corrupt file fails naming it and never overwrites it", async () => {
  await using home = await tempHome();
  await Deno.mkdir(home.dir, { recursive: true });
  const path = `${home.dir}/config.json`;
  await Deno.writeTextFile(path, "{oops");
  for (const argv of [["config"], ["config", "--set", "public=true"], ["init"]]) {
    const out = await runCli(["--json", ...argv], home.env);
    assert.equal(out.code, 1, argv.join(" "));
    const err = JSON.parse(out.stderr);
    assert.equal(err.code, "invalid_argument");
    assert.ok(err.message.includes(path), err.message);
    assert.equal(await Deno.readTextFile(path), "{oops");
  }
});

Deno.test("config --set with a repeated --unset keeps the last --unset", async () => {
  await using home = await tempHome();
  await runCli(["config", "--set", "hostname=alice", "--set", "email=a@example.com"], home.env);
  await runCli(["config", "--unset", "hostname", "--unset", "email"], home.env);
  assert.deepEqual(JSON.parse(await Deno.readTextFile(`${home.dir}/config.json`)), { hostname: "alice" });
});
