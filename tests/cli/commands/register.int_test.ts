// `pilotctl register` (CLI.md §3.3).
import assert from "node:assert/strict";
import { ConnectionFailedError } from "../../../src/util/errors.ts";
import { dataOf, errorEnvelope, fakeDaemon, SELF_ADDR, SELF_ID } from "./_daemon.ts";

Deno.test('register returns node_id, address and hostname ("" when none)', async () => {
  await using d = await fakeDaemon({ register: { node_id: SELF_ID, address: SELF_ADDR } });
  const out = await d.run(["--json", "register"]);
  assert.equal(out.code, 0, out.stderr);
  assert.deepEqual(dataOf(out), { node_id: SELF_ID, address: SELF_ADDR, hostname: "" });
  const human = await d.run(["register"]);
  assert.equal(human.stdout, JSON.stringify({ node_id: SELF_ID, address: SELF_ADDR, hostname: "" }, null, 2) + "\n");
});

Deno.test("register passes the registry-unreachable failure through as connection_failed", async () => {
  await using d = await fakeDaemon({
    register: () =>
      Promise.reject(
        new ConnectionFailedError("cannot reach registry at 127.0.0.1:9000", {
          hint: "start one with: pilotctl registry run, or set PILOT_REGISTRY",
          detail: "registry_unreachable",
        }),
      ),
  });
  const out = await d.run(["register", "--json"]);
  assert.equal(out.code, 1);
  assert.deepEqual(errorEnvelope(out), {
    status: "error",
    code: "connection_failed",
    message: "cannot reach registry at 127.0.0.1:9000",
    hint: "start one with: pilotctl registry run, or set PILOT_REGISTRY",
  });
});
