// `pilotctl peers [--search q]` (CLI.md §3.8).
import assert from "node:assert/strict";
import { dataOf, fakeDaemon, infoResult } from "./_daemon.ts";

const PEERS = infoResult({
  peer_list: [
    ...infoResult().peer_list,
    {
      node_id: 300,
      address: "0:0000.0000.012C",
      hostname: "",
      endpoint: "",
      path: "relay",
      encrypted: true,
      authenticated: false,
      trusted: false,
      last_seen_ms: 0,
    },
  ],
});

Deno.test("peers prints the NODE ID/ADDRESS/HOSTNAME/PATH/ENDPOINT/AUTH table", async () => {
  await using d = await fakeDaemon({ info: PEERS });
  const out = await d.run(["peers"]);
  assert.equal(out.code, 0, out.stderr);
  assert.equal(
    out.stdout,
    "NODE ID  ADDRESS           HOSTNAME  PATH    ENDPOINT        AUTH\n" +
      "257      0:0000.0000.0101  bob       direct  192.0.2.7:4000  yes\n" +
      "300      0:0000.0000.012C  -         relay   -               no\n",
  );
});

Deno.test("peers --search matches id, address, hostname or endpoint, ignoring case", async () => {
  await using d = await fakeDaemon({ info: PEERS });
  const bob = dataOf(await d.run(["--json", "peers", "--search", "BOB"]));
  assert.equal(bob.total, 1);
  assert.deepEqual((bob.peers as unknown[])[0], {
    node_id: 257,
    address: "0:0000.0000.0101",
    hostname: "bob",
    endpoint: "192.0.2.7:4000",
    path: "direct",
    encrypted: true,
    authenticated: true,
    last_seen: "2025-06-01T12:00:01.123Z",
  });
  const relay = dataOf(await d.run(["--json", "peers", "--search", "012c"]));
  assert.deepEqual((relay.peers as Record<string, unknown>[]).map((p) => [p.node_id, p.endpoint, p.last_seen]), [
    [300, null, null],
  ]);
  assert.equal(dataOf(await d.run(["--json", "peers", "--search", "192.0.2"])).total, 1);
  assert.equal(dataOf(await d.run(["--json", "peers", "--search", "nothing"])).total, 0);
  assert.equal((await d.run(["peers", "--search", "nothing"])).stdout, "No peers\n");
});
