// `pilotctl set-hostname <name>` (CLI.md §3.3).
import assert from "node:assert/strict";
import { AlreadyExistsError } from "../../../src/util/errors.ts";
import { dataOf, errorEnvelope, fakeDaemon, SELF_ID } from "./_daemon.ts";

Deno.test("set-hostname claims the name and saves it to config.json", async () => {
  await using d = await fakeDaemon({ set_hostname: (args) => Promise.resolve({ hostname: args.hostname }) });
  const out = await d.run(["set-hostname", "alice"]);
  assert.equal(out.code, 0, out.stderr);
  assert.equal(out.stdout, "Hostname set: alice\n");
  assert.deepEqual(d.argsOf("set_hostname"), [{ hostname: "alice" }]);
  assert.equal(JSON.parse(await Deno.readTextFile(`${d.home}/config.json`)).hostname, "alice");
  assert.deepEqual(dataOf(await d.run(["--json", "set-hostname", "alice"])), { node_id: SELF_ID, hostname: "alice" });
});

Deno.test("set-hostname rejects bad names locally and reports a taken name as already_exists", async () => {
  await using d = await fakeDaemon({
    set_hostname: () => Promise.reject(new AlreadyExistsError('hostname "bob" is already taken')),
  });
  const bad = await d.run(["--json", "set-hostname", "Bob"]);
  assert.equal(bad.code, 1);
  assert.equal(errorEnvelope(bad).message, 'invalid hostname "Bob"');
  const long = await d.run(["--json", "set-hostname", "a".repeat(64)]);
  assert.equal(errorEnvelope(long).message, "hostname too long (max 63 characters)");
  assert.deepEqual(d.calls, []);
  const taken = await d.run(["--json", "set-hostname", "bob"]);
  assert.equal(taken.code, 1);
  const err = errorEnvelope(taken);
  assert.equal(err.code, "already_exists");
  assert.equal(err.message, 'hostname "bob" is taken');
  assert.equal(await Deno.stat(`${d.home}/config.json`).catch(() => null), null, "nothing saved");
  assert.equal((await d.run(["set-hostname"])).code, 2);
});
