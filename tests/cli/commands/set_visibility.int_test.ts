// `pilotctl set-public [node_id]` and `set-private [node_id]` (CLI.md §3.3).
import assert from "node:assert/strict";
import { dataOf, errorEnvelope, fakeDaemon, SELF_ADDR, SELF_ID } from "./_daemon.ts";

const echoVisibility = { set_visibility: (args: Record<string, unknown>) => Promise.resolve({ public: args.public }) };

Deno.test("set-public and set-private set visibility, print it and save it to config.json", async () => {
  await using d = await fakeDaemon(echoVisibility);
  const pub = await d.run(["set-public"]);
  assert.equal(pub.code, 0, pub.stderr);
  assert.equal(pub.stdout, "Visibility: public\n");
  assert.equal(JSON.parse(await Deno.readTextFile(`${d.home}/config.json`)).public, true);
  const priv = await d.run(["--json", "set-private", String(SELF_ID)]);
  assert.deepEqual(dataOf(priv), { node_id: SELF_ID, public: false });
  assert.equal(JSON.parse(await Deno.readTextFile(`${d.home}/config.json`)).public, false);
  assert.equal((await d.run(["set-private", SELF_ADDR])).stdout, "Visibility: private\n");
  assert.deepEqual(d.argsOf("set_visibility"), [{ public: true }, { public: false }, { public: false }]);
});

Deno.test("set-public with another node's id is invalid_argument", async () => {
  await using d = await fakeDaemon(echoVisibility);
  const out = await d.run(["--json", "set-public", "257"]);
  assert.equal(out.code, 1);
  assert.equal(errorEnvelope(out).message, "can only change your own visibility");
  const bad = await d.run(["--json", "set-public", "abc"]);
  assert.equal(errorEnvelope(bad).message, 'invalid node id "abc"');
  assert.deepEqual(d.argsOf("set_visibility"), []);
});
