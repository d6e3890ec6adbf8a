// What `info` tells of the node itself (CLI.md §3.3 via PROTOCOL-BRIEF §8.3 `info`): email, visibility, tags,
// networks with their names and the registry address, read once at start and then kept by the commands that change
// them, so `info` answers without the registry.
import assert from "node:assert/strict";
import { registryText } from "./_cluster.ts";
import { cluster } from "./_pair.ts";

Deno.test("info carries email, visibility, tags, named networks and the registry, kept up to date", async () => {
  await using c = await cluster([]);
  const a = await c.start("alice", { hostname: "alice", extraConfig: { email: "alice@example.com" } });
  const info = await a.client.request("info");
  assert.equal(info.email, "alice@example.com");
  assert.equal(info.public, false);
  assert.deepEqual(info.tags, []);
  assert.deepEqual(info.networks, [{ network_id: 0, name: "backbone", address: a.node.address }]);
  assert.equal(info.registry, registryText(c.registry));

  await a.client.request("set_tags", { tags: ["gpu", "summarizer"] });
  await a.client.request("set_visibility", { public: true });
  const created = await a.client.request("network_create", { name: "lab", join_rule: "open" });
  const after = await a.client.request("info");
  assert.deepEqual(after.tags, ["gpu", "summarizer"]);
  assert.equal(after.public, true);
  assert.deepEqual(after.networks, [
    { network_id: 0, name: "backbone", address: a.node.address },
    { network_id: created.network_id, name: "lab", address: created.address },
  ]);

  // A restart reads tags and network names from the registry once, at start.
  await c.stop(a);
  await c.start("alice", { hostname: "alice", extraConfig: { email: "alice@example.com" } });
  const restarted = await a.client.request("info");
  assert.deepEqual(restarted.tags, ["gpu", "summarizer"]);
  assert.deepEqual(restarted.networks?.map((n) => n.name), ["backbone", "lab"]);
});
