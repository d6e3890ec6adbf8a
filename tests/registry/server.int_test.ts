// The registry over real loopback sockets with the typed client (PROTOCOL-BRIEF §4.1, §4.5, §4.6; CLI.md §3.2).
import assert from "node:assert/strict";
import { ed25519Sign } from "../../src/crypto/ed25519.ts";
import { generateIdentity } from "../../src/crypto/identity.ts";
import { randomBytes, toBase64 } from "../../src/util/bytes.ts";
import { PilotError } from "../../src/util/errors.ts";
import { RegistryRequestError, trustSignedBytes } from "../../src/registry/protocol.ts";
import { formatReadyBlock } from "../../src/registry/server.ts";
import { connectClient, RawConn, registeredClient, startTestRegistry } from "./int_helpers.ts";

Deno.test("client: hello, register, heartbeat and lookup over TCP", async () => {
  await using reg = await startTestRegistry();
  await using c = await connectClient(reg);
  const hello = await c.hello();
  assert.equal(hello.proto, 1);
  assert.equal(hello.max_frame, 1_048_576);
  const id = generateIdentity();
  const ok = await c.register(id, { listenPort: 4242, hostname: "alpha", public: true });
  assert.equal(ok.node_id, 0x100);
  assert.equal(ok.hostname, "alpha");
  assert.equal(c.nodeId, 0x100);
  const hb = await c.heartbeat();
  assert.equal(hb.inbox, 0);
  const me = await c.lookup(ok.address);
  assert.deepEqual(me.endpoints, ["127.0.0.1:4242"]);
  assert.equal(me.public_key, toBase64(id.publicKey));
  assert.equal((await c.resolveHostname("alpha")).node_id, 0x100);
});

Deno.test("client: registry errors map to PilotError codes with the registry code as detail", async () => {
  await using reg = await startTestRegistry();
  const a = await registeredClient(reg);
  await using _a = a.client;
  const err = await a.client.lookup(0x5000).catch((e) => e);
  assert.ok(err instanceof RegistryRequestError);
  assert.ok(err instanceof PilotError);
  assert.equal(err.code, "not_found");
  assert.equal(err.detail, "not_found");
  assert.equal(err.field, "target");
  const squat = await registeredClient(reg);
  await using _s = squat.client;
  await a.client.setHostname("taken");
  const taken = await squat.client.setHostname("taken").catch((e) => e);
  assert.equal(taken.code, "already_exists");
  const bad = await squat.client.networkJoin(12345).catch((e) => e);
  assert.equal(bad.code, "not_found");
  const unauth = await squat.client.networkCreate("x", "token", "short").catch((e) => e);
  assert.equal(unauth.code, "invalid_argument");
});

Deno.test("notify is pushed on the connection the target registered over", async () => {
  await using reg = await startTestRegistry();
  let resolveNotify: (n: number) => void = () => {};
  const notified = new Promise<number>((r) => resolveNotify = r);
  const b = await registeredClient(reg, {}, generateIdentity(), { onNotify: (n) => resolveNotify(n) });
  await using _b = b.client;
  const a = await registeredClient(reg);
  await using _a = a.client;
  const now = Date.now();
  const msg: Record<string, unknown> = {
    type: "trust_request",
    from: a.nodeId,
    to: b.nodeId,
    ts: now,
    exp: now + 600_000,
    nonce: toBase64(randomBytes(16)),
    justification: "hello",
  };
  msg.sig = toBase64(ed25519Sign(a.identity.seed, trustSignedBytes(msg)));
  await a.client.handshakeRequest(b.nodeId, msg);
  assert.equal(await notified, 1);
  const poll = await b.client.handshakePoll();
  assert.deepEqual(poll.messages[0].message, msg);
});

Deno.test("pipelined requests are answered strictly in order with their ids", async () => {
  await using reg = await startTestRegistry();
  const raw = await RawConn.open(reg);
  try {
    for (let i = 0; i < 50; i++) {
      await raw.send(i % 7 === 3 ? { type: "bogus", id: i } : { type: "hello", proto: 1, id: i });
    }
    for (let i = 0; i < 50; i++) {
      const r = await raw.next();
      assert.equal(r?.id, i);
      assert.equal(r?.type, i % 7 === 3 ? "error" : "hello_ok");
    }
  } finally {
    raw.close();
  }
});

Deno.test("a frame length of 0 or over 1 MiB gets frame_too_large and the connection is closed", async () => {
  await using reg = await startTestRegistry();
  for (const length of [0, 1_048_577, 0xffffffff]) {
    const raw = await RawConn.open(reg);
    try {
      const header = new Uint8Array(4);
      new DataView(header.buffer).setUint32(0, length);
      await raw.write(header);
      const r = await raw.next();
      assert.equal(r?.code, "frame_too_large");
      assert.equal(await raw.next(), null);
    } finally {
      raw.close();
    }
  }
});

Deno.test("a malformed body gets bad_request and the connection stays open", async () => {
  await using reg = await startTestRegistry();
  const raw = await RawConn.open(reg);
  try {
    const body = new TextEncoder().encode("{oops");
    const frame = new Uint8Array(4 + body.length);
    new DataView(frame.buffer).setUint32(0, body.length);
    frame.set(body, 4);
    await raw.write(frame);
    assert.equal((await raw.next())?.code, "bad_request");
    assert.equal((await raw.request({ type: "hello", proto: 1 })).type, "hello_ok");
  } finally {
    raw.close();
  }
});

