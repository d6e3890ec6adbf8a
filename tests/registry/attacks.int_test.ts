// Attacks against a registry running with the default limits (PROTOCOL-BRIEF §4.2–§4.5, §5.4), over real sockets.
import assert from "node:assert/strict";
import { ed25519Sign } from "../../src/crypto/ed25519.ts";
import { generateIdentity } from "../../src/crypto/identity.ts";
import { randomBytes, toBase64 } from "../../src/util/bytes.ts";
import { beaconRegisterSignedBytes, decodeBeaconMessage, encodeBeaconMessage } from "../../src/wire/mod.ts";
import { DEFAULT_LIMITS, parseLimits } from "../../src/registry/limits.ts";
import { registrySignedBytes } from "../../src/registry/protocol.ts";
import type { RegistryHandle } from "../../src/registry/server.ts";
import { RawConn, registeredClient, startTestRegistry, UdpPeer } from "./int_helpers.ts";

const withDefaults = () => startTestRegistry({ limits: DEFAULT_LIMITS });

Deno.test("attack: registering someone else's public key without its private key fails", async () => {
  await using reg = await withDefaults();
  const victim = await registeredClient(reg, { hostname: "victim" });
  await using _v = victim.client;
  const attacker = generateIdentity();
  const raw = await RawConn.open(reg);
  try {
    const pk = toBase64(victim.identity.publicKey);
    const begin = await raw.request({ type: "register_begin", public_key: pk });
    assert.equal(begin.type, "register_begin_ok");
    const req: Record<string, unknown> = {
      type: "register",
      public_key: pk,
      challenge: begin.challenge,
      ts: Date.now(),
      nonce: toBase64(randomBytes(16)),
      listen_port: 1,
      noise_public_key: toBase64(attacker.noisePublicKey),
      noise_issued_at: attacker.noiseIssuedAt,
      noise_sig: toBase64(attacker.noiseSig),
    };
    req.sig = toBase64(ed25519Sign(attacker.seed, registrySignedBytes(req)));
    const r = await raw.request(req);
    assert.equal(r.code, "bad_signature");
    // Replaying a challenge the victim could have answered on another connection does not help either.
    const again = await raw.request({ ...req });
    assert.equal(again.code, "challenge_invalid");
  } finally {
    raw.close();
  }
  const keys = await victim.client.getKeys(victim.nodeId);
  assert.equal(keys.noise_public_key, toBase64(victim.identity.noisePublicKey));
});

Deno.test("attack: a captured signed request cannot be replayed, on any connection", async () => {
  await using reg = await withDefaults();
  const a = await registeredClient(reg);
  await using _a = a.client;
  const captured = a.client.signRequest("set_hostname", { hostname: "mine" });
  assert.equal((await a.client.request(captured)).type, "set_hostname_ok");
  await a.client.setHostname("");
  const raw = await RawConn.open(reg);
  try {
    const r = await raw.request(captured);
    assert.equal(r.code, "replay");
  } finally {
    raw.close();
  }
  assert.equal((await a.client.lookup(a.nodeId)).hostname, undefined);
});

Deno.test("attack: a request with a tampered field fails signature verification", async () => {
  await using reg = await withDefaults();
  const a = await registeredClient(reg);
  await using _a = a.client;
  const b = await registeredClient(reg);
  await using _b = b.client;
  const signed = a.client.signRequest("report_trust", { peer: b.nodeId });
  const raw = await RawConn.open(reg);
  try {
    const r = await raw.request({ ...signed, peer: 0x100 + 50 });
    assert.equal(r.code, "bad_signature");
    const impersonate = await raw.request({ ...signed, node_id: b.nodeId });
    assert.equal(impersonate.code, "bad_signature");
  } finally {
    raw.close();
  }
  assert.deepEqual(await a.client.listTrust(), []);
});

Deno.test("attack: a second key cannot squat a taken hostname", async () => {
  await using reg = await withDefaults();
  const owner = await registeredClient(reg, { hostname: "bank", public: true });
  await using _o = owner.client;
  const squatter = await registeredClient(reg, { hostname: "bank" });
  await using _s = squatter.client;
  const err = await squatter.client.setHostname("bank").catch((e) => e);
  assert.equal(err.code, "already_exists");
  assert.equal((await squatter.client.resolveHostname("bank")).node_id, owner.nodeId);
});

