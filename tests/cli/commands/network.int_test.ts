// `pilotctl network list|create|join|leave|members|invite` (CLI.md §3.4).
import assert from "node:assert/strict";
import { UnauthorizedError } from "../../../src/util/errors.ts";
import { BOB_ADDR, dataOf, errorEnvelope, fakeDaemon } from "./_daemon.ts";

const LIST = {
  networks: [
    {
      network_id: 7,
      name: "lab",
      join_rule: "token",
      members: 3,
      member: true,
      admin: true,
      address: "7:0007.0000.0105",
    },
    {
      network_id: 9,
      name: "ops",
      join_rule: "invite",
      members: 12,
      member: false,
      admin: false,
      address: "9:0009.0000.0105",
    },
  ],
};

Deno.test("network list prints the ID/NAME/RULE/MEMBERS/JOINED/ADDRESS table", async () => {
  await using d = await fakeDaemon({ network_list: LIST });
  const out = await d.run(["network", "list"]);
  assert.equal(out.code, 0, out.stderr);
  assert.equal(
    out.stdout,
    "ID  NAME  RULE    MEMBERS  JOINED  ADDRESS\n" +
      "7   lab   token   3        yes     7:0007.0000.0105\n" +
      "9   ops   invite  12       no      -\n",
  );
  const data = dataOf(await d.run(["--json", "network", "list"]));
  assert.equal(data.total, 2);
  assert.deepEqual((data.networks as unknown[])[1], {
    network_id: 9,
    name: "ops",
    join_rule: "invite",
    members: 12,
    member: false,
    admin: false,
    address: null,
  });
});

Deno.test("network create sends name, rule and token and prints `Created network 7 (lab, token)`", async () => {
  await using d = await fakeDaemon({ network_create: { network_id: 7, name: "lab", address: "7:0007.0000.0105" } });
  const token = "0123456789abcdef";
  const out = await d.run(["network", "create", "lab", "--join-rule", "token", "--token", token]);
  assert.equal(out.code, 0, out.stderr);
  assert.equal(out.stdout, "Created network 7 (lab, token)\n");
  assert.deepEqual(d.argsOf("network_create"), [{ name: "lab", join_rule: "token", token }]);
  assert.deepEqual(dataOf(await d.run(["--json", "network", "create", "lab"])), {
    network_id: 7,
    name: "lab",
    join_rule: "open",
    address: "7:0007.0000.0105",
  });
  assert.deepEqual(d.argsOf("network_create")[1], { name: "lab", join_rule: "open" });
});

Deno.test("network create refuses a bad name, rule or token before asking the daemon", async () => {
  await using d = await fakeDaemon({ network_create: {} });
  for (
    const argv of [
      ["Lab"],
      ["backbone"],
      ["lab", "--join-rule", "closed"],
      ["lab", "--join-rule", "token"],
      ["lab", "--join-rule", "token", "--token", "short"],
      ["lab", "--join-rule", "token", "--token", "x".repeat(129)],
    ]
  ) {
    const out = await d.run(["--json", "network", "create", ...argv]);
    assert.equal(out.code, 1, argv.join(" "));
    assert.equal(errorEnvelope(out).code, "invalid_argument");
  }
  assert.deepEqual(d.calls, []);
});

Deno.test("network join by name or id prints the new address; 0 is already_exists", async () => {
  await using d = await fakeDaemon({
    network_join: { network_id: 7, address: "7:0007.0000.0105" },
    network_list: LIST,
  });
  const byName = await d.run(["network", "join", "lab", "--token", "0123456789abcdef"]);
  assert.equal(byName.code, 0, byName.stderr);
  assert.equal(byName.stdout, "Joined network 7 (lab) as 7:0007.0000.0105\n");
  const byId = await d.run(["--json", "network", "join", "7"]);
  assert.deepEqual(dataOf(byId), { network_id: 7, name: "lab", address: "7:0007.0000.0105" });
  assert.deepEqual(d.argsOf("network_join"), [{ name: "lab", token: "0123456789abcdef" }, { network_id: 7 }]);
  const backbone = await d.run(["--json", "network", "join", "0"]);
  assert.equal(backbone.code, 1);
  assert.equal(errorEnvelope(backbone).code, "already_exists");
});

Deno.test("network join with a wrong token passes unauthorized through", async () => {
  await using d = await fakeDaemon({
    network_join: () => Promise.reject(new UnauthorizedError("invalid token for network 7", { detail: "forbidden" })),
  });
  const out = await d.run(["--json", "network", "join", "7", "--token", "wrongwrongwrong!"]);
  assert.equal(out.code, 1);
  assert.equal(errorEnvelope(out).code, "unauthorized");
});

Deno.test("network leave resolves a name to its id; the backbone cannot be left", async () => {
  await using d = await fakeDaemon({ network_leave: { network_id: 7 }, network_list: LIST });
  const out = await d.run(["network", "leave", "lab"]);
  assert.equal(out.code, 0, out.stderr);
  assert.equal(out.stdout, "Left network 7\n");
  assert.deepEqual(d.argsOf("network_leave"), [{ network_id: 7 }]);
  const backbone = await d.run(["--json", "network", "leave", "0"]);
  assert.equal(errorEnvelope(backbone).message, "cannot leave the backbone");
  const unknown = await d.run(["--json", "network", "leave", "nope"]);
  assert.equal(errorEnvelope(unknown).code, "not_found");
});

Deno.test("network members follows every page; the backbone has no member list", async () => {
  await using d = await fakeDaemon({
    network_members: (args) =>
      Promise.resolve(
        args.cursor === undefined
          ? {
            members: [{
              node_id: 257,
              address: "7:0007.0000.0101",
              hostname: "bob",
              tags: [],
              admin: true,
              online: true,
            }],
            next_cursor: "257",
          }
          : { members: [{ node_id: 261, address: "7:0007.0000.0105", tags: ["x"], admin: false, online: false }] },
      ),
  });
  const data = dataOf(await d.run(["--json", "network", "members", "7"]));
  assert.equal(data.network_id, 7);
  assert.equal(data.total, 2);
  assert.deepEqual((data.members as unknown[])[1], {
    node_id: 261,
    address: "7:0007.0000.0105",
    hostname: "",
    tags: ["x"],
    admin: false,
    online: false,
  });
  assert.deepEqual(d.argsOf("network_members"), [
    { network_id: 7, limit: 500 },
    { network_id: 7, limit: 500, cursor: "257" },
  ]);
  const backbone = await d.run(["--json", "network", "members", "0"]);
  assert.equal(errorEnvelope(backbone).message, "the backbone has no member list");
});

Deno.test("network invite resolves the target and reports status invited", async () => {
  await using d = await fakeDaemon({
    network_list: LIST,
    network_invite: { network_id: 7, invitee: 257, expires_at_ms: 1 },
  });
  const out = await d.run(["--json", "network", "invite", "lab", "257"]);
  assert.equal(out.code, 0, out.stderr);
  assert.deepEqual(dataOf(out), { network_id: 7, node_id: 257, status: "invited" });
  assert.deepEqual(d.argsOf("network_invite"), [{ network_id: 7, invitee: BOB_ADDR }]);
  assert.equal((await d.run(["network", "invite", "lab"])).code, 2);
  assert.equal((await d.run(["network", "frobnicate"])).code, 2);
});