Deno.test("idle connections are closed after the idle timeout", async () => {
  await using reg = await startTestRegistry({ idleTimeoutMs: 150 });
  const raw = await RawConn.open(reg);
  try {
    assert.equal((await raw.request({ type: "hello", proto: 1 })).type, "hello_ok");
    assert.equal(await raw.next(2_000), null);
  } finally {
    raw.close();
  }
});

Deno.test("restart on the same store keeps node ids; the counter is never reused; old requests are refused", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pilot-registry-" });
  const store = `${dir}/registry.db`;
  const a = generateIdentity();
  let captured: Record<string, unknown>;
  {
    await using reg = await startTestRegistry({ store });
    const ca = await registeredClient(reg, { hostname: "first" }, a);
    await using _ca = ca.client;
    const cb = await registeredClient(reg);
    await using _cb = cb.client;
    assert.equal(ca.nodeId, 0x100);
    assert.equal(cb.nodeId, 0x101);
    captured = ca.client.signRequest("set_visibility", { public: true });
  }
  {
    await using reg = await startTestRegistry({ store });
    const again = await registeredClient(reg, {}, a);
    await using _again = again.client;
    assert.equal(again.nodeId, 0x100);
    assert.equal((await again.client.lookup(0x100)).hostname, "first");
    const fresh = await registeredClient(reg);
    await using _fresh = fresh.client;
    assert.equal(fresh.nodeId, 0x102);
    const raw = await RawConn.open(reg);
    try {
      const r = await raw.request(captured);
      assert.equal(r.type, "error");
      assert.ok(r.code === "clock_skew" || r.code === "replay", JSON.stringify(r));
    } finally {
      raw.close();
    }
  }
  await Deno.remove(dir, { recursive: true });
});

Deno.test("startRegistry() refuses a port in use with already_exists", async () => {
  await using reg = await startTestRegistry();
  const err = await startTestRegistry({ listen: `127.0.0.1:${reg.registryAddr.port}` }).catch((e) => e);
  assert.ok(err instanceof PilotError);
  assert.equal(err.code, "already_exists");
  const udpErr = await startTestRegistry({ beaconListen: `127.0.0.1:${reg.beaconAddr!.port}` }).catch((e) => e);
  assert.equal(udpErr.code, "already_exists");
});

Deno.test("startRegistry() refuses a corrupt store with internal and leaves it byte-identical", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pilot-registry-" });
  const store = `${dir}/registry.db`;
  const garbage = randomBytes(8192);
  await Deno.writeFile(store, garbage);
  const err = await startTestRegistry({ store }).catch((e) => e);
  assert.ok(err instanceof PilotError);
  assert.equal(err.code, "internal");
  assert.deepEqual(await Deno.readFile(store), garbage);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("startRegistry() validates addresses and TLS flags", async () => {
  for (const bad of ["9000", "host:99999", "a b:1"]) {
    const err = await startTestRegistry({ listen: bad }).catch((e) => e);
    assert.equal(err.code, "invalid_argument", bad);
  }
  const err = await startTestRegistry({ tlsCertFile: "/nonexistent.pem" }).catch((e) => e);
  assert.equal(err.code, "invalid_argument");
});

Deno.test("--metrics serves Prometheus text and --dashboard serves counts without keys", async () => {
  await using reg = await startTestRegistry({ metricsListen: "127.0.0.1:0", dashboardListen: "127.0.0.1:0" });
  const a = await registeredClient(reg, { hostname: "m1" });
  await using _a = a.client;
  await a.client.lookup(0x9999).catch(() => {});
  const data = reg.readyData();
  assert.equal(data.pid, Deno.pid);
  assert.equal(data.registry, `127.0.0.1:${reg.registryAddr.port}`);
  assert.equal(data.beacon, `127.0.0.1:${reg.beaconAddr!.port}`);
  assert.equal(data.store, "sqlite :memory:");
  const text = await (await fetch(data.metrics!)).text();
  assert.match(text, /pilot_registry_requests_total\{type="register",outcome="ok"\} 1/);
  assert.match(text, /pilot_registry_requests_total\{type="lookup",outcome="not_found"\} 1/);
  assert.match(text, /pilot_registry_nodes 1/);
  assert.match(text, /pilot_registry_online_nodes 1/);
  const stats = await (await fetch(new URL("api/stats", data.dashboard!))).json();
  assert.deepEqual(stats, { nodes: 1, online: 1, public: 0, trust_links: 0, networks: 0, tags: 0, public_tags: [] });
  const page = await (await fetch(data.dashboard!)).text();
  assert.match(page, /pilot registry/);
  assert.ok(!page.includes(toBase64(a.identity.publicKey)));
  assert.equal((await fetch(new URL("/nope", data.metrics!))).status, 404);
  assert.equal(
    formatReadyBlock({ ...data, beacon: null, metrics: null, dashboard: null }),
    `Registry running (pid ${Deno.pid})\n  Registry:  ${data.registry} (tcp)\n  Beacon:    off\n  Store:     sqlite :memory:\n`,
  );
});

Deno.test("--beacon-listen off runs no beacon and reports null", async () => {
  await using reg = await startTestRegistry({ beaconListen: null });
  assert.equal(reg.beaconAddr, null);
  assert.equal(reg.readyData().beacon, null);
});

Deno.test("a client request to a closed registry fails with connection_failed", async () => {
  const reg = await startTestRegistry();
  const c = await connectClient(reg);
  await reg.close();
  const err = await c.hello().catch((e) => e);
  assert.ok(err instanceof PilotError);
  assert.equal(err.code, "connection_failed");
  await c.close();
  const refused = await connectClient(reg).catch((e) => e);
  assert.equal(refused.code, "connection_failed");
  assert.equal(refused.detail, "registry_unreachable");
});
