// Request handling before the handlers (PROTOCOL-BRIEF §4.1, §4.2): body parsing, id echo, unknown types, signed
// request authentication in order, replay cache, rate limits and shutdown.
import assert from "node:assert/strict";
import { utf8 } from "../../src/util/bytes.ts";
import { parseLimits } from "../../src/registry/limits.ts";
import { FakeConn, Harness, signRequest } from "./helpers.ts";

Deno.test("handleFrame() answers bad UTF-8, non-JSON, non-objects, deep nesting and huge integers with bad_request", async () => {
  const h = await Harness.create();
  try {
    const bodies = [
      new Uint8Array([0xff, 0xfe, 0x7b, 0x7d]),
      utf8("{not json"),
      utf8("[1,2,3]"),
      utf8('"text"'),
      utf8("[".repeat(17) + "]".repeat(17)),
      utf8(`{"type":"hello","a":` + "[".repeat(16) + "]".repeat(16) + "}"),
      utf8('{"type":"hello","proto":9007199254740993}'),
    ];
    for (const body of bodies) {
      const reply = await h.raw(body);
      assert.equal(reply.type, "error");
      assert.equal(reply.code, "bad_request", JSON.stringify(reply));
      assert.equal(reply.request_type, "");
    }
    // Depth 16 exactly is fine.
    const ok = await h.raw(utf8(`{"type":"hello","proto":1,"a":` + "[".repeat(15) + "]".repeat(15) + "}"));
    assert.equal(ok.type, "hello_ok");
  } finally {
    await h.close();
  }
});

Deno.test("handleFrame() echoes an integer or string id and rejects a bad one", async () => {
  const h = await Harness.create();
  try {
    assert.equal((await h.send({ type: "hello", proto: 1, id: 7 })).id, 7);
    assert.equal((await h.send({ type: "hello", proto: 1, id: "abc" })).id, "abc");
    const err = await h.fails({ type: "hello", proto: 1, id: "x".repeat(65) }, "bad_request");
    assert.equal(err.field, "id");
    assert.equal(err.id, undefined);
    assert.equal((await h.fails({ type: "nope", id: 3 }, "unknown_type")).id, 3);
  } finally {
    await h.close();
  }
});

Deno.test("handleFrame() names the missing type field and unknown types", async () => {
  const h = await Harness.create();
  try {
    assert.equal((await h.fails({ proto: 1 }, "bad_request")).field, "type");
    const err = await h.fails({ type: "__proto__" }, "unknown_type");
    assert.equal(err.request_type, "__proto__");
  } finally {
    await h.close();
  }
});

Deno.test("hello returns protocol, registry id, server time and max frame", async () => {
  const h = await Harness.create();
  try {
    const r = await h.ok({ type: "hello", proto: 1, client: "test" });
    assert.deepEqual(r, {
      type: "hello_ok",
      proto: 1,
      registry_id: "test-registry",
      server_time_ms: h.clock.now(),
      max_frame: 1_048_576,
    });
    assert.equal((await h.fails({ type: "hello", proto: 2 }, "invalid_argument")).field, "proto");
  } finally {
    await h.close();
  }
});

Deno.test("signed requests: missing signed fields and unknown node ids are unauthenticated", async () => {
  const h = await Harness.create();
  try {
    const a = await h.register();
    const full = h.signed(a, "list_trust");
    for (const field of ["node_id", "ts", "nonce", "sig"]) {
      const req = { ...full };
      delete req[field];
      assert.equal((await h.fails(req, "unauthenticated")).field, field);
    }
    const stranger = signRequest({ nodeId: 0x999, identity: a.identity }, h.clock.now(), "list_trust");
    assert.equal((await h.fails(stranger, "unauthenticated")).field, "node_id");
  } finally {
    await h.close();
  }
});

Deno.test("signed requests: ts outside ±300 s is clock_skew with server_time_ms", async () => {
  const h = await Harness.create();
  try {
    const a = await h.register();
    h.clock.advance(400_000);
    const old = signRequest(a, h.clock.now() - 300_001, "list_trust");
    const err = await h.fails(old, "clock_skew");
    assert.equal(err.server_time_ms, h.clock.now());
    await h.fails(signRequest(a, h.clock.now() + 300_001, "list_trust"), "clock_skew");
    await h.ok(signRequest(a, h.clock.now() - 299_000, "list_trust"));
  } finally {
    await h.close();
  }
});

