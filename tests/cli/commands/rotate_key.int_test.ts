// `pilotctl rotate-key` (CLI.md §3.3).
import assert from "node:assert/strict";
import { UnauthorizedError } from "../../../src/util/errors.ts";
import { dataOf, errorEnvelope, fakeDaemon, infoResult, SELF_ADDR, SELF_ID } from "./_daemon.ts";

Deno.test("rotate-key reports the new and the previous public key", async () => {
  const old = infoResult().public_key;
  await using d = await fakeDaemon({
    info: infoResult(),
    rotate_key: { node_id: SELF_ID, address: SELF_ADDR, public_key: "bmV3a2V5" },
  });
  const out = await d.run(["--json", "rotate-key"]);
  assert.equal(out.code, 0, out.stderr);
  assert.deepEqual(dataOf(out), {
    node_id: SELF_ID,
    address: SELF_ADDR,
    public_key: "bmV3a2V5",
    previous_public_key: old,
  });
  assert.equal((await d.run(["rotate-key"])).stdout, "Key rotated for 0:0000.0000.0105 (address unchanged)\n");
});

Deno.test("rotate-key refused by the registry is unauthorized; an argument is a usage error", async () => {
  await using d = await fakeDaemon({
    info: infoResult(),
    rotate_key: () => Promise.reject(new UnauthorizedError("key was rotated", { detail: "forbidden" })),
  });
  const out = await d.run(["--json", "rotate-key"]);
  assert.equal(out.code, 1);
  assert.equal(errorEnvelope(out).code, "unauthorized");
  assert.equal((await d.run(["rotate-key", "now"])).code, 2);
});
