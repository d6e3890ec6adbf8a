// `pilotctl set-webhook` / `clear-webhook` (CLI.md §3.10): saved to config.json always; applied live through the
// daemon's `config_set` when one is running.
import assert from "node:assert/strict";
import { runCli, tempHome } from "../_run.ts";
import { dataOf, errorEnvelope, fakeDaemon } from "./_daemon.ts";

async function readConfig(home: string): Promise<Record<string, unknown>> {
  return JSON.parse(await Deno.readTextFile(`${home}/config.json`));
}

Deno.test("set-webhook without a daemon saves URL and secret to config and reports applied: false", async () => {
  await using home = await tempHome();
  const env = { ...home.env, PILOT_SOCKET: `${home.dir}-none.sock` };
  const out = await runCli(["--json", "set-webhook", "https://hooks.example.com/pilot", "--secret", "s3"], env);
  assert.equal(out.code, 0, out.stderr);
  assert.deepEqual(JSON.parse(out.stdout).data, { webhook: "https://hooks.example.com/pilot", applied: false });
  const config = await readConfig(home.dir);
  assert.equal(config.webhook, "https://hooks.example.com/pilot");
  assert.equal(config.webhook_secret, "s3");
  if (Deno.build.os !== "windows") assert.equal((await Deno.stat(`${home.dir}/config.json`)).mode! & 0o777, 0o600);
  // Without --secret the saved secret is kept.
  await runCli(["set-webhook", "http://127.0.0.1:8080/x"], env);
  assert.equal((await readConfig(home.dir)).webhook_secret, "s3");
});

Deno.test("set-webhook refuses anything but http:// and https://", async () => {
  await using home = await tempHome();
  for (const url of ["ftp://x", "example.com", "http://", "javascript:alert(1)"]) {
    const out = await runCli(["--json", "set-webhook", url], home.env);
    assert.equal(out.code, 1, url);
    assert.equal(JSON.parse(out.stderr).code, "invalid_argument");
  }
});

Deno.test("set-webhook applies live through config_set, the secret before the URL", async () => {
  await using d = await fakeDaemon({ config_set: { applied: true, restart_required: false } });
  const out = await d.run(["--json", "set-webhook", "http://127.0.0.1:9/h", "--secret", "k"]);
  assert.deepEqual(dataOf(out), { webhook: "http://127.0.0.1:9/h", applied: true });
  assert.deepEqual(d.argsOf("config_set"), [
    { key: "webhook_secret", value: "k" },
    { key: "webhook", value: "http://127.0.0.1:9/h" },
  ]);
  assert.equal((await readConfig(d.home)).webhook, "http://127.0.0.1:9/h");
});

Deno.test("set-webhook reports applied: false when the daemon cannot apply it live", async () => {
  await using d = await fakeDaemon({ config_set: { applied: false, restart_required: true } });
  assert.equal(dataOf(await d.run(["--json", "set-webhook", "http://127.0.0.1:9/h"])).applied, false);
  // A daemon without config_set at all.
  await using old = await fakeDaemon({});
  assert.equal(dataOf(await old.run(["--json", "set-webhook", "http://127.0.0.1:9/h"])).applied, false);
});

Deno.test("clear-webhook removes URL and secret from config and stops deliveries live", async () => {
  await using d = await fakeDaemon({ config_set: { applied: true, restart_required: false } });
  await d.run(["set-webhook", "http://127.0.0.1:9/h", "--secret", "k"]);
  const out = await d.run(["--json", "clear-webhook"]);
  assert.deepEqual(dataOf(out), { webhook: "", applied: true });
  const config = await readConfig(d.home);
  assert.equal("webhook" in config, false);
  assert.equal("webhook_secret" in config, false);
  assert.deepEqual(d.argsOf("config_set").slice(-2), [
    { key: "webhook", value: "" },
    { key: "webhook_secret", value: "" },
  ]);
  assert.equal((await d.run(["clear-webhook", "extra"])).code, 2);
  assert.equal(errorEnvelope(await d.run(["--json", "clear-webhook", "x"])).code, "invalid_argument");
});
