// The daemon end to end in one process (PROTOCOL-BRIEF §2–§9, CLI.md §3.1/§3.5): a real registry and nodes on
// 127.0.0.1 with real UDP and IPC sockets. Registration, the trust handshake on both sides and its persistence,
// echo, a 16 MiB stream, refusals without trust, datagrams and control pings.
import assert from "node:assert/strict";
import { TrustFileStore } from "../../src/trust/mod.ts";
import { eventually, ipc } from "./_cluster.ts";
import { cluster, digest, makeTrust, randomData, readAll, writeAll } from "./_pair.ts";

const STREAM_BYTES = 16 * 1024 * 1024;
const enc = new TextEncoder();

Deno.test("two nodes register and get consecutive node ids", async () => {
  await using c = await cluster(["alice", "bob"]);
  const [a, b] = c.members;
  assert.equal(a.node.nodeId, 256);
  assert.equal(b.node.nodeId, 257);
  const hello = a.client.helloResult!;
  assert.equal(hello.node_id, 256);
  assert.equal(hello.address, "0:0000.0000.0100");
  const info = await a.client.request("info");
  assert.equal(info.encrypt, true);
  assert.deepEqual(info.addresses, { "0": "0:0000.0000.0100" });
  assert.equal(info.ports, 4, "echo (7), trust (444), data exchange (1001) and events (1002) are bound");
});

Deno.test("a trust handshake goes request → pending → approve → trusted on both sides and survives a restart", async () => {
  await using c = await cluster(["alice", "bob"]);
  const [a, b] = c.members;
  const sent = await a.client.request("trust_request", { node: b.node.address, justification: "nightly reports" });
  assert.equal(sent.status, "sent");
  assert.deepEqual((await a.client.request("trust_pending")).outgoing.map((r) => r.node_id), [b.node.nodeId]);
  const incoming = await eventually(async () => {
    const rows = (await b.client.request("trust_pending")).incoming;
    return rows.length > 0 ? rows : null;
  });
  assert.equal(incoming[0].node_id, a.node.nodeId);
  assert.equal(incoming[0].justification, "nightly reports");
  const approved = await b.client.request("trust_approve", { node: a.node.address });
  assert.equal(approved.status, "approved");
  assert.equal(typeof approved.queued, "boolean");
  const aTrusts = await eventually(async () => {
    const rows = (await a.client.request("trust_list")).trusted;
    return rows.length > 0 ? rows : null;
  });
  assert.equal(aTrusts[0].node_id, b.node.nodeId);
  assert.equal(aTrusts[0].origin, "accepted");
  const bTrusts = (await b.client.request("trust_list")).trusted;
  assert.equal(bTrusts[0].node_id, a.node.nodeId);
  assert.equal(bTrusts[0].origin, "approved");

  // trust.json carries it across a restart of both daemons.
  await c.stop(a);
  await c.stop(b);
  const stored = await TrustFileStore.inHome(`${c.root}/alice`).load();
  assert.equal(stored.find((r) => r.nodeId === b.node.nodeId)?.state, "trusted");
  await c.start("alice");
  await c.start("bob");
  assert.equal((await a.client.request("trust_list")).trusted[0].node_id, b.node.nodeId);
  const stream = await a.client.dialStream({ addr: b.node.address, port: 7 });
  await writeAll(stream, enc.encode("after restart"));
  assert.equal(new TextDecoder().decode(await readAll(stream)), "after restart");
});

Deno.test("echo (port 7) returns every byte and half-closes at end of stream", async () => {
  await using c = await cluster(["alice", "bob"]);
  const [a, b] = c.members;
  await makeTrust(a, b);
  const stream = await a.client.dialStream({ addr: b.node.address, port: 7 });
  assert.equal(stream.info?.remote_port, 7);
  const payload = randomData(300_000);
  const [, echoed] = await Promise.all([writeAll(stream, payload), readAll(stream)]);
  assert.equal(digest(echoed), digest(payload));
});

Deno.test("a 16 MiB stream arrives byte-exact at a bound port", async () => {
  await using c = await cluster(["alice", "bob"]);
  const [a, b] = c.members;
  await makeTrust(a, b);
  assert.equal((await b.client.request("bind", { port: 5000, proto: "stream" })).port, 5000);
  const data = randomData(STREAM_BYTES);
  const receiving = (async () => readAll(await b.client.acceptStream(5000, { timeoutMs: 20_000 })))();
  const sender = await a.client.dialStream({ addr: b.node.address, port: 5000 });
  await writeAll(sender, data);
  const received = await receiving;
  assert.equal(received.length, STREAM_BYTES);
  assert.equal(digest(received), digest(data));
});

Deno.test("without trust a dial fails locally with unauthorized, and the peer's SYN refusal says not_trusted", async () => {
  await using c = await cluster(["alice", "bob"]);
  const [a, b] = c.members;
  await assert.rejects(
    () => a.client.request("dial", { addr: b.node.address, port: 7, timeout_ms: 5000 }),
    (err: Error & { code?: string; detail?: string; hint?: string }) => {
      assert.equal(err.code, "unauthorized");
      assert.equal(err.detail, "not_trusted");
      assert.equal(err.message, `no mutual trust with ${b.node.address}`);
      assert.equal(err.hint, `pilotctl handshake ${b.node.address}`);
      return true;
    },
  );
});

