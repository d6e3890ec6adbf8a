// The SDK's PilotClient against real in-process daemons (real UDP on 127.0.0.1, real IPC sockets): connecting,
// trust, streams, the listener, resolve and the error classes callers catch.
import assert from "node:assert/strict";
import {
  connect,
  InvalidArgumentError,
  NotFoundError,
  NotRunningError,
  NotTrustedError,
  PilotError,
  readAll,
} from "../../mod.ts";
import { eventually } from "../daemon/_cluster.ts";
import { bytes, roundTrip, sdkCluster, text, trustEachOther } from "./_sdk.ts";

Deno.test("connect() finds the socket through PILOT_SOCKET and says hello", async () => {
  await using c = await sdkCluster(["alice"]);
  const node = c.agents[0].node;
  await using sdk = await connect({ env: new Map([["PILOT_SOCKET", node.socketPath], ["HOME", c.root]]) });
  assert.equal(sdk.address, node.address);
  assert.equal(sdk.nodeId, node.nodeId);
  const info = await sdk.info();
  assert.equal(info.node_id, node.nodeId);
  assert.equal(info.hostname, "alice");
  assert.equal(info.encrypt, true);
});

Deno.test("connect() to a socket nobody listens on is NotRunningError with the start hint", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pilot-sdk-" });
  try {
    const err = await connect({ socket: `${dir}/none.sock`, env: new Map([["HOME", dir]]) }).then(
      () => null,
      (e) => e,
    );
    assert.ok(err instanceof NotRunningError);
    assert.equal(err.code, "not_running");
    assert.equal(err.message, `daemon is not running (socket ${dir}/none.sock)`);
    assert.equal(err.hint, "pilotctl daemon start");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("dial() before trust is NotTrustedError; after handshake and approve, listen() and dial() connect", async () => {
  await using c = await sdkCluster(["alice", "bob"]);
  const [alice, bob] = c.agents.map((a) => a.sdk);
  await assert.rejects(() => alice.dial(bob.address, 5000), (err) => {
    assert.ok(err instanceof NotTrustedError);
    assert.equal(err.message, `no mutual trust with ${bob.address}`);
    assert.equal(err.detail, "not_trusted");
    return true;
  });
  await trustEachOther(alice, bob);
  const peers = await bob.trust();
  assert.deepEqual(peers.map((p) => [p.nodeId, p.address]), [[alice.nodeId, alice.address]]);
  assert.equal((await bob.pending()).incoming.length, 0);

  await using listener = await bob.listen(5000);
  const served = (async () => {
    for await (const conn of listener) {
      assert.equal(conn.remote, alice.address);
      assert.equal(conn.localPort, 5000);
      const got = await readAll(conn.readable);
      const writer = conn.writable.getWriter();
      await writer.write(bytes(`echo:${text(got)}`));
      await writer.close();
      return conn.remotePort;
    }
    return -1;
  })();
  // A hostname works as a target, resolved through the daemon.
  const conn = await alice.dial("bob", 5000);
  assert.equal(conn.remote, bob.address);
  assert.equal(conn.remotePort, 5000);
  assert.equal(text(await roundTrip(conn, bytes("hi"))), "echo:hi");
  assert.equal(await served, conn.localPort);
  await conn.close();
  await conn.close(); // a second close is a no-op
});

Deno.test("a PilotConn carries a megabyte both ways with backpressure", async () => {
  await using c = await sdkCluster(["alice", "bob"]);
  const [alice, bob] = c.agents.map((a) => a.sdk);
  await trustEachOther(alice, bob);
  await using listener = await bob.listen(0);
  assert.ok(listener.port >= 49152, "port 0 binds an ephemeral port");
  const served = (async () => {
    const conn = await listener.accept();
    assert.ok(conn !== null);
    await conn.readable.pipeTo(conn.writable);
  })();
  const data = crypto.getRandomValues(new Uint8Array(65_536));
  const big = new Uint8Array(1_048_576);
  for (let off = 0; off < big.length; off += data.length) big.set(data, off);
  const conn = await alice.dial(bob.address, listener.port);
  const echoed = await roundTrip(conn, big);
  await served;
  assert.equal(echoed.length, big.length);
  assert.deepEqual(echoed, big);
});

Deno.test("closing a listener ends its iteration; a dial to the port is then refused", async () => {
  await using c = await sdkCluster(["alice", "bob"]);
  const [alice, bob] = c.agents.map((a) => a.sdk);
  await trustEachOther(alice, bob);
  const listener = await bob.listen(5001);
  const seen: number[] = [];
  const loop = (async () => {
    for await (const conn of listener) seen.push(conn.remotePort);
  })();
  await listener.close();
  await loop;
  assert.deepEqual(seen, []);
  await assert.rejects(() => alice.dial(bob.address, 5001), { code: "connection_failed", detail: "refused" });
});

Deno.test("resolve() names a node by hostname; bad targets fail locally with invalid_argument", async () => {
  await using c = await sdkCluster(["alice", "bob"]);
  const [alice, bob] = c.agents.map((a) => a.sdk);
  await trustEachOther(alice, bob);
  const found = await alice.resolve("bob");
  assert.deepEqual(found, { nodeId: bob.nodeId, address: bob.address, hostname: "bob", public: false });
  await assert.rejects(() => alice.resolve("0:0000.0000"), (err) => {
    assert.ok(err instanceof InvalidArgumentError);
    assert.equal(err.message, 'invalid address "0:0000.0000": bad length');
    return true;
  });
  await assert.rejects(() => alice.dial("nobody-here", 7), NotFoundError);
  await assert.rejects(() => alice.handshake(alice.address, "me"), { message: "cannot handshake with yourself" });
});

Deno.test("reject() turns down a request: it leaves pending and no trust follows", async () => {
  await using c = await sdkCluster(["alice", "bob"]);
  const [alice, bob] = c.agents.map((a) => a.sdk);
  const sent = await alice.handshake(bob.address, "please");
  assert.deepEqual([sent.nodeId, sent.address, sent.status], [bob.nodeId, bob.address, "sent"]);
  assert.deepEqual((await alice.pending()).outgoing.map((r) => r.nodeId), [bob.nodeId]);
  const incoming = await waitFor(async () => (await bob.pending()).incoming.find((r) => r.nodeId === alice.nodeId));
  assert.equal(incoming.justification, "please");
  assert.equal(incoming.address, alice.address);
  const rejected = await bob.reject(alice.nodeId, "not now");
  assert.deepEqual([rejected.nodeId, rejected.status], [alice.nodeId, "rejected"]);
  assert.equal((await bob.pending()).incoming.length, 0);
  assert.deepEqual(await bob.trust(), []);
});

Deno.test("revoke() ends trust both ways: dials fail again with NotTrustedError", async () => {
  await using c = await sdkCluster(["alice", "bob"]);
  const [alice, bob] = c.agents.map((a) => a.sdk);
  await trustEachOther(alice, bob);
  await using listener = await bob.listen(5002);
  const open = await alice.dial(bob.address, 5002);
  const accepted = await listener.accept();
  assert.ok(accepted !== null);
  const reading = readAll(accepted.readable).then(() => null, (err) => err);
  const revoked = await alice.revoke(bob.address, "done");
  assert.deepEqual([revoked.nodeId, revoked.status], [bob.nodeId, "revoked"]);
  assert.deepEqual(await alice.trust(), []);
  await assert.rejects(() => alice.dial(bob.address, 5002), NotTrustedError);
  // bob hears of it (directly on port 444, else through the registry) and drops alice too.
  await eventually(async () => (await bob.trust()).length === 0);
  await assert.rejects(() => bob.dial(alice.address, 5002), NotTrustedError);
  // The connection open across the revocation was reset: its reader fails with a PilotError.
  const failure = await reading;
  assert.ok(failure instanceof PilotError, String(failure));
  await open.close();
});

Deno.test("closed resolves with the reason once the client is closed; later calls fail", async () => {
  await using c = await sdkCluster(["alice"]);
  const sdk = await connect({ socket: c.agents[0].node.socketPath, env: new Map([["HOME", c.root]]) });
  await sdk.close();
  const reason = await sdk.closed;
  assert.ok(reason instanceof PilotError);
  await assert.rejects(() => sdk.info(), PilotError);
});

Deno.test("every SDK failure is a PilotError with a code", async () => {
  await using c = await sdkCluster(["alice"]);
  const alice = c.agents[0].sdk;
  const failures = await Promise.all([
    alice.listen(70_000).catch((e) => e),
    alice.sendMessage(alice.address, "{nope", { type: "json" }).catch((e) => e),
    alice.publish(alice.address, "a.*", "x").catch((e) => e),
    alice.subscribe(alice.address, "A..b").catch((e) => e),
  ]);
  for (const err of failures) {
    assert.ok(err instanceof PilotError, String(err));
    assert.equal(err.code, "invalid_argument");
  }
  assert.equal(failures[2].message, 'invalid topic "a.*" (wildcards are for subscribe)');
});

async function waitFor<T>(check: () => Promise<T | undefined>, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (let i = 0;; i++) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`condition not met within ${ms} ms`);
    await new Promise((r) => setTimeout(r, Math.min(20 * (i + 1), 200)));
  }
}
