// Networks (PROTOCOL-BRIEF §4.4): creation, the three join rules, leave, invites, listing, members and the caps.
import assert from "node:assert/strict";
import { parseLimits } from "../../src/registry/limits.ts";
import { Harness, type Json } from "./helpers.ts";

const TOKEN = "correct-horse-battery";

Deno.test("network_create makes the creator admin; names are unique and validated", async () => {
  const h = await Harness.create();
  try {
    const a = await h.register();
    const r = await h.call(a, "network_create", { name: "lab", join_rule: "open" });
    assert.deepEqual(r, { type: "network_create_ok", network_id: 1, name: "lab", address: "1:0001.0000.0100" });
    assert.equal(
      (await h.fails(h.signed(a, "network_create", { name: "lab", join_rule: "open" }), "already_exists")).field,
      "name",
    );
    await h.fails(h.signed(a, "network_create", { name: "backbone", join_rule: "open" }), "invalid_argument");
    await h.fails(h.signed(a, "network_create", { name: "x", join_rule: "closed" }), "invalid_argument");
    await h.fails(h.signed(a, "network_create", { name: "t", join_rule: "token" }), "bad_request");
    await h.fails(h.signed(a, "network_create", { name: "t", join_rule: "token", token: "short" }), "invalid_argument");
    await h.fails(h.signed(a, "network_create", { name: "t", join_rule: "open", token: TOKEN }), "invalid_argument");
    const list = (await h.call(a, "network_list")).networks as Json[];
    assert.deepEqual(list, [{
      network_id: 1,
      name: "lab",
      join_rule: "open",
      members: 1,
      member: true,
      admin: true,
      address: "1:0001.0000.0100",
    }]);
  } finally {
    await h.close();
  }
});

Deno.test("network_join by token compares the token and never returns it", async () => {
  const h = await Harness.create();
  try {
    const a = await h.register();
    const b = await h.register();
    const net = await h.call(a, "network_create", { name: "secret", join_rule: "token", token: TOKEN });
    const wrong = await h.fails(h.signed(b, "network_join", { name: "secret", token: TOKEN + "x" }), "forbidden");
    assert.match(String(wrong.message), /wrong token/);
    await h.fails(h.signed(b, "network_join", { name: "secret" }), "forbidden");
    const ok = await h.call(b, "network_join", { name: "secret", token: TOKEN });
    assert.deepEqual(ok, { type: "network_join_ok", network_id: net.network_id, address: "1:0001.0000.0101" });
    await h.fails(h.signed(b, "network_join", { network_id: net.network_id, token: TOKEN }), "already_exists");
    const listing = JSON.stringify(await h.call(b, "network_list"));
    assert.ok(!listing.includes(TOKEN));
    await h.fails(h.signed(b, "network_join", { name: "nothing" }), "not_found");
    await h.fails(h.signed(b, "network_join", { network_id: 0 }), "invalid_argument");
  } finally {
    await h.close();
  }
});

Deno.test("invite-only networks need an unexpired invite from an admin", async () => {
  const h = await Harness.create();
  try {
    const admin = await h.register();
    const b = await h.register();
    const c = await h.register();
    const net = await h.call(admin, "network_create", { name: "club", join_rule: "invite" });
    const id = net.network_id;
    await h.fails(h.signed(b, "network_join", { network_id: id }), "forbidden");
    await h.fails(h.signed(b, "network_invite", { network_id: id, invitee: c.nodeId }), "forbidden");
    const inv = await h.call(admin, "network_invite", { network_id: id, invitee: b.nodeId });
    assert.equal(inv.expires_at_ms, h.clock.now() + 7 * 86_400_000);
    assert.equal(inv.invitee, b.nodeId);
    await h.call(b, "network_join", { network_id: id });
    await h.call(admin, "network_invite", { network_id: id, invitee: "0:0000.0000.0102" });
    h.clock.advance(7 * 86_400_000 + 1);
    await h.fails(h.signed(c, "network_join", { network_id: id }), "forbidden");
    await h.fails(h.signed(admin, "network_invite", { network_id: id, invitee: 0x7777 }), "not_found");
    await h.fails(h.signed(admin, "network_invite", { network_id: id, invitee: b.nodeId }), "already_exists");
  } finally {
    await h.close();
  }
});

Deno.test("network_leave and network_members: members only, network 0 refused", async () => {
  const h = await Harness.create();
  try {
    const a = await h.register({ hostname: "alpha" });
    const b = await h.register();
    const c = await h.register();
    const id = (await h.call(a, "network_create", { name: "grp", join_rule: "open" })).network_id;
    await h.call(b, "network_join", { network_id: id });
    const m = await h.call(a, "network_members", { network_id: id, limit: 1 });
    assert.deepEqual(m.members, [{
      node_id: a.nodeId,
      address: "1:0001.0000.0100",
      hostname: "alpha",
      tags: [],
      admin: true,
      online: true,
    }]);
    const next = await h.call(a, "network_members", { network_id: id, limit: 1, cursor: m.next_cursor });
    assert.deepEqual((next.members as Json[]).map((x) => x.node_id), [b.nodeId]);
    assert.equal(next.next_cursor, undefined);
    await h.fails(h.signed(c, "network_members", { network_id: id }), "forbidden");
    await h.fails(h.signed(a, "network_members", { network_id: 0 }), "invalid_argument");
    await h.fails(h.signed(a, "network_leave", { network_id: 0 }), "invalid_argument");
    await h.call(b, "network_leave", { network_id: id });
    await h.fails(h.signed(b, "network_leave", { network_id: id }), "not_found");
    const reg = await h.register({}, a.identity);
    assert.deepEqual(reg.reply.networks, [0, id]);
  } finally {
    await h.close();
  }
});

Deno.test("caps: networks per node and members per network are enforced", async () => {
  const h = await Harness.create({
    limits: parseLimits({ enabled: false, networks_per_node: 2, members_per_network: 2 }),
  });
  try {
    const a = await h.register();
    const b = await h.register();
    const c = await h.register();
    const n1 = (await h.call(a, "network_create", { name: "n1", join_rule: "open" })).network_id;
    await h.call(a, "network_create", { name: "n2", join_rule: "open" });
    await h.fails(h.signed(a, "network_create", { name: "n3", join_rule: "open" }), "limit_exceeded");
    await h.call(b, "network_join", { network_id: n1 });
    await h.fails(h.signed(c, "network_join", { network_id: n1 }), "limit_exceeded");
  } finally {
    await h.close();
  }
});

Deno.test("network_create is limited to 10 per node per day", async () => {
  const h = await Harness.create({ limits: parseLimits({ networks_per_node: 64 }) });
  try {
    const a = await h.register();
    for (let i = 0; i < 10; i++) await h.call(a, "network_create", { name: `net${i}`, join_rule: "open" });
    await h.fails(h.signed(a, "network_create", { name: "net10", join_rule: "open" }), "rate_limited");
  } finally {
    await h.close();
  }
});
