// The beacon over real loopback UDP next to the registry (PROTOCOL-BRIEF §5.2–5.4): discovery, authenticated
// registration visible to registry lookups, relaying, and punch coordination started by a registry `punch`.
import assert from "node:assert/strict";
import { ed25519Sign } from "../../src/crypto/ed25519.ts";
import { randomBytes } from "../../src/util/bytes.ts";
import { beaconRegisterSignedBytes, decodeBeaconMessage, encodeBeaconMessage, ipToText } from "../../src/wire/mod.ts";
import type { RegistryHandle } from "../../src/registry/server.ts";
import { registeredClient, startTestRegistry, UdpPeer } from "./int_helpers.ts";

async function join(reg: RegistryHandle, peer: UdpPeer, nodeId: number, seed: Uint8Array): Promise<string> {
  const port = reg.beaconAddr!.port;
  await peer.send(encodeBeaconMessage({ type: "discover", nodeId, txid: randomBytes(8) }), port);
  const reply = decodeBeaconMessage(await peer.receive());
  if (reply.type !== "discover_reply") throw new Error("expected discover_reply");
  assert.equal(reply.status, 1);
  const ts = Date.now();
  const sig = ed25519Sign(seed, beaconRegisterSignedBytes(nodeId, ts, reply.challenge, reply.ip, reply.port));
  await peer.send(
    encodeBeaconMessage({ type: "register", nodeId, txid: randomBytes(8), tsMs: ts, challenge: reply.challenge, sig }),
    port,
  );
  const ack = decodeBeaconMessage(await peer.receive());
  if (ack.type !== "register_ack") throw new Error("expected register_ack");
  assert.equal(ack.status, 0);
  assert.equal(ack.ttlS, 60);
  return `${ipToText(reply.ip)}:${reply.port}`;
}

Deno.test("beacon over UDP: registration shows in lookup endpoints, relay delivers, punch reaches both peers", async () => {
  await using reg = await startTestRegistry();
  const a = await registeredClient(reg, { public: true });
  await using _a = a.client;
  const b = await registeredClient(reg, { public: true });
  await using _b = b.client;
  const pa = new UdpPeer();
  const pb = new UdpPeer();
  try {
    const epA = await join(reg, pa, a.nodeId, a.identity.seed);
    const epB = await join(reg, pb, b.nodeId, b.identity.seed);
    assert.equal(epA, `127.0.0.1:${pa.port}`);
    assert.deepEqual((await b.client.lookup(a.nodeId)).endpoints, [epA, "127.0.0.1:4000"]);

    // Refresh from the same endpoint keeps status 0.
    await pa.send(
      encodeBeaconMessage({ type: "discover", nodeId: a.nodeId, txid: randomBytes(8) }),
      reg.beaconAddr!.port,
    );
    const refreshed = decodeBeaconMessage(await pa.receive());
    assert.equal(refreshed.type === "discover_reply" && refreshed.status, 0);

    const inner = randomBytes(224);
    inner.set([0x50, 0x49, 0x4c, 0x48]);
    await pa.send(
      encodeBeaconMessage({ type: "relay", srcNode: a.nodeId, dstNode: b.nodeId, inner }),
      reg.beaconAddr!.port,
    );
    const delivered = decodeBeaconMessage(await pb.receive());
    assert.equal(delivered.type, "relay_deliver");
    if (delivered.type === "relay_deliver") assert.deepEqual(delivered.inner, inner);

    const p = await a.client.punch(b.nodeId);
    assert.equal(p.self_endpoint, epA);
    assert.equal(p.target_endpoint, epB);
    const [ca, cb] = [decodeBeaconMessage(await pa.receive()), decodeBeaconMessage(await pb.receive())];
    if (ca.type !== "punch_command" || cb.type !== "punch_command") throw new Error("expected punch commands");
    assert.equal(ca.peerNode, b.nodeId);
    assert.equal(cb.peerNode, a.nodeId);
    assert.equal(ca.port, pb.port);
    assert.equal(cb.port, pa.port);
    assert.equal(ca.delayMs, 250);

    await a.client.deregister();
    assert.equal(reg.beacon!.registration(a.nodeId), undefined);
  } finally {
    pa.close();
    pb.close();
  }
});