Deno.test("a dial to a port nobody listens on is refused; port 1003 refuses with RST 1", async () => {
  await using c = await cluster(["alice", "bob"]);
  const [a, b] = c.members;
  await makeTrust(a, b);
  for (const port of [5555, 1003]) {
    await assert.rejects(
      () => a.client.request("dial", { addr: b.node.address, port, timeout_ms: 10_000 }),
      (err: Error & { code?: string; detail?: string }) => {
        assert.equal(err.code, "connection_failed");
        assert.equal(err.detail, "refused");
        assert.equal(err.message, `connection refused: ${b.node.address} port ${port}`);
        return true;
      },
    );
  }
  await assert.rejects(() => b.client.request("bind", { port: 7, proto: "stream" }), { code: "already_exists" });
});

Deno.test("datagrams reach the binder of the destination port, and only from trusted peers", async () => {
  await using c = await cluster(["alice", "bob", "carol"]);
  const [a, b, carol] = c.members;
  await makeTrust(a, b);
  await b.client.request("bind", { port: 6000, proto: "datagram" });
  const reader = b.client.openDatagrams(6000).getReader();
  await a.client.sendto({ remote: { network: 0, node: b.node.nodeId }, remotePort: 6000, data: enc.encode("dg-1") });
  const got = await reader.read();
  assert.equal(new TextDecoder().decode(got.value!.data), "dg-1");
  assert.equal(got.value!.remote.node, a.node.nodeId);
  assert.equal(got.value!.localPort, 6000);
  // carol is not trusted: her sendto fails at home with unauthorized.
  await assert.rejects(
    () => carol.client.sendto({ remote: { network: 0, node: b.node.nodeId }, remotePort: 6000, data: enc.encode("x") }),
    { code: "unauthorized" },
  );
  await reader.cancel();
});

Deno.test("a control ping is answered by a trusted peer and by ourselves", async () => {
  await using c = await cluster(["alice", "bob"]);
  const [a, b] = c.members;
  await makeTrust(a, b);
  const ping = a.node.parts.plane.ping;
  const remote = await ping.ping({ network: 0, node: b.node.nodeId }, enc.encode("p"));
  assert.equal(remote.bytes, 1);
  const self = await ping.ping({ network: 0, node: a.node.nodeId });
  assert.ok(self.rttMs >= 0);
});

Deno.test("traffic to our own node id loops back without the socket and needs no trust", async () => {
  await using c = await cluster(["alice"]);
  const [a] = c.members;
  const stream = await a.client.dialStream({ addr: a.node.address, port: 7 });
  await writeAll(stream, enc.encode("self"));
  assert.equal(new TextDecoder().decode(await readAll(stream)), "self");
  assert.equal(a.node.parts.plane.tunnel.peers().length, 0, "no tunnel to ourselves");
});

Deno.test("closing an IPC client ends its connections with FIN and unbinds its ports", async () => {
  await using c = await cluster(["alice", "bob"]);
  const [a, b] = c.members;
  await makeTrust(a, b);
  await b.client.request("bind", { port: 5001, proto: "stream" });
  const accepting = b.client.acceptStream(5001, { timeoutMs: 10_000 });
  const other = await ipc(a.node);
  const stream = await other.dialStream({ addr: b.node.address, port: 5001 });
  const writer = stream.writable.getWriter();
  await writer.write(enc.encode("queued before close"));
  writer.releaseLock();
  await other.close();
  const accepted = await accepting;
  assert.equal(new TextDecoder().decode(await readAll(accepted)), "queued before close");
  const bobClient2 = await ipc(b.node);
  await bobClient2.request("bind", { port: 5002, proto: "stream" });
  await bobClient2.close();
  // The port is released once the daemon has seen its client go.
  const rebound = await eventually(() => b.client.request("bind", { port: 5002, proto: "stream" }).catch(() => null));
  assert.equal(rebound.port, 5002);
});

Deno.test("trust commands: unknown nodes, bad ids, nothing pending, not trusted", async () => {
  await using c = await cluster(["alice"]);
  const [a] = c.members;
  await assert.rejects(() => a.client.request("trust_request", { node: "0:0000.0000.0999", justification: "" }), {
    code: "not_found",
  });
  assert.deepEqual((await a.client.request("trust_pending")).outgoing, [], "a refused request leaves no state");
  await assert.rejects(() => a.client.request("trust_approve", { node: "abc" }), {
    code: "invalid_argument",
    message: 'invalid node id "abc"',
    hint: "use a NODE ID from: pilotctl pending",
  });
  await assert.rejects(() => a.client.request("trust_approve", { node: "300" }), {
    code: "not_found",
    message: "no pending request from node 300",
  });
  await assert.rejects(() => a.client.request("trust_revoke", { node: "300" }), {
    code: "not_found",
    message: "node 300 is not trusted",
  });
  await assert.rejects(() => a.client.request("trust_request", { node: a.node.address, justification: "" }), {
    code: "invalid_argument",
    message: "cannot handshake with yourself",
  });
});

Deno.test("untrust tells the peer, resets open connections and stops further traffic", async () => {
  await using c = await cluster(["alice", "bob"]);
  const [a, b] = c.members;
  await makeTrust(a, b);
  const stream = await a.client.dialStream({ addr: b.node.address, port: 7 });
  const reading = readAll(stream).then(() => "eof", (err: Error & { detail?: string }) => err.detail ?? "error");
  assert.equal((await a.client.request("trust_revoke", { node: b.node.address })).status, "revoked");
  assert.equal(await reading, "not_trusted");
  await eventually(async () => (await b.client.request("trust_list")).trusted.length === 0);
  await assert.rejects(() => b.client.request("dial", { addr: a.node.address, port: 7 }), { code: "unauthorized" });
});
