// `pilotctl init` (CLI.md §3.10): creates <home>, config.json and identity.json; idempotent.
import assert from "node:assert/strict";
import { runCli, tempHome } from "../_run.ts";

const posix = Deno.build.os !== "windows";

Deno.test("init creates home 0700, config.json 0600 and identity.json 0600", async () => {
  await using home = await tempHome();
  const out = await runCli(["--json", "init", "--hostname", "alice", "--registry", "10.0.0.1:9000"], home.env);
  assert.equal(out.code, 0, out.stderr);
  const data = JSON.parse(out.stdout).data;
  assert.deepEqual(Object.keys(data), [
    "config_path",
    "identity",
    "public_key",
    "registry",
    "beacon",
    "socket",
    "hostname",
    "email",
    "created",
  ]);
  assert.equal(data.config_path, `${home.dir}/config.json`);
  assert.equal(data.identity, `${home.dir}/identity.json`);
  assert.match(data.public_key, /^[A-Za-z0-9+/]{43}=$/);
  assert.equal(data.registry, "10.0.0.1:9000");
  assert.equal(data.beacon, "127.0.0.1:9001");
  assert.equal(data.socket, "/tmp/pilot.sock");
  assert.equal(data.hostname, "alice");
  assert.equal(data.email, "");
  assert.equal(data.created, true);
  assert.deepEqual(JSON.parse(await Deno.readTextFile(data.config_path)), {
    registry: "10.0.0.1:9000",
    hostname: "alice",
  });
  const identity = JSON.parse(await Deno.readTextFile(data.identity));
  assert.equal(identity.public_key, data.public_key);
  if (posix) {
    assert.equal((await Deno.stat(home.dir)).mode! & 0o777, 0o700);
    assert.equal((await Deno.stat(data.config_path)).mode! & 0o777, 0o600);
    assert.equal((await Deno.stat(data.identity)).mode! & 0o777, 0o600);
  }
});

Deno.test("init is idempotent: a second run keeps the identity and the config", async () => {
  await using home = await tempHome();
  const first = JSON.parse((await runCli(["--json", "init", "--email", "a@example.com"], home.env)).stdout).data;
  const config = await Deno.readTextFile(first.config_path);
  const identity = await Deno.readTextFile(first.identity);
  const second = JSON.parse((await runCli(["--json", "init"], home.env)).stdout).data;
  assert.equal(second.created, false);
  assert.equal(second.public_key, first.public_key);
  assert.equal(second.email, "a@example.com");
  assert.equal(await Deno.readTextFile(first.config_path), config);
  assert.equal(await Deno.readTextFile(first.identity), identity);
});

Deno.test("init on an existing config updates only the given keys", async () => {
  await using home = await tempHome();
  await Deno.mkdir(home.dir, { recursive: true });
  await Deno.writeTextFile(`${home.dir}/config.json`, '{"custom":1,"hostname":"alice","public":true}');
  const out = await runCli(["--json", "init", "--beacon", "10.0.0.1:9001"], home.env);
  assert.equal(out.code, 0, out.stderr);
  const data = JSON.parse(out.stdout).data;
  assert.equal(data.created, true, "the identity was created");
  assert.equal(data.hostname, "alice");
  assert.deepEqual(JSON.parse(await Deno.readTextFile(`${home.dir}/config.json`)), {
    custom: 1,
    hostname: "alice",
    public: true,
    beacon: "10.0.0.1:9001",
  });
});

Deno.test("init rejects a bad value (exit 1) before creating anything", async () => {
  await using home = await tempHome();
  for (
    const [argv, message] of [
      [["--hostname", "Alice"], 'invalid hostname "Alice"'],
      [["--email", "nope"], 'invalid email "nope"'],
      [["--registry", "x:99999"], "port must be 1-65535"],
    ] as const
  ) {
    const out = await runCli(["--json", "init", ...argv], home.env);
    assert.equal(out.code, 1);
    assert.equal(JSON.parse(out.stderr).message, message);
  }
  await assert.rejects(() => Deno.stat(home.dir), Deno.errors.NotFound);
});

Deno.test("init prints Initialised, Config and Identity lines with ~ for paths under HOME", async () => {
  await using home = await tempHome();
  const out = await runCli(["init"], home.env);
  assert.equal(out.code, 0, out.stderr);
  const lines = out.stdout.trimEnd().split("\n");
  assert.equal(lines[0], "Initialised ~/home");
  assert.equal(lines[1], "  Config:   ~/home/config.json");
  assert.match(lines[2], /^ {2}Identity: ~\/home\/identity\.json \(Ed25519 [A-Za-z0-9+/]{16}\.\.\.\)$/);
});

Deno.test("init takes PILOT_HOSTNAME and PILOT_EMAIL as defaults without writing them", async () => {
  await using home = await tempHome();
  const out = await runCli(["--json", "init"], { ...home.env, PILOT_HOSTNAME: "bob", PILOT_EMAIL: "b@example.com" });
  const data = JSON.parse(out.stdout).data;
  assert.equal(data.hostname, "bob");
  assert.equal(data.email, "b@example.com");
  assert.deepEqual(JSON.parse(await Deno.readTextFile(data.config_path)), {});
});
