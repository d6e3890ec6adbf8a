// Asking for trust reveals the asker to the peer it asks, and only while it asks (docs/PROTOCOL.md §5.4; CLI.md §4):
// a trust request reports the edge before it is sent, so the peer's `pending` shows the requester's hostname; a
// rejection withdraws the edge again and reaches the requester with its reason (`trust_pending.rejected`), which
// `handshake --wait` reports (CLI.md §3.5). A stranger sees nothing throughout.
import assert from "node:assert/strict";
import { eventually } from "./_cluster.ts";
import { cluster, type Member } from "./_pair.ts";

async function lookupFails(m: Member, node: number): Promise<string> {
  const err = await m.client.request("lookup", { target: String(node) }).then(() => null, (e) => e);
  return err?.code ?? "visible";
}

Deno.test("a requester is visible to the node it asked (hostname in pending) and to no stranger", async () => {
  await using c = await cluster([]);
  const alice = await c.start("alice", { hostname: "alice" });
  const bob = await c.start("bob", { hostname: "bob" });
  const carol = await c.start("carol", { hostname: "carol" });
  const aliceId = alice.node.nodeId;
  assert.equal(await lookupFails(bob, aliceId), "not_found", "private alice is hidden before she asks");
  await alice.client.request("trust_request", { node: bob.node.address, justification: "nightly report summaries" });
  const row = await eventually(async () =>
    (await bob.client.request("trust_pending")).incoming.find((r) => r.node_id === aliceId) ?? null
  );
  assert.equal(row.hostname, "alice");
  assert.equal(row.justification, "nightly report summaries");
  assert.equal((await bob.client.request("lookup", { target: String(aliceId) })).hostname, "alice");
  assert.equal(await lookupFails(carol, aliceId), "not_found");
  assert.equal(await lookupFails(alice, bob.node.nodeId), "not_found", "asking does not reveal bob to alice");
});

Deno.test("a rejection withdraws the requester's edge and reaches it with the reason", async () => {
  await using c = await cluster([]);
  const alice = await c.start("alice", { hostname: "alice" });
  const bob = await c.start("bob", { hostname: "bob" });
  const aliceId = alice.node.nodeId;
  const bobId = bob.node.nodeId;
  await alice.client.request("trust_request", { node: bob.node.address, justification: "please" });
  await eventually(async () => (await bob.client.request("trust_pending")).incoming.some((r) => r.node_id === aliceId));
  await bob.client.request("trust_reject", { node: alice.node.address, reason: "not today" });
  const rejection = await eventually(async () =>
    (await alice.client.request("trust_pending")).rejected?.find((r) => r.node_id === bobId) ?? null
  );
  assert.equal(rejection.reason, "not today");
  assert.equal(rejection.address, bob.node.address);
  assert.match(rejection.rejected_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  assert.deepEqual((await alice.client.request("trust_pending")).outgoing, []);
  await eventually(async () => await lookupFails(bob, aliceId) === "not_found");
  // Asking again clears the old rejection and shows alice to bob again.
  await alice.client.request("trust_request", { node: bob.node.address, justification: "again" });
  assert.deepEqual((await alice.client.request("trust_pending")).rejected, []);
  assert.equal((await bob.client.request("lookup", { target: String(aliceId) })).hostname, "alice");
});

Deno.test("an approved request keeps the edge: trust is mutual in the registry", async () => {
  await using c = await cluster([]);
  const alice = await c.start("alice", { hostname: "alice" });
  const bob = await c.start("bob", { hostname: "bob" });
  await alice.client.request("trust_request", { node: bob.node.address, justification: "" });
  await eventually(async () =>
    (await bob.client.request("trust_pending")).incoming.some((r) => r.node_id === alice.node.nodeId)
  );
  await bob.client.request("trust_approve", { node: alice.node.address });
  await eventually(async () =>
    (await alice.client.request("trust_list")).trusted.some((r) => r.node_id === bob.node.nodeId)
  );
  assert.equal((await alice.client.request("lookup", { target: "bob" })).hostname, "bob");
  assert.equal((await bob.client.request("lookup", { target: "alice" })).hostname, "alice");
});
