// The node id belongs to the key (PROTOCOL-BRIEF §4.2, §4.5; CLI.md §1.8): the same identity.json gets the same id
// after a daemon restart, after a registry restart on a file store (the daemon re-registers by itself), after a
// change of UDP port, and from another home the file was copied to.
import assert from "node:assert/strict";
import {
  beaconText,
  eventually,
  ipc,
  registryText,
  startTestNode,
  startTestRegistry,
  tempRoot,
  testSettings,
} from "./_cluster.ts";

Deno.test("a restarted daemon, on another UDP port, keeps its node id", async () => {
  await using root = await tempRoot();
  await using reg = await startTestRegistry();
  const settings = await testSettings(root.dir, "alice", registryText(reg), beaconText(reg));
  const first = await startTestNode(settings);
  const id = first.nodeId;
  const port = first.listenAddr.port;
  await first.close();
  const moved = await startTestNode({ ...settings, listen: "127.0.0.1:0" });
  assert.equal(moved.nodeId, id);
  assert.notEqual(moved.listenAddr.port, 0);
  await moved.close();
  // And with a fixed, different port.
  const probe = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  const fixed = (probe.addr as Deno.NetAddr).port;
  probe.close();
  const again = await startTestNode({ ...settings, listen: `127.0.0.1:${fixed}` });
  assert.equal(again.nodeId, id);
  assert.equal(again.listenAddr.port, fixed);
  assert.notEqual(fixed, port);
  await again.close();
});

Deno.test("identity.json copied to another home brings its node id with it", async () => {
  await using root = await tempRoot();
  await using reg = await startTestRegistry();
  const home1 = await testSettings(root.dir, "one", registryText(reg), beaconText(reg));
  const original = await startTestNode(home1);
  const id = original.nodeId;
  await original.close();
  await Deno.mkdir(`${root.dir}/two`, { mode: 0o700 });
  await Deno.copyFile(home1.identityPath, `${root.dir}/two/identity.json`);
  const copy = await startTestNode(await testSettings(root.dir, "two", registryText(reg), beaconText(reg)));
  assert.equal(copy.nodeId, id);
  await copy.close();
});

Deno.test("after a registry restart on a file store the running daemons re-register with the same node ids", async () => {
  await using root = await tempRoot();
  const store = `${root.dir}/registry.db`;
  let reg = await startTestRegistry(store);
  const listen = registryText(reg);
  const beacon = beaconText(reg);
  const alice = await startTestNode(await testSettings(root.dir, "alice", listen, beacon));
  const bob = await startTestNode(await testSettings(root.dir, "bob", listen, beacon));
  const [aliceId, bobId] = [alice.nodeId, bob.nodeId];
  const a = await ipc(alice);
  const b = await ipc(bob);
  try {
    await reg.close();
    reg = await startTestRegistry(store, listen, beacon);
    // bob's daemon reconnects with backoff; once it has, its request is queued for alice, and alice hears of it
    // only over a connection she registered again (the `notify` push, or the poll that follows registering).
    await eventually(() =>
      b.request("trust_request", { node: alice.address, justification: "after restart" })
        .catch(() => null), 15_000);
    const pending = await eventually(async () => {
      const rows = (await a.request("trust_pending")).incoming;
      return rows.length > 0 ? rows : null;
    }, 15_000);
    assert.equal(pending[0].node_id, bobId);
    assert.equal(alice.nodeId, aliceId);
    assert.equal(bob.nodeId, bobId);
    assert.equal((await a.call("info")).registered, true);
  } finally {
    await a.close();
    await b.close();
    await alice.close();
    await bob.close();
    await reg.close();
  }
});

Deno.test("a retired key (replaced by rotate_key) is refused at start with unauthorized, not retried", async () => {
  await using root = await tempRoot();
  await using reg = await startTestRegistry();
  const settings = await testSettings(root.dir, "alice", registryText(reg), beaconText(reg));
  const alice = await startTestNode(settings);
  const client = await ipc(alice);
  await client.request("rotate_key");
  await client.close();
  await alice.close();
  await Deno.mkdir(`${root.dir}/old`, { mode: 0o700 });
  await Deno.copyFile(`${settings.identityPath}.old`, `${root.dir}/old/identity.json`);
  const old = await testSettings(root.dir, "old", registryText(reg), beaconText(reg));
  await assert.rejects(() => startTestNode(old), (err: Error & { code?: string }) => {
    assert.equal(err.code, "unauthorized");
    assert.match(err.message, /rotated/);
    return true;
  });
});
