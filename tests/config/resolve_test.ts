// Precedence flag > env > config > default, with sources (CLI.md §1.7).
import assert from "node:assert/strict";
import { resolveConfig } from "../../src/config/resolve.ts";
import { InvalidArgumentError } from "../../src/util/errors.ts";

async function withHome(fn: (home: string, env: Map<string, string>) => Promise<void>): Promise<void> {
  const root = await Deno.makeTempDir({ prefix: "pilot-resolve-" });
  try {
    await fn(`${root}/h`, new Map([["PILOT_HOME", `${root}/h`], ["HOME", root]]));
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}

Deno.test("resolveConfig() gives defaults with source default when nothing is set", async () => {
  await withHome(async (home, env) => {
    const cfg = await resolveConfig({ env });
    assert.equal(cfg.home, home);
    assert.equal(cfg.configPath, `${home}/config.json`);
    assert.equal(cfg.fileExists, false);
    assert.equal(cfg.values.registry, "127.0.0.1:9000");
    assert.equal(cfg.values.identity, `${home}/identity.json`);
    assert.ok(Object.values(cfg.sources).every((s) => s === "default"));
    assert.deepEqual(cfg.unknownKeys, []);
  });
});

Deno.test("resolveConfig() applies flag > env > config > default for every layer", async () => {
  await withHome(async (home, env) => {
    await Deno.mkdir(home);
    await Deno.writeTextFile(
      `${home}/config.json`,
      JSON.stringify({ registry: "10.0.0.3:9000", beacon: "10.0.0.3:9001", hostname: "cfg", public: true, x: 1 }),
    );
    env.set("PILOT_REGISTRY", "10.0.0.2:9000");
    env.set("PILOT_BEACON", "10.0.0.2:9001");
    const cfg = await resolveConfig({ env, flags: { registry: "10.0.0.1:9000" } });
    assert.equal(cfg.values.registry, "10.0.0.1:9000");
    assert.equal(cfg.sources.registry, "flag");
    assert.equal(cfg.values.beacon, "10.0.0.2:9001");
    assert.equal(cfg.sources.beacon, "env");
    assert.equal(cfg.values.hostname, "cfg");
    assert.equal(cfg.sources.hostname, "config");
    assert.equal(cfg.values.public, true);
    assert.equal(cfg.sources.public, "config");
    assert.equal(cfg.values.socket, "/tmp/pilot.sock");
    assert.equal(cfg.sources.socket, "default");
    assert.deepEqual(cfg.unknownKeys, ["x"]);
  });
});

Deno.test("resolveConfig() reads every documented environment variable", async () => {
  await withHome(async (_home, env) => {
    env.set("PILOT_SOCKET", "/tmp/a.sock");
    env.set("PILOT_EMAIL", "a@example.com");
    env.set("PILOT_HOSTNAME", "alice");
    const cfg = await resolveConfig({ env });
    assert.equal(cfg.values.socket, "/tmp/a.sock");
    assert.equal(cfg.values.email, "a@example.com");
    assert.equal(cfg.values.hostname, "alice");
    assert.equal(cfg.sources.email, "env");
  });
});

Deno.test("resolveConfig() types flag overrides given as text or as values", async () => {
  await withHome(async (_home, env) => {
    const cfg = await resolveConfig({
      env,
      flags: { public: true, lan_addrs: "10.0.0.1:1,10.0.0.2:2", max_file_size: "10" },
    });
    assert.equal(cfg.values.public, true);
    assert.deepEqual(cfg.values.lan_addrs, ["10.0.0.1:1", "10.0.0.2:2"]);
    assert.equal(cfg.values.max_file_size, 10);
  });
});

Deno.test("resolveConfig() rejects a bad flag, env or file value", async () => {
  await withHome(async (home, env) => {
    await assert.rejects(() => resolveConfig({ env, flags: { hostname: "Bad" } }), /invalid hostname "Bad"/);
    env.set("PILOT_EMAIL", "nope");
    await assert.rejects(
      () => resolveConfig({ env }),
      (e: unknown) =>
        e instanceof InvalidArgumentError && e.message === 'invalid email "nope"' && e.hint.includes("PILOT_EMAIL"),
    );
    env.delete("PILOT_EMAIL");
    await Deno.mkdir(home);
    await Deno.writeTextFile(`${home}/config.json`, '{"public":"yes"}');
    await assert.rejects(
      () => resolveConfig({ env }),
      (e: unknown) =>
        e instanceof InvalidArgumentError &&
        e.message === `invalid config file ${home}/config.json: "public": expected true or false`,
    );
  });
});

Deno.test("resolveConfig() reads an alternative config file", async () => {
  await withHome(async (home, env) => {
    await Deno.mkdir(home);
    await Deno.writeTextFile(`${home}/other.json`, '{"log_level":"debug"}');
    const cfg = await resolveConfig({ env, configPath: `${home}/other.json` });
    assert.equal(cfg.configPath, `${home}/other.json`);
    assert.equal(cfg.values.log_level, "debug");
  });
});

Deno.test("resolveConfig() never rewrites a corrupt config file", async () => {
  await withHome(async (home, env) => {
    await Deno.mkdir(home);
    await Deno.writeTextFile(`${home}/config.json`, "{corrupt");
    await assert.rejects(() => resolveConfig({ env }), InvalidArgumentError);
    assert.equal(await Deno.readTextFile(`${home}/config.json`), "{corrupt");
  });
});
