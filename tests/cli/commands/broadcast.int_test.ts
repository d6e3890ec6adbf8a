// `pilotctl broadcast` (CLI.md §3.6) against a fake daemon: the member list comes from `network_members`, and each
// dial reaches a real data exchange service; untrusted and offline members are skipped.
import assert from "node:assert/strict";
import { NotTrustedError, UnauthorizedError } from "../../../src/util/errors.ts";
import { exchangeEnv } from "../../daemon/services/_exchange.ts";
import { dataOf, errorEnvelope, fakeDaemon, SELF_ID } from "./_daemon.ts";
import { serviceDaemon } from "./_services.ts";

const MEMBERS = [
  { node_id: SELF_ID, address: "7:0007.0000.0105", hostname: "alice", tags: [], admin: true, online: true },
  { node_id: 0x101, address: "7:0007.0000.0101", hostname: "bob", tags: [], admin: false, online: true },
  { node_id: 0x102, address: "7:0007.0000.0102", hostname: "carol", tags: [], admin: false, online: true },
  { node_id: 0x103, address: "7:0007.0000.0103", hostname: "dave", tags: [], admin: false, online: false },
];

async function setup() {
  const remote = await exchangeEnv({ members: { 7: [SELF_ID] } });
  const svc = serviceDaemon({
    services: { 1001: remote.service },
    dialError: (addr) => (addr === "0:0000.0000.0102" ? new NotTrustedError(addr) : undefined),
  });
  const daemon = await fakeDaemon({
    ...svc.scripts,
    network_list: {
      networks: [{ network_id: 7, name: "lab", join_rule: "open", members: 4, member: true, admin: true }],
    },
    network_members: { members: MEMBERS },
  }, svc.extra);
  return {
    remote,
    daemon,
    async [Symbol.asyncDispose]() {
      await daemon[Symbol.asyncDispose]();
      await svc.settled();
      await remote[Symbol.asyncDispose]();
    },
  };
}

Deno.test("broadcast delivers to online trusted members and counts the rest as skipped", async () => {
  await using t = await setup();
  const out = await t.daemon.run(["broadcast", "7", "all hands at noon"]);
  assert.equal(out.code, 0, out.stderr);
  assert.equal(out.stdout, "Broadcast to network 7: 1 delivered, 2 skipped\n");
  // Only the online members other than this node were dialled, on port 1001.
  assert.deepEqual(t.daemon.argsOf("dial").map((a) => [a.addr, a.port]).sort(), [
    ["0:0000.0000.0101", 1001],
    ["0:0000.0000.0102", 1001],
  ]);
  const [msg] = await t.remote.inbox.list();
  assert.deepEqual([msg.type, msg.data, msg.broadcast], ["text", "all hands at noon", 7]);
});

Deno.test("broadcast --json by network name returns network_id, members, delivered, skipped", async () => {
  await using t = await setup();
  const data = dataOf(await t.daemon.run(["--json", "broadcast", "lab", "hi"]));
  assert.deepEqual(data, { network_id: 7, members: 3, delivered: 1, skipped: 2 });
  assert.deepEqual(t.daemon.argsOf("network_members")[0], { network_id: 7, limit: 500 });
});

Deno.test("broadcast refuses the backbone and an empty message before contacting the daemon", async () => {
  await using d = await fakeDaemon({});
  const backbone = await d.run(["--json", "broadcast", "0", "hi"]);
  assert.equal(backbone.code, 1);
  assert.deepEqual([errorEnvelope(backbone).code, errorEnvelope(backbone).message], [
    "invalid_argument",
    "cannot broadcast on the backbone",
  ]);
  const empty = await d.run(["--json", "broadcast", "7", ""]);
  assert.equal(errorEnvelope(empty).code, "invalid_argument");
  assert.deepEqual(d.calls, []);
});

Deno.test("broadcast: not a member is unauthorized, an unknown network is not_found", async () => {
  await using d = await fakeDaemon({
    network_list: { networks: [] },
    network_members: () => Promise.reject(new UnauthorizedError("not a member of network 9", { detail: "forbidden" })),
  });
  const member = await d.run(["--json", "broadcast", "9", "hi"]);
  assert.equal(errorEnvelope(member).code, "unauthorized");
  const unknown = await d.run(["--json", "broadcast", "nowhere", "hi"]);
  assert.equal(errorEnvelope(unknown).code, "not_found");
});
