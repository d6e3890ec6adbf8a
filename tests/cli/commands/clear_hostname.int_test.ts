// `pilotctl clear-hostname` (CLI.md §3.3).
import assert from "node:assert/strict";
import { dataOf, fakeDaemon, SELF_ID } from "./_daemon.ts";

Deno.test("clear-hostname releases the name and removes it from config.json", async () => {
  await using d = await fakeDaemon({ set_hostname: { hostname: "" } });
  await Deno.mkdir(d.home, { recursive: true });
  await Deno.writeTextFile(`${d.home}/config.json`, JSON.stringify({ hostname: "alice", email: "a@b.io" }));
  const out = await d.run(["clear-hostname"]);
  assert.equal(out.code, 0, out.stderr);
  assert.equal(out.stdout, "Hostname cleared\n");
  assert.deepEqual(d.argsOf("set_hostname"), [{ hostname: "" }]);
  assert.deepEqual(JSON.parse(await Deno.readTextFile(`${d.home}/config.json`)), { email: "a@b.io" });
  assert.deepEqual(dataOf(await d.run(["clear-hostname", "--json"])), { node_id: SELF_ID, hostname: "" });
});
