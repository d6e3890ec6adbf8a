// Attacks on a running daemon (PROTOCOL-BRIEF §3.1, §3.3, §3.8, §6.4, §8.1): a forged handshake in another node's
// name, a replayed handshake from a new address, plaintext frames, an untrusted peer's SYN and datagram, and the IPC
// socket's ownership. Each one is refused, counted, and moves no state.
import assert from "node:assert/strict";
import { generateIdentity, loadIdentity } from "../../src/crypto/mod.ts";
import { startNode } from "../../src/daemon/mod.ts";
import { Initiation, localHandshakeIdentity } from "../../src/tunnel/mod.ts";
import { UdpPacketConn } from "../../src/net/udp.ts";
import {
  encodePacket,
  encodeSynOptions,
  FLAG_SYN,
  PROTO_DATAGRAM,
  PROTO_STREAM,
  WIRE_VERSION,
} from "../../src/wire/mod.ts";
import type { Node } from "../../src/daemon/mod.ts";
import { eventually, testLogger, testSettings, VERSION } from "./_cluster.ts";
import { cluster, makeTrust } from "./_pair.ts";

const enc = new TextEncoder();

function udpTarget(node: Node) {
  return { hostname: "127.0.0.1", port: node.listenAddr.port };
}

function pilhAs(nodeId: number, identity: ReturnType<typeof generateIdentity>, responder: Node, senderIndex = 4242) {
  return Initiation.create(localHandshakeIdentity(nodeId, identity), {
    responderNode: responder.nodeId,
    responderStatic: responder.parts.state.identity.noisePublicKey,
    senderIndex,
    timestampMs: Date.now(),
    cookie: null,
  }).frame;
}

Deno.test("a handshake in another node's name (its id, our key) is refused as a bad binding", async () => {
  await using c = await cluster(["alice", "bob"]);
  const [alice, bob] = c.members;
  const eve = UdpPacketConn.listen({ hostname: "127.0.0.1", port: 0 });
  try {
    const before = bob.node.drops().hs_bad_binding ?? 0;
    await eve.send(pilhAs(alice.node.nodeId, generateIdentity(), bob.node), udpTarget(bob.node));
    await eventually(() => (bob.node.drops().hs_bad_binding ?? 0) > before);
    const rows = bob.node.parts.plane.tunnel.peers();
    assert.equal(rows.some((r) => r.node_id === alice.node.nodeId && r.encrypted), false, "no keyset for the forger");
  } finally {
    await eve.close();
  }
});

Deno.test("a replayed PILH from a new address gets no reply and neither replaces keys nor moves the endpoint", async () => {
  await using c = await cluster(["alice", "bob"]);
  const [alice, bob] = c.members;
  await makeTrust(alice, bob);
  // A real session, then a genuine PILH of alice's (built from her identity file) sent by someone else, twice.
  await alice.node.parts.plane.ping.ping({ network: 0, node: bob.node.nodeId });
  const rowBefore = bob.node.parts.plane.tunnel.peers().find((r) => r.node_id === alice.node.nodeId)!;
  assert.equal(rowBefore.authenticated, true);
  const aliceIdentity = await loadIdentity(`${c.root}/alice/identity.json`);
  const pilh = pilhAs(alice.node.nodeId, aliceIdentity, bob.node, 777);
  const eve = UdpPacketConn.listen({ hostname: "127.0.0.1", port: 0 });
  const mallory = UdpPacketConn.listen({ hostname: "127.0.0.1", port: 0 });
  try {
    await eve.send(pilh, udpTarget(bob.node));
    const first = await eve.receive();
    assert.equal(
      new TextDecoder().decode(first![0].subarray(0, 4)),
      "PILR",
      "a fresh PILH is answered where it came from",
    );
    const replays = bob.node.drops().hs_replay ?? 0;
    await mallory.send(pilh, udpTarget(bob.node));
    await eventually(() => (bob.node.drops().hs_replay ?? 0) > replays);
    const rowAfter = bob.node.parts.plane.tunnel.peers().find((r) => r.node_id === alice.node.nodeId)!;
    assert.equal(rowAfter.endpoint, rowBefore.endpoint, "neither PILH moved alice's endpoint");
    assert.equal(rowAfter.path, "direct");
    // The current keyset still carries traffic both ways.
    const rtt = await alice.node.parts.plane.ping.ping({ network: 0, node: bob.node.nodeId });
    assert.ok(rtt.rttMs >= 0);
  } finally {
    await eve.close();
    await mallory.close();
  }
});

