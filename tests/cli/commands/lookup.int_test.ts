// `pilotctl lookup <target>` (CLI.md §3.3).
import assert from "node:assert/strict";
import { NotFoundError } from "../../../src/util/errors.ts";
import { BOB_ADDR, dataOf, errorEnvelope, fakeDaemon } from "./_daemon.ts";

Deno.test("lookup reduces the registry record to the CLI's fields; human output is indented JSON", async () => {
  await using d = await fakeDaemon({
    lookup: {
      node_id: 257,
      address: BOB_ADDR,
      addresses: { "0": BOB_ADDR, "7": "7:0007.0000.0101" },
      tags: ["gpu"],
      public: true,
      online: true,
      last_seen_ms: 1,
      endpoints: ["192.0.2.7:4000"],
      public_key: "a2V5",
      noise_public_key: "bm9pc2U=",
    },
  });
  const expected = {
    node_id: 257,
    address: BOB_ADDR,
    hostname: "",
    public: true,
    tags: ["gpu"],
    networks: [0, 7],
    public_key: "a2V5",
    online: true,
  };
  assert.deepEqual(dataOf(await d.run(["--json", "lookup", "257"])), expected);
  const human = await d.run(["lookup", BOB_ADDR]);
  assert.equal(human.stdout, JSON.stringify(expected, null, 2) + "\n");
  assert.ok(human.stdout.includes('"public": true'));
});

Deno.test("lookup of an unknown or hidden node is not_found `node N not found or not visible`", async () => {
  await using d = await fakeDaemon({ lookup: () => Promise.reject(new NotFoundError("node 0:0001.869F not found")) });
  const out = await d.run(["--json", "lookup", "99999"]);
  assert.equal(out.code, 1);
  assert.deepEqual(errorEnvelope(out), {
    status: "error",
    code: "not_found",
    message: "node 99999 not found or not visible",
    hint: "",
  });
});