Deno.test("attack: a stranger cannot look up a private node", async () => {
  await using reg = await withDefaults();
  const hidden = await registeredClient(reg, { hostname: "hidden" });
  await using _h = hidden.client;
  const stranger = await registeredClient(reg);
  await using _s = stranger.client;
  const byId = await stranger.client.lookup(hidden.nodeId).catch((e) => e);
  assert.equal(byId.code, "not_found");
  const byName = await stranger.client.resolveHostname("hidden").catch((e) => e);
  assert.equal(byName.code, "not_found");
  await hidden.client.setTags(["secret"]);
  assert.deepEqual((await stranger.client.findByTag({ tags: ["secret"] })).nodes, []);
  const punch = await stranger.client.punch(hidden.nodeId).catch((e) => e);
  assert.equal(punch.code, "not_found");
});

async function beaconRegister(reg: RegistryHandle, peer: UdpPeer, nodeId: number, seed: Uint8Array): Promise<void> {
  const port = reg.beaconAddr!.port;
  await peer.send(encodeBeaconMessage({ type: "discover", nodeId, txid: randomBytes(8) }), port);
  const reply = decodeBeaconMessage(await peer.receive());
  if (reply.type !== "discover_reply") throw new Error("no discover reply");
  const ts = Date.now();
  const sig = ed25519Sign(seed, beaconRegisterSignedBytes(nodeId, ts, reply.challenge, reply.ip, reply.port));
  await peer.send(
    encodeBeaconMessage({ type: "register", nodeId, txid: randomBytes(8), tsMs: ts, challenge: reply.challenge, sig }),
    port,
  );
  const ack = decodeBeaconMessage(await peer.receive());
  if (ack.type !== "register_ack" || ack.status !== 0) {
    throw new Error(`beacon register failed: ${JSON.stringify(ack)}`);
  }
}

Deno.test("attack: beacon relay from a spoofed source is dropped (relay_spoof)", async () => {
  await using reg = await withDefaults();
  const a = await registeredClient(reg, { public: true });
  await using _a = a.client;
  const b = await registeredClient(reg, { public: true });
  await using _b = b.client;
  const pa = new UdpPeer();
  const pb = new UdpPeer();
  const evil = new UdpPeer();
  try {
    await beaconRegister(reg, pa, a.nodeId, a.identity.seed);
    await beaconRegister(reg, pb, b.nodeId, b.identity.seed);
    const inner = (marker: number) => {
      const f = randomBytes(48);
      f.set([0x50, 0x49, 0x4c, 0x53, marker]);
      return f;
    };
    const port = reg.beaconAddr!.port;
    await evil.send(
      encodeBeaconMessage({ type: "relay", srcNode: a.nodeId, dstNode: b.nodeId, inner: inner(1) }),
      port,
    );
    // The legitimate relay sent afterwards is the first thing B receives: the spoofed one never arrived.
    await pa.send(encodeBeaconMessage({ type: "relay", srcNode: a.nodeId, dstNode: b.nodeId, inner: inner(2) }), port);
    const got = decodeBeaconMessage(await pb.receive());
    assert.equal(got.type, "relay_deliver");
    if (got.type !== "relay_deliver") return;
    assert.equal(got.inner[4], 2);
    assert.equal(got.srcNode, a.nodeId);
    assert.equal(reg.metrics.drops("relay_spoof"), 1);
  } finally {
    pa.close();
    pb.close();
    evil.close();
  }
});

Deno.test("attack: one IP cannot hold more than 16 open connections", async () => {
  await using reg = await withDefaults();
  const conns: RawConn[] = [];
  try {
    for (let i = 0; i < 16; i++) {
      const c = await RawConn.open(reg);
      conns.push(c);
      assert.equal((await c.request({ type: "hello", proto: 1 })).type, "hello_ok");
    }
    const extra = await RawConn.open(reg);
    conns.push(extra);
    const refused = await extra.next();
    assert.equal(refused?.code, "rate_limited");
    assert.match(String(refused?.message), /too many open connections/);
    assert.equal(await extra.next(), null);
  } finally {
    for (const c of conns) c.close();
  }
});

Deno.test("attack: one IP cannot open more than 20 connections a minute", async () => {
  await using reg = await startTestRegistry({ limits: parseLimits({ ip_open_conns: 100 }) });
  const conns: RawConn[] = [];
  try {
    for (let i = 0; i < 20; i++) {
      const c = await RawConn.open(reg);
      conns.push(c);
      assert.equal((await c.request({ type: "hello", proto: 1 })).type, "hello_ok");
    }
    const extra = await RawConn.open(reg);
    conns.push(extra);
    const refused = await extra.next();
    assert.equal(refused?.code, "rate_limited");
    assert.match(String(refused?.message), /too many new connections/);
    assert.ok(Number(refused?.retry_after_ms) > 0);
  } finally {
    for (const c of conns) c.close();
  }
});