Deno.test("plaintext frames (no PILS) are dropped as bad_magic and reach no service", async () => {
  await using c = await cluster(["alice", "bob"]);
  const [alice, bob] = c.members;
  await makeTrust(alice, bob);
  const raw = UdpPacketConn.listen({ hostname: "127.0.0.1", port: 0 });
  try {
    const before = bob.node.drops().bad_magic ?? 0;
    const syn = encodePacket({
      version: WIRE_VERSION,
      flags: FLAG_SYN,
      proto: PROTO_STREAM,
      src: { network: 0, node: alice.node.nodeId },
      dst: { network: 0, node: bob.node.nodeId },
      srcPort: 50000,
      dstPort: 7,
      seq: 1,
      ack: 0,
      window: 100,
      payload: encodeSynOptions({ maxSeg: 1152 }),
    });
    const frames = [syn, enc.encode("PILT" + "x".repeat(40)), enc.encode("PILK1234"), enc.encode("PILAabcdefgh")];
    for (const f of frames) await raw.send(f, udpTarget(bob.node));
    await eventually(() => (bob.node.drops().bad_magic ?? 0) >= before + frames.length);
    // The trust exchange may have left its port-444 connection closing; the plaintext SYN opened nothing.
    const fromSyn = bob.node.parts.plane.stack.connections().filter((sc) => sc.conn.remote.port === 50000);
    assert.deepEqual(fromSyn, []);
  } finally {
    await raw.close();
  }
});

Deno.test("an untrusted peer's SYN to a service port and its datagram are dropped and counted", async () => {
  // Public nodes: carol can find bob and build a tunnel (tunnels need no trust, §6.4).
  await using c = await cluster(["bob", "carol"], { public: true });
  const [bob, carol] = c.members;
  await bob.client.request("bind", { port: 6000, proto: "datagram" });
  const before = bob.node.drops().untrusted ?? 0;
  // carol's own daemon would refuse locally; a modified one sends anyway, over an ordinary tunnel.
  const plane = carol.node.parts.plane;
  const common = { version: WIRE_VERSION, src: { network: 0, node: carol.node.nodeId }, seq: 0, ack: 0 };
  plane.output({
    ...common,
    flags: FLAG_SYN,
    proto: PROTO_STREAM,
    dst: { network: 0, node: bob.node.nodeId },
    srcPort: 50001,
    dstPort: 7,
    seq: 99,
    window: 100,
    payload: encodeSynOptions({ maxSeg: 1152 }),
  });
  plane.output({
    ...common,
    flags: 0,
    proto: PROTO_DATAGRAM,
    dst: { network: 0, node: bob.node.nodeId },
    srcPort: 50002,
    dstPort: 6000,
    window: 0,
    payload: enc.encode("let me in"),
  });
  await eventually(() => (bob.node.drops().untrusted ?? 0) >= before + 2, 15_000);
  assert.equal(bob.node.parts.plane.stack.connectionCount, 0, "the SYN created no connection");
});

Deno.test("the IPC socket is created 0600", async () => {
  await using c = await cluster(["alice"]);
  const info = await Deno.lstat(c.members[0].node.socketPath);
  assert.equal(info.isSocket, true);
  assert.equal(info.mode! & 0o777, 0o600);
});

Deno.test({
  name: "a socket path owned by another user is refused before the daemon starts",
  ignore: Deno.build.os === "windows" || Deno.uid() !== 0,
  async fn() {
    const root = await Deno.makeTempDir({ prefix: "pilot-daemon-" });
    const path = `${root}/foreign.sock`;
    const listener = Deno.listen({ transport: "unix", path });
    try {
      await Deno.chown(path, 65534, 65534);
      const settings = await testSettings(root, "alice", "127.0.0.1:9", "127.0.0.1:9");
      await assert.rejects(
        () => startNode({ ...settings, socketPath: path }, { log: testLogger(), version: VERSION }),
        (err: Error & { code?: string; hint?: string }) => {
          assert.equal(err.code, "not_running");
          assert.equal(err.message, `socket ${path} is owned by uid 65534`);
          assert.equal(err.hint, "use --socket or PILOT_SOCKET with a path you own");
          return true;
        },
      );
    } finally {
      listener.close();
      await Deno.remove(root, { recursive: true });
    }
  },
});
