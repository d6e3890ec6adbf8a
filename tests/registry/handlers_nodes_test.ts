// Registration, heartbeat, deregister and key rotation (PROTOCOL-BRIEF §4.2, §4.4, §4.5).
import assert from "node:assert/strict";
import { ed25519Sign } from "../../src/crypto/ed25519.ts";
import { generateIdentity, type Identity } from "../../src/crypto/identity.ts";
import { randomBytes, toBase64 } from "../../src/util/bytes.ts";
import { registrySignedBytes, rotateNewKeySignedBytes, rotationSignedBytes } from "../../src/registry/protocol.ts";
import { FakeConn, Harness, type Json, type TestNode } from "./helpers.ts";

Deno.test("register gives the first node 0x100 and the same key its same id again", async () => {
  const h = await Harness.create();
  try {
    const a = await h.register({ owner: "a@example.com" });
    assert.equal(a.nodeId, 0x100);
    assert.equal(a.reply.new, true);
    assert.equal(a.reply.address, "0:0000.0000.0100");
    assert.deepEqual(a.reply.networks, [0]);
    assert.equal(a.reply.heartbeat_s, 30);
    assert.equal(a.reply.expiry_s, 180);
    assert.equal(a.reply.public, false);
    const again = await h.register({}, a.identity);
    assert.equal(again.nodeId, 0x100);
    assert.equal(again.reply.new, false);
    const b = await h.register();
    assert.equal(b.nodeId, 0x101);
  } finally {
    await h.close();
  }
});

Deno.test("register: a challenge is single use, bound to its connection and key, and expires after 30 s", async () => {
  const h = await Harness.create();
  try {
    const id = generateIdentity(h.clock);
    const conn = new FakeConn();
    const c1 = await h.begin(id, conn);
    await h.ok(h.registerRequest(id, c1), conn);
    assert.equal((await h.fails(h.registerRequest(id, c1), "challenge_invalid", conn)).field, "challenge");

    const c2 = await h.begin(id, conn);
    await h.fails(h.registerRequest(id, c2), "challenge_invalid", new FakeConn());

    const other = generateIdentity(h.clock);
    const c3 = await h.begin(other, conn);
    await h.fails(h.registerRequest(id, c3), "challenge_invalid", conn);

    const c4 = await h.begin(id, conn);
    h.clock.advance(30_001);
    await h.fails(h.registerRequest(id, c4), "challenge_invalid", conn);
  } finally {
    await h.close();
  }
});

Deno.test("register: a bad noise binding is bad_signature on noise_sig", async () => {
  const h = await Harness.create();
  try {
    const id = generateIdentity(h.clock);
    const conn = new FakeConn();
    const c = await h.begin(id, conn);
    const req = h.registerRequest(id, c, { noise_issued_at: id.noiseIssuedAt + 1 });
    assert.equal((await h.fails(req, "bad_signature", conn)).field, "noise_sig");
  } finally {
    await h.close();
  }
});

Deno.test("register: a bad or taken hostname does not fail registration and says why", async () => {
  const h = await Harness.create();
  try {
    const a = await h.register({ hostname: "alice" });
    assert.equal(a.reply.hostname, "alice");
    const b = await h.register({ hostname: "alice" });
    assert.equal(b.reply.hostname, undefined);
    assert.match(String(b.reply.hostname_error), /already taken/);
    const c = await h.register({ hostname: "Bad_Name" });
    assert.match(String(c.reply.hostname_error), /invalid hostname/);
    const d = await h.register({ hostname: "registry" });
    assert.match(String(d.reply.hostname_error), /reserved/);
  } finally {
    await h.close();
  }
});

Deno.test("register: invalid fields are named", async () => {
  const h = await Harness.create();
  try {
    const id = generateIdentity(h.clock);
    const conn = new FakeConn();
    const cases: [Json, string, string][] = [
      [{ listen_port: 70000 }, "invalid_argument", "listen_port"],
      [{ listen_port: "x" }, "bad_request", "listen_port"],
      [{ endpoint: "1.2.3.4" }, "invalid_argument", "endpoint"],
      [
        { lan_addrs: ["1.1.1.1:1", "1.1.1.2:1", "1.1.1.3:1", "1.1.1.4:1", "1.1.1.5:1"] },
        "invalid_argument",
        "lan_addrs",
      ],
      [{ owner: "no-at-sign" }, "invalid_argument", "owner"],
      [{ noise_public_key: "AAAA" }, "invalid_argument", "noise_public_key"],
    ];
    for (const [fields, code, field] of cases) {
      const c = await h.begin(id, conn);
      assert.equal((await h.fails(h.registerRequest(id, c, fields), code, conn)).field, field, JSON.stringify(fields));
    }
  } finally {
    await h.close();
  }
});

Deno.test("heartbeat reports the inbox, online_until and writes last_seen at most once per 60 s", async () => {
  const h = await Harness.create();
  try {
    const a = await h.register();
    const stored0 = (await h.store.read((tx) => tx.nodeById(a.nodeId)))!.lastSeenMs;
    h.clock.advance(30_000);
    const r = await h.call(a, "heartbeat", {});
    assert.equal(r.inbox, 0);
    assert.equal(r.online_until_ms, h.clock.now() + 180_000);
    assert.equal((await h.store.read((tx) => tx.nodeById(a.nodeId)))!.lastSeenMs, stored0);
    h.clock.advance(30_000);
    await h.call(a, "heartbeat", { listen_port: 4000 });
    assert.equal((await h.store.read((tx) => tx.nodeById(a.nodeId)))!.lastSeenMs, h.clock.now());
  } finally {
    await h.close();
  }
});

