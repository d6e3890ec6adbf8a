// IPC commands that change the node itself (PROTOCOL-BRIEF §8.3, §4.4; CLI.md §3.3): a taken hostname is a warning,
// not a failure; deregister / register; rotate_key (new key file, identity.json.old, tunnels re-handshake, the peer
// follows the key chain); `shutdown`; and the `info` fields.
import assert from "node:assert/strict";
import { loadIdentity } from "../../src/crypto/mod.ts";
import { toBase64 } from "../../src/util/bytes.ts";
import { beaconText, registryText, startTestNode, testSettings } from "./_cluster.ts";
import { cluster, makeTrust, readAll, writeAll } from "./_pair.ts";

const enc = new TextEncoder();

Deno.test("a taken hostname is a start-up warning, not a failure", async () => {
  await using c = await cluster(["alice"], { hostname: "alice" });
  const settings = await testSettings(c.root, "imposter", registryText(c.registry), beaconText(c.registry), {
    hostname: "alice",
  });
  const imposter = await startTestNode(settings);
  try {
    const ready = imposter.readyData();
    assert.equal(ready.hostname, "");
    assert.deepEqual(ready.warnings, ['hostname "alice" is taken']);
    assert.equal(c.members[0].node.readyData().hostname, "alice");
  } finally {
    await imposter.close();
  }
});

Deno.test("deregister takes the node offline until register, keeping its node id", async () => {
  await using c = await cluster(["alice"], { hostname: "alice" });
  const [a] = c.members;
  assert.deepEqual(await a.client.request("deregister", { release: true }), { offline: true });
  assert.equal((await a.client.call("info")).registered, false);
  assert.equal((await a.client.call("info")).hostname, "");
  const again = await a.client.request("register");
  assert.equal(again.node_id, a.node.nodeId);
  assert.equal(again.address, a.node.address);
  assert.equal((await a.client.call("info")).registered, true);
});

Deno.test("set_hostname, set_visibility and set_tags update the registry and info", async () => {
  await using c = await cluster(["alice"]);
  const [a] = c.members;
  assert.deepEqual(await a.client.request("set_hostname", { hostname: "alice-2" }), { hostname: "alice-2" });
  assert.deepEqual(await a.client.request("set_visibility", { public: true }), { public: true });
  assert.deepEqual(await a.client.request("set_tags", { tags: ["gpu", "summarizer"] }), {
    tags: ["gpu", "summarizer"],
  });
  const info = await a.client.call("info");
  assert.equal(info.hostname, "alice-2");
  assert.equal(info.public, true);
  assert.deepEqual(info.tags, ["gpu", "summarizer"]);
  const resolved = await a.client.request("resolve", { name: "alice-2" });
  assert.deepEqual(resolved, { node_id: a.node.nodeId, address: a.node.address, public: true, hostname: "alice-2" });
});

Deno.test("rotate_key replaces the key everywhere; the trusted peer follows it and traffic continues", async () => {
  await using c = await cluster(["alice", "bob"]);
  const [a, b] = c.members;
  await makeTrust(a, b);
  const echo = async () => {
    const s = await b.client.dialStream({ addr: a.node.address, port: 7, timeout_ms: 20_000 });
    await writeAll(s, enc.encode("still me"));
    return new TextDecoder().decode(await readAll(s));
  };
  assert.equal(await echo(), "still me");
  const before = await loadIdentity(`${c.root}/alice/identity.json`);
  const rotated = await a.client.request("rotate_key");
  const after = await loadIdentity(`${c.root}/alice/identity.json`);
  assert.equal(rotated.node_id, a.node.nodeId);
  assert.equal(rotated.public_key, toBase64(after.publicKey));
  assert.notEqual(toBase64(after.publicKey), toBase64(before.publicKey));
  const old = await loadIdentity(`${c.root}/alice/identity.json.old`);
  assert.equal(toBase64(old.publicKey), toBase64(before.publicKey));
  // bob still has alice's static key: his new handshake goes through at once.
  assert.equal(await echo(), "still me");
  // When bob next asks the registry for alice's key (his answer cache is a minute; skip it here), the key chain
  // from his pin moves the pin to the new key.
  const parts = b.node.parts;
  parts.keys.forget(a.node.nodeId);
  const keys = await parts.keys.tunnelKeys(a.node.nodeId, parts.trust);
  assert.equal(toBase64(keys!.publicKey), toBase64(after.publicKey));
  const pinned = (await b.client.request("trust_list")).trusted.find((r) => r.node_id === a.node.nodeId);
  assert.equal(pinned?.public_key, toBase64(after.publicKey));
  // A restart with the new file keeps the node id.
  await c.stop(a);
  await c.start("alice");
  assert.equal(a.node.nodeId, rotated.node_id);
});

Deno.test("the shutdown command answers, then asks the daemon to stop", async () => {
  await using c = await cluster(["alice"]);
  const [a] = c.members;
  assert.deepEqual(await a.client.request("shutdown"), {});
  assert.equal(await a.node.stopRequested, null);
});

Deno.test("info carries the §8.3 fields and the ready data", async () => {
  await using c = await cluster(["alice", "bob"]);
  const [a, b] = c.members;
  await makeTrust(a, b);
  const s = await a.client.dialStream({ addr: b.node.address, port: 7 });
  const info = await a.client.call("info");
  for (
    const key of [
      "node_id",
      "address",
      "addresses",
      "hostname",
      "owner",
      "public_key",
      "uptime_secs",
      "encrypt",
      "identity",
      "peers",
      "encrypted_peers",
      "authenticated_peers",
      "connections",
      "ports",
      "bytes_sent",
      "bytes_recv",
      "pkts_sent",
      "pkts_recv",
      "beacon",
      "peer_list",
      "conn_list",
    ]
  ) assert.ok(key in info, `info.${key}`);
  const peer = (info.peer_list as Record<string, unknown>[])[0];
  assert.deepEqual(Object.keys(peer).sort(), [
    "address",
    "authenticated",
    "encrypted",
    "endpoint",
    "hostname",
    "last_seen_ms",
    "node_id",
    "path",
    "trusted",
  ]);
  assert.equal(peer.trusted, true);
  const conn = (info.conn_list as Record<string, unknown>[])[0];
  for (
    const key of ["id", "local_port", "remote_addr", "remote_port", "state", "srtt_ms", "cong_win", "dup_acks"]
  ) assert.ok(key in conn, `conn_list.${key}`);
  assert.equal(conn.state, "ESTABLISHED");
  assert.equal(info.identity, `${c.root}/alice/identity.json`);
  await s.close();
});
