// Directory and visibility (PROTOCOL-BRIEF §4.3, §4.4): lookup, get_keys, resolve_hostname, find_by_tag and the
// node's own hostname, visibility and tags.
import assert from "node:assert/strict";
import { toBase64 } from "../../src/util/bytes.ts";
import { Harness, type Json } from "./helpers.ts";

Deno.test("lookup of a private node by a stranger is not_found, worded like an unknown id", async () => {
  const h = await Harness.create();
  try {
    const a = await h.register();
    const stranger = await h.register();
    const hidden = await h.fails(h.signed(stranger, "lookup", { target: a.nodeId }), "not_found");
    const unknown = await h.fails(h.signed(stranger, "lookup", { target: 0x9999 }), "not_found");
    const shape = (r: Json) => String(r.message).replace(/0:0000\.[0-9A-F]{4}\.[0-9A-F]{4}/, "<addr>");
    assert.equal(shape(hidden), shape(unknown));
    assert.equal(hidden.field, unknown.field);
  } finally {
    await h.close();
  }
});

Deno.test("lookup sees public nodes, mutual trust, shared networks, and a node that asked you for trust", async () => {
  const h = await Harness.create();
  try {
    const a = await h.register();
    const b = await h.register();
    // a asks b for trust (edge a → b): a reveals itself to b, and only to b.
    await h.call(a, "report_trust", { peer: b.nodeId });
    assert.equal((await h.call(b, "lookup", { target: a.nodeId })).node_id, a.nodeId);
    await h.fails(h.signed(a, "lookup", { target: b.nodeId }), "not_found");
    await h.call(b, "report_trust", { peer: a.nodeId });
    assert.equal((await h.call(a, "lookup", { target: b.nodeId })).node_id, b.nodeId);
    // b withdraws: b is hidden from a again, a (still asking) stays visible to b.
    await h.call(b, "revoke_trust", { peer: a.nodeId });
    await h.fails(h.signed(a, "lookup", { target: b.nodeId }), "not_found");
    assert.equal((await h.call(b, "lookup", { target: a.nodeId })).node_id, a.nodeId);
    await h.call(a, "revoke_trust", { peer: b.nodeId });
    await h.fails(h.signed(b, "lookup", { target: a.nodeId }), "not_found");

    const net = await h.call(a, "network_create", { name: "lab", join_rule: "open" });
    await h.call(b, "network_join", { network_id: net.network_id });
    const seen = await h.call(b, "lookup", { target: "0:0000.0000.0100" });
    assert.deepEqual(seen.shared_networks, [net.network_id]);
    assert.deepEqual(seen.addresses, { "0": "0:0000.0000.0100", "1": "1:0001.0000.0100" });
    await h.call(b, "network_leave", { network_id: net.network_id });
    await h.fails(h.signed(b, "lookup", { target: a.nodeId }), "not_found");

    await h.call(a, "set_visibility", { public: true });
    const pub = await h.call(b, "lookup", { target: a.nodeId });
    assert.equal(pub.public, true);
    assert.equal(pub.owner, undefined);
  } finally {
    await h.close();
  }
});

Deno.test("lookup returns keys, tags and endpoints in the documented order, owner only to self", async () => {
  const h = await Harness.create();
  try {
    const a = await h.register({
      public: true,
      owner: "a@example.com",
      endpoint: "203.0.113.5:4000",
      lan_addrs: ["192.168.1.5:4000"],
    });
    await h.store.transaction((tx) =>
      tx.putBeaconEndpoint({ nodeId: a.nodeId, ip: "198.51.100.7", port: 5555, expiresAtMs: h.clock.now() + 60_000 })
    );
    await h.call(a, "set_tags", { tags: ["#gpu"] });
    const b = await h.register();
    const r = await h.call(b, "lookup", { target: a.nodeId });
    assert.deepEqual(r.endpoints, ["203.0.113.5:4000", "198.51.100.7:5555", "127.0.0.1:4000", "192.168.1.5:4000"]);
    assert.deepEqual(r.tags, ["gpu"]);
    assert.equal(r.public_key, toBase64(a.identity.publicKey));
    assert.equal(r.noise_public_key, toBase64(a.identity.noisePublicKey));
    assert.equal(r.noise_issued_at, a.identity.noiseIssuedAt);
    assert.equal(r.noise_sig, toBase64(a.identity.noiseSig));
    assert.equal(r.last_seen_ms, h.clock.now());
    assert.equal(r.owner, undefined);
    assert.equal((await h.call(a, "lookup", { target: a.nodeId })).owner, "a@example.com");
  } finally {
    await h.close();
  }
});

Deno.test("get_keys is open to every registered node and not_found for unknown ids", async () => {
  const h = await Harness.create();
  try {
    const a = await h.register();
    const b = await h.register();
    const k = await h.call(b, "get_keys", { target: a.nodeId });
    assert.equal(k.public_key, toBase64(a.identity.publicKey));
    assert.deepEqual(k.key_chain, []);
    await h.fails(h.signed(b, "get_keys", { target: 0x5555 }), "not_found");
    assert.equal((await h.fails(h.signed(b, "get_keys", { target: "bogus" }), "invalid_argument")).field, "target");
  } finally {
    await h.close();
  }
});