Deno.test("a node is online for 180 s after its last heartbeat, and offline after deregister", async () => {
  const h = await Harness.create();
  try {
    const a = await h.register({ public: true });
    const b = await h.register();
    assert.equal((await h.call(b, "lookup", { target: a.nodeId })).online, true);
    h.clock.advance(179_999);
    assert.equal((await h.call(b, "lookup", { target: a.nodeId })).online, true);
    h.clock.advance(1);
    const off = await h.call(b, "lookup", { target: a.nodeId });
    assert.equal(off.online, false);
    assert.deepEqual(off.endpoints, []);
    await h.call(a, "heartbeat");
    assert.equal((await h.call(b, "lookup", { target: a.nodeId })).online, true);
    assert.deepEqual(await h.call(a, "deregister"), { type: "deregister_ok", offline: true });
    assert.equal((await h.call(b, "lookup", { target: a.nodeId })).online, false);
  } finally {
    await h.close();
  }
});

Deno.test("deregister release frees the hostname and tags; purge also drops trust edges", async () => {
  const h = await Harness.create();
  try {
    const a = await h.register({ hostname: "keep" });
    const b = await h.register();
    await h.call(a, "set_tags", { tags: ["x"] });
    await h.call(a, "report_trust", { peer: b.nodeId });
    await h.call(a, "deregister", {});
    assert.equal((await h.store.read((tx) => tx.nodeById(a.nodeId)))!.hostname, "keep");
    await h.call(a, "deregister", { release: true });
    const n = (await h.store.read((tx) => tx.nodeById(a.nodeId)))!;
    assert.equal(n.hostname, null);
    assert.deepEqual(n.tags, []);
    await h.call(b, "set_hostname", { hostname: "keep" });
    assert.equal((await h.call(a, "list_trust")).edges instanceof Array, true);
    assert.equal(((await h.call(a, "list_trust")).edges as unknown[]).length, 1);
    await h.call(a, "deregister", { purge: true });
    assert.deepEqual((await h.call(a, "list_trust")).edges, []);
  } finally {
    await h.close();
  }
});

/** A rotate_key request signed by the node's current key and by `next` (label pilot-rotate-new-v1). */
function rotateRequest(h: Harness, node: TestNode, next: Identity, rotationSig?: Uint8Array): Json {
  const rotatedAt = h.clock.now();
  const req: Json = {
    type: "rotate_key",
    node_id: node.nodeId,
    ts: h.clock.now(),
    nonce: toBase64(randomBytes(16)),
    new_public_key: toBase64(next.publicKey),
    new_noise_public_key: toBase64(next.noisePublicKey),
    new_noise_issued_at: next.noiseIssuedAt,
    new_noise_sig: toBase64(next.noiseSig),
    rotated_at_ms: rotatedAt,
    rotation_sig: toBase64(
      rotationSig ?? ed25519Sign(node.identity.seed, rotationSignedBytes(node.nodeId, next.publicKey, rotatedAt)),
    ),
  };
  req.new_key_sig = toBase64(ed25519Sign(next.seed, rotateNewKeySignedBytes(req)));
  req.sig = toBase64(ed25519Sign(node.identity.seed, registrySignedBytes(req)));
  return req;
}

Deno.test("rotate_key moves the node id to the new key; the old key can neither sign nor register", async () => {
  const h = await Harness.create();
  try {
    const a = await h.register({ hostname: "rot" });
    const next = generateIdentity(h.clock);
    const ok = await h.ok(rotateRequest(h, a, next), a.conn);
    assert.equal(ok.node_id, a.nodeId);
    assert.equal(ok.public_key, toBase64(next.publicKey));

    const old = await h.fails(h.signed(a, "list_trust"), "forbidden");
    assert.match(String(old.message), /key was rotated/);
    const conn = new FakeConn();
    const c = await h.begin(a.identity, conn);
    assert.match(
      String((await h.fails(h.registerRequest(a.identity, c), "forbidden", conn)).message),
      /key was rotated/,
    );

    const renewed = await h.register({}, next);
    assert.equal(renewed.nodeId, a.nodeId);
    assert.equal(renewed.reply.hostname, "rot");
    const keys = await h.call(renewed, "get_keys", { target: a.nodeId });
    assert.equal(keys.public_key, toBase64(next.publicKey));
    assert.deepEqual((keys.key_chain as Json[]).map((k) => k.public_key), [toBase64(a.identity.publicKey)]);
  } finally {
    await h.close();
  }
});

Deno.test("rotate_key refuses a bad new_key_sig or rotation_sig", async () => {
  const h = await Harness.create();
  try {
    const a = await h.register();
    const good = rotateRequest(h, a, generateIdentity(h.clock));
    const badNew = { ...good, new_key_sig: toBase64(new Uint8Array(64)) };
    // Changing new_key_sig does not change what `sig` covers, so the outer signature still verifies.
    assert.equal((await h.fails(badNew, "bad_signature")).field, "new_key_sig");
    const wrongStep = rotateRequest(h, a, generateIdentity(h.clock), new Uint8Array(64));
    assert.equal((await h.fails(wrongStep, "bad_signature")).field, "rotation_sig");
    // A rotation to a key that is already some node's key is refused.
    const b = await h.register();
    assert.equal((await h.fails(rotateRequest(h, a, b.identity), "already_exists")).field, "new_public_key");
  } finally {
    await h.close();
  }
});