Deno.test("signed requests: ts before the registry's start time is clock_skew", async () => {
  const h = await Harness.create();
  try {
    const a = await h.register();
    const err = await h.fails(signRequest(a, h.ctx.startedAtMs - 1, "list_trust"), "clock_skew");
    assert.match(String(err.message), /before the registry started/);
  } finally {
    await h.close();
  }
});

Deno.test("signed requests: a replayed request is refused with replay, a tampered one with bad_signature", async () => {
  const h = await Harness.create();
  try {
    const a = await h.register();
    const req = h.signed(a, "set_visibility", { public: false });
    await h.ok(req);
    await h.fails(req, "replay");
    const tampered = { ...h.signed(a, "set_visibility", { public: false }), public: true };
    assert.equal((await h.fails(tampered, "bad_signature")).field, "sig");
    // An unknown extra field is signed too.
    const extra = { ...h.signed(a, "set_visibility", { public: false }), extra: 1 };
    await h.fails(extra, "bad_signature");
  } finally {
    await h.close();
  }
});

Deno.test("signed requests: a bad signature does not burn the nonce", async () => {
  const h = await Harness.create();
  try {
    const a = await h.register();
    const good = h.signed(a, "list_trust");
    await h.fails({ ...good, sig: h.signed(a, "list_trust").sig }, "bad_signature");
    await h.ok(good);
  } finally {
    await h.close();
  }
});

Deno.test("per-node request bucket: burst 50 then rate_limited with retry_after_ms", async () => {
  const h = await Harness.create({ limits: parseLimits({}) });
  try {
    const a = await h.register();
    for (let i = 0; i < 50; i++) await h.ok(h.signed(a, "list_trust"));
    const err = await h.fails(h.signed(a, "list_trust"), "rate_limited");
    assert.ok(Number(err.retry_after_ms) > 0);
    h.clock.advance(1000);
    await h.ok(h.signed(a, "list_trust"));
  } finally {
    await h.close();
  }
});

Deno.test("per-IP registration bucket: register_begin + register share 10 per minute", async () => {
  const h = await Harness.create({ limits: parseLimits({}) });
  try {
    const conn = new FakeConn("10.0.0.9");
    for (let i = 0; i < 10; i++) await h.ok({ type: "register_begin", public_key: "A".repeat(43) + "=" }, conn);
    const err = await h.fails({ type: "register_begin", public_key: "A".repeat(43) + "=" }, "rate_limited", conn);
    assert.ok(Number(err.retry_after_ms) > 0);
    await h.ok({ type: "register_begin", public_key: "A".repeat(43) + "=" }, new FakeConn("10.0.0.10"));
  } finally {
    await h.close();
  }
});

Deno.test("lookups have their own 120/min bucket", async () => {
  const h = await Harness.create({ limits: parseLimits({ node_requests_burst: 1000, node_requests_per_s: 1000 }) });
  try {
    const a = await h.register();
    for (let i = 0; i < 120; i++) await h.ok(h.signed(a, "get_keys", { target: a.nodeId }));
    await h.fails(h.signed(a, "get_keys", { target: a.nodeId }), "rate_limited");
    await h.ok(h.signed(a, "list_trust"));
  } finally {
    await h.close();
  }
});

Deno.test("a registry shutting down answers unavailable", async () => {
  const h = await Harness.create();
  try {
    h.state.closing = true;
    await h.fails({ type: "hello", proto: 1 }, "unavailable");
  } finally {
    await h.close();
  }
});

Deno.test("request metrics count outcomes by type", async () => {
  const h = await Harness.create();
  try {
    await h.ok({ type: "hello", proto: 1 });
    await h.fails({ type: "hello", proto: 5 }, "invalid_argument");
    await h.fails({ type: "what" }, "unknown_type");
    assert.equal(h.ctx.metrics.requests("hello", "ok"), 1);
    assert.equal(h.ctx.metrics.requests("hello", "invalid_argument"), 1);
    assert.equal(h.ctx.metrics.requests("unknown", "unknown_type"), 1);
  } finally {
    await h.close();
  }
});
