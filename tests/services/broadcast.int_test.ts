// `broadcast` between real in-process daemons (PROTOCOL-BRIEF §9.2 BROADCAST, §6.4; CLI.md §3.4, §3.6): a network
// created and joined through the CLI, one member without trust skipped, the backbone refused by the CLI and by the
// receiver, and a network the receiver is not in refused.
import assert from "node:assert/strict";
import { makeTrust } from "../daemon/_pair.ts";
import { cliJson, exchange, inbox, named, ok } from "./_nodes.ts";

Deno.test("broadcast to a 3-member network with one untrusted member: 2 delivered, 1 skipped", async () => {
  await using c = await named(["alice", "bob", "carol", "dave"]);
  const [a, b, carol, dave] = c.members;
  const created = ok(await cliJson<{ network_id: number }>(c, a, ["network", "create", "lab"]));
  for (const m of [b, carol, dave]) ok(await cliJson(c, m, ["network", "join", "lab"]));
  await makeTrust(a, b);
  await makeTrust(carol, a);
  const id = created.network_id;

  const sent = ok(await cliJson(c, a, ["broadcast", "lab", "all hands at noon"]));
  assert.deepEqual(sent, { network_id: id, members: 3, delivered: 2, skipped: 1 });
  for (const m of [b, carol]) {
    const [msg] = await inbox(c, m);
    assert.deepEqual([msg.type, msg.data, msg.from, msg.broadcast], ["text", "all hands at noon", a.node.address, id]);
  }
  assert.deepEqual(await inbox(c, dave), []);

  const backbone = await cliJson(c, a, ["broadcast", "0", "everyone"]);
  assert.deepEqual([backbone.code, backbone.error?.code, backbone.error?.message], [
    1,
    "invalid_argument",
    "cannot broadcast on the backbone",
  ]);
  // A raw BROADCAST frame is checked by the receiver too: not the backbone, not a network it is not in.
  const { sender, stream } = await exchange(a, b);
  try {
    const zero = await sender.sendBroadcast(0, "backbone");
    assert.deepEqual([zero.status, zero.code], ["error", "not_member"]);
    const other = await sender.sendBroadcast(id + 1, "elsewhere");
    assert.deepEqual([other.status, other.code], ["error", "not_member"]);
    await sender.finish();
  } finally {
    await stream.close("both").catch(() => {});
  }
  assert.equal((await inbox(c, b)).length, 1);
});

// The receiver checks BROADCAST membership against its cached member list: a miss refreshes it (rate-limited).
Deno.test({
  name: "a member who just joined can broadcast to a member that cached the list before",
  fn: async () => {
    await using c = await named(["alice", "bob", "dave"]);
    const [a, b, d] = c.members;
    ok(await cliJson(c, a, ["network", "create", "lab"]));
    ok(await cliJson(c, b, ["network", "join", "lab"]));
    await makeTrust(a, b);
    await makeTrust(d, b);
    assert.equal(ok(await cliJson<{ delivered: number }>(c, a, ["broadcast", "lab", "one"])).delivered, 1);
    ok(await cliJson(c, d, ["network", "join", "lab"]));
    const late = ok(await cliJson<{ delivered: number }>(c, d, ["broadcast", "lab", "two"]));
    assert.equal(late.delivered, 1, "bob accepts the new member's broadcast");
  },
});
