// createNode(): two nodes inside this test process, with no daemon process anywhere, talk to each other through the
// same PilotClient interface (trust, streams, a control ping, a message); a node keeps its id across restarts when
// given its home, and a temp home is removed by close().
import assert from "node:assert/strict";
import { ConnectionFailedError, createNode, NotTrustedError, readAll } from "../../mod.ts";
import { beaconText, registryText, startTestRegistry } from "../daemon/_cluster.ts";
import { bytes, text, trustEachOther } from "./_sdk.ts";

async function exists(path: string): Promise<boolean> {
  return await Deno.lstat(path).then(() => true, () => false);
}

Deno.test("two createNode() nodes trust each other, stream, ping and message without a daemon", async () => {
  await using registry = await startTestRegistry();
  const where = { registry: registryText(registry), beacon: beaconText(registry), listen: "127.0.0.1:0" };
  await using alice = await createNode({ ...where, hostname: "alice", logLevel: "silent" });
  await using bob = await createNode({ ...where, hostname: "bob", logLevel: "silent" });
  assert.notEqual(alice.nodeId, bob.nodeId);
  assert.match(alice.address, /^0:0000\.[0-9A-F]{4}\.[0-9A-F]{4}$/);
  assert.equal(alice.listenAddr.hostname, "127.0.0.1");
  assert.equal((await alice.info()).hostname, "alice");
  assert.equal((await Deno.lstat(alice.socketPath)).mode! & 0o777, 0o600);

  await assert.rejects(() => alice.ping(bob.address), NotTrustedError);
  await trustEachOther(alice, bob);

  const ping = await alice.ping("bob");
  assert.equal(ping.method, "control");
  assert.ok(ping.rttMs >= 0 && ping.rttMs < 5_000, String(ping.rttMs));

  await using listener = await bob.listen(4000);
  const served = (async () => {
    const conn = await listener.accept();
    assert.ok(conn !== null);
    const request = text(await readAll(conn.readable));
    const writer = conn.writable.getWriter();
    await writer.write(bytes(request.toUpperCase()));
    await writer.close();
  })();
  const conn = await alice.dial(bob.address, 4000);
  const writer = conn.writable.getWriter();
  await writer.write(bytes("hello from alice"));
  await writer.close();
  assert.equal(text(await readAll(conn.readable)), "HELLO FROM ALICE");
  await served;

  const ack = await bob.sendMessage(alice.address, "thanks");
  assert.ok(ack.messageId !== null);
  assert.ok(await exists(`${alice.home}/inbox/${ack.messageId}.json`));
});

Deno.test("createNode() with a home keeps its identity and node id; a temp home is removed by close()", async () => {
  await using registry = await startTestRegistry();
  const where = { registry: registryText(registry), beacon: beaconText(registry), listen: "127.0.0.1:0" };
  const home = await Deno.makeTempDir({ prefix: "pilot-sdk-home-" });
  try {
    const first = await createNode({ ...where, home, logLevel: "silent" });
    const id = first.nodeId;
    const socketDir = first.socketPath.slice(0, first.socketPath.lastIndexOf("/"));
    await first.close();
    assert.equal(await exists(socketDir), false, "the private socket dir is removed");
    assert.ok(await exists(`${home}/identity.json`), "a given home is kept");
    await using again = await createNode({ ...where, home, logLevel: "silent" });
    assert.equal(again.nodeId, id);

    const temp = await createNode({ ...where, logLevel: "silent" });
    const tempHome = temp.home;
    assert.ok(await exists(`${tempHome}/identity.json`));
    assert.notEqual(temp.nodeId, id);
    await temp.close();
    await temp.close(); // idempotent
    assert.equal(await exists(tempHome), false);
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("createNode() aborted while the registry does not answer rejects with connection_failed", async () => {
  // A port nobody listens on: bind it and release it.
  const probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (probe.addr as Deno.NetAddr).port;
  probe.close();
  const stop = new AbortController();
  const timer = setTimeout(() => stop.abort(), 300);
  try {
    await assert.rejects(
      () =>
        createNode({
          registry: `127.0.0.1:${port}`,
          beacon: "127.0.0.1:9",
          listen: "127.0.0.1:0",
          logLevel: "silent",
          signal: stop.signal,
        }),
      (err) => err instanceof ConnectionFailedError && err.detail === "aborted",
    );
  } finally {
    clearTimeout(timer);
  }
});
