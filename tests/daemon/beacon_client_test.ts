// The node side of the beacon protocol (PROTOCOL-BRIEF §5.1–§5.4): DISCOVER, REGISTER signed over the reported
// endpoint, unknown txids, RELAY_DELIVER's destination check and the PUNCH_COMMAND rate limit.
import assert from "node:assert/strict";
import { BeaconClient } from "../../src/daemon/beacon_client.ts";
import { DropRegistry } from "../../src/daemon/mod.ts";
import { ed25519Verify, generateIdentity } from "../../src/crypto/mod.ts";
import type { Endpoint } from "../../src/tunnel/mod.ts";
import { systemClock } from "../../src/util/clock.ts";
import { Logger, MemorySink } from "../../src/log/logger.ts";
import {
  type BeaconMessage,
  beaconRegisterSignedBytes,
  decodeBeaconMessage,
  encodeBeaconMessage,
  ipFromText,
} from "../../src/wire/mod.ts";
import { eventually } from "./_cluster.ts";

const NODE = 0x120;

function rig() {
  const identity = generateIdentity();
  const sent: BeaconMessage[] = [];
  const probes: Endpoint[] = [];
  const relayed: [number, Uint8Array][] = [];
  const punched: [number, Endpoint][] = [];
  const drops = new DropRegistry();
  const client = new BeaconClient({
    nodeId: NODE,
    identity: () => identity,
    address: "127.0.0.1:9001",
    send: (bytes) => {
      sent.push(decodeBeaconMessage(bytes));
      return Promise.resolve();
    },
    sendPunchProbe: (ep) => {
      probes.push(ep);
      return Promise.resolve();
    },
    onRelayDeliver: (src, inner) => relayed.push([src, inner]),
    onPunched: (peer, ep) => punched.push([peer, ep]),
    drops,
    clock: systemClock,
    log: new Logger({ sink: new MemorySink() }),
  });
  return { client, identity, sent, probes, relayed, punched, drops };
}

const ip = ipFromText("203.0.113.7")!;

Deno.test("BeaconClient sends DISCOVER with its node id, answers status 1 with a signed REGISTER", async () => {
  const r = rig();
  r.client.start();
  try {
    const discover = await eventually(() => r.sent.find((m) => m.type === "discover") ?? null);
    assert.equal(discover.type === "discover" && discover.nodeId, NODE);
    const txid = discover.type === "discover" ? discover.txid : new Uint8Array(8);
    const challenge = new Uint8Array(16).fill(9);
    r.client.handle(
      encodeBeaconMessage({ type: "discover_reply", txid, status: 1, ip, port: 40000, challenge }),
    );
    const reg = await eventually(() => r.sent.find((m) => m.type === "register") ?? null);
    assert.ok(reg.type === "register");
    assert.equal(reg.nodeId, NODE);
    const signed = beaconRegisterSignedBytes(NODE, reg.tsMs, challenge, ip, 40000);
    assert.equal(ed25519Verify(r.identity.publicKey, signed, reg.sig), true);
    r.client.handle(encodeBeaconMessage({ type: "register_ack", txid: reg.txid, status: 0, ttlS: 60 }));
    assert.deepEqual(r.client.status(), {
      address: "127.0.0.1:9001",
      reachable: true,
      registered: true,
      endpoint: "203.0.113.7:40000",
    });
  } finally {
    await r.client.close();
  }
});

Deno.test("BeaconClient drops replies with unknown txids and reserved types", () => {
  const r = rig();
  r.client.handle(encodeBeaconMessage({
    type: "discover_reply",
    txid: new Uint8Array(8).fill(1),
    status: 0,
    ip,
    port: 1,
    challenge: new Uint8Array(16),
  }));
  r.client.handle(Uint8Array.of(0x03, 1, 2));
  r.client.handle(encodeBeaconMessage({ type: "discover", nodeId: 5, txid: new Uint8Array(8) }));
  assert.deepEqual(r.drops.snapshot(), { beacon_bad_txid: 1, beacon_bad_type: 2 });
  assert.equal(r.client.status().registered, false);
});

Deno.test("BeaconClient hands RELAY_DELIVER to the tunnel only when it is addressed to us", () => {
  const r = rig();
  const inner = new Uint8Array([0x50, 0x49, 0x4c, 0x53, 0, 0, 0, 1]);
  r.client.handle(encodeBeaconMessage({ type: "relay_deliver", srcNode: 0x200, dstNode: NODE + 1, inner }));
  assert.equal(r.relayed.length, 0);
  assert.equal(r.drops.get("relay_bad_dst"), 1);
  r.client.handle(encodeBeaconMessage({ type: "relay_deliver", srcNode: 0x200, dstNode: NODE, inner }));
  assert.deepEqual(r.relayed.map(([src, b]) => [src, [...b]]), [[0x200, [...inner]]]);
});

Deno.test("BeaconClient acts on at most 10 PUNCH_COMMANDs per 10 s: 3 PILPs each, then the owner's handshake", async () => {
  const r = rig();
  for (let i = 0; i < 11; i++) {
    r.client.handle(encodeBeaconMessage({
      type: "punch_command",
      peerNode: 0x300 + i,
      punchId: new Uint8Array(8).fill(i),
      delayMs: 0,
      ip,
      port: 41000 + i,
    }));
  }
  assert.equal(r.drops.get("punch_rate"), 1);
  await eventually(() => r.punched.length === 10);
  assert.equal(r.probes.length, 30);
  assert.deepEqual(r.punched[0], [0x300, { hostname: "203.0.113.7", port: 41000 }]);
  await r.client.close();
});

Deno.test("BeaconClient: refresh() during a retry wait sends a DISCOVER at once and is not counted as a miss", async () => {
  const r = rig();
  r.client.start();
  try {
    await eventually(() => r.sent.find((m) => m.type === "discover") ?? null);
    // Three refreshes in quick succession: each starts a new round; none is an unanswered retry point.
    for (let i = 0; i < 3; i++) {
      const before = r.sent.filter((m) => m.type === "discover").length;
      r.client.refresh();
      await eventually(() => r.sent.filter((m) => m.type === "discover").length > before ? true : null);
    }
    assert.equal(r.client.status().reachable, true, "three refreshes are not three misses");
  } finally {
    await r.client.close();
  }
});
