// `pilotctl deregister` (CLI.md §3.3).
import assert from "node:assert/strict";
import { dataOf, fakeDaemon, SELF_ID } from "./_daemon.ts";

Deno.test("deregister asks the daemon to release hostname and tags and reports deregistered", async () => {
  await using d = await fakeDaemon({ deregister: { offline: true } });
  const out = await d.run(["deregister", "--json"]);
  assert.equal(out.code, 0, out.stderr);
  assert.deepEqual(dataOf(out), { node_id: SELF_ID, deregistered: true });
  assert.deepEqual(d.argsOf("deregister"), [{ release: true }]);
});