Deno.test("resolve_hostname resolves visible nodes only", async () => {
  const h = await Harness.create();
  try {
    const a = await h.register({ hostname: "alice" });
    const b = await h.register();
    const hidden = await h.fails(h.signed(b, "resolve_hostname", { hostname: "alice" }), "not_found");
    assert.equal(hidden.message, 'no node with hostname "alice" is visible to you');
    const unknown = await h.fails(h.signed(b, "resolve_hostname", { hostname: "nobody" }), "not_found");
    assert.equal(unknown.message, 'no node with hostname "nobody" is visible to you');
    await h.call(a, "set_visibility", { public: true });
    const r = await h.call(b, "resolve_hostname", { hostname: "alice" });
    assert.deepEqual(r, {
      type: "resolve_hostname_ok",
      node_id: a.nodeId,
      address: "0:0000.0000.0100",
      hostname: "alice",
      public: true,
    });
  } finally {
    await h.close();
  }
});

Deno.test("a node that asked for trust is visible by hostname and tag to the node it asked, to no one else", async () => {
  const h = await Harness.create();
  try {
    const a = await h.register({ hostname: "alice" });
    await h.call(a, "set_tags", { tags: ["summarizer"] });
    const b = await h.register();
    const stranger = await h.register();
    await h.call(a, "report_trust", { peer: b.nodeId });
    assert.equal((await h.call(b, "resolve_hostname", { hostname: "alice" })).node_id, a.nodeId);
    const found = await h.call(b, "find_by_tag", { tags: ["summarizer"] });
    assert.deepEqual((found.nodes as Json[]).map((n) => n.node_id), [a.nodeId]);
    await h.fails(h.signed(stranger, "resolve_hostname", { hostname: "alice" }), "not_found");
    await h.fails(h.signed(stranger, "lookup", { target: a.nodeId }), "not_found");
    assert.deepEqual((await h.call(stranger, "find_by_tag", { tags: ["summarizer"] })).nodes, []);
  } finally {
    await h.close();
  }
});

Deno.test("set_hostname: squatting a taken name is already_exists; bad names are invalid_argument; empty clears", async () => {
  const h = await Harness.create();
  try {
    const a = await h.register();
    const b = await h.register();
    assert.deepEqual(await h.call(a, "set_hostname", { hostname: "web-1" }), {
      type: "set_hostname_ok",
      hostname: "web-1",
    });
    const squat = await h.fails(h.signed(b, "set_hostname", { hostname: "web-1" }), "already_exists");
    assert.equal(squat.field, "hostname");
    for (const bad of ["-a", "a-", "UPPER", "12345", "localhost", "beacon", "a".repeat(64), "a_b"]) {
      await h.fails(h.signed(b, "set_hostname", { hostname: bad }), "invalid_argument");
    }
    await h.call(a, "set_hostname", { hostname: "" });
    await h.call(b, "set_hostname", { hostname: "web-1" });
    await h.call(b, "set_hostname", { hostname: "web-1" });
  } finally {
    await h.close();
  }
});

Deno.test("set_tags strips one #, removes duplicates and allows at most 10", async () => {
  const h = await Harness.create();
  try {
    const a = await h.register();
    assert.deepEqual((await h.call(a, "set_tags", { tags: ["#gpu", "gpu", "ml"] })).tags, ["gpu", "ml"]);
    const eleven = Array.from({ length: 11 }, (_, i) => `t${i}`);
    assert.equal((await h.fails(h.signed(a, "set_tags", { tags: eleven }), "invalid_argument")).field, "tags");
    await h.fails(h.signed(a, "set_tags", { tags: ["##x"] }), "invalid_argument");
    await h.fails(h.signed(a, "set_tags", { tags: ["x".repeat(33)] }), "invalid_argument");
    await h.fails(h.signed(a, "set_tags", { tags: [1] }), "bad_request");
    assert.deepEqual((await h.call(a, "set_tags", { tags: [] })).tags, []);
  } finally {
    await h.close();
  }
});

Deno.test("find_by_tag returns visible nodes matching all tags, paged by cursor", async () => {
  const h = await Harness.create();
  try {
    const me = await h.register();
    const nodes = [];
    for (let i = 0; i < 7; i++) {
      const n = await h.register({ public: i !== 3 });
      await h.call(n, "set_tags", { tags: i % 2 === 0 ? ["gpu", "ml"] : ["gpu"] });
      nodes.push(n);
    }
    const all = await h.call(me, "find_by_tag", { tags: ["gpu"], limit: 4 });
    const first = (all.nodes as Json[]).map((n) => n.node_id);
    assert.equal(first.length, 4);
    assert.ok(!first.includes(nodes[3].nodeId), "the private node is hidden");
    assert.equal(typeof all.next_cursor, "string");
    const rest = await h.call(me, "find_by_tag", { tags: ["gpu"], limit: 4, cursor: all.next_cursor });
    const second = (rest.nodes as Json[]).map((n) => n.node_id);
    assert.deepEqual([...first, ...second], nodes.filter((_, i) => i !== 3).map((n) => n.nodeId));
    assert.equal(rest.next_cursor, undefined);
    const both = await h.call(me, "find_by_tag", { tags: ["#ml", "gpu"] });
    assert.deepEqual(
      (both.nodes as Json[]).map((n) => n.node_id),
      [nodes[0], nodes[2], nodes[4], nodes[6]].map((n) => n.nodeId),
    );
    assert.deepEqual(Object.keys((both.nodes as Json[])[0]).sort(), ["address", "node_id", "online", "public", "tags"]);
    await h.fails(h.signed(me, "find_by_tag", { tags: [] }), "invalid_argument");
    await h.fails(h.signed(me, "find_by_tag", { tags: ["gpu"], limit: 101 }), "invalid_argument");
    await h.fails(h.signed(me, "find_by_tag", { tags: ["gpu"], network_id: 3 }), "forbidden");
  } finally {
    await h.close();
  }
});
