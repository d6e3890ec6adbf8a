// Webhook delivery (PROTOCOL-BRIEF §9.5) to a real local HTTP server: body and headers, the HMAC signature checked
// by the receiver, retries on 5xx and network errors, no retry on 4xx, live URL/secret changes, and the bounded
// queue dropping (and counting) the oldest events.
import assert from "node:assert/strict";
import { WebhookDispatcher } from "../../../src/daemon/services/webhook.ts";
import { hmacSha256 } from "../../../src/crypto/hash.ts";
import { toHex, utf8 } from "../../../src/util/bytes.ts";
import { ManualClock } from "../../../src/util/clock.ts";

interface Hit {
  readonly headers: Headers;
  readonly body: string;
}

/** A local server answering each request with the next status of `statuses` (then 200). */
function hookServer(statuses: number[] = []): { url: string; hits: Hit[] } & AsyncDisposable {
  const hits: Hit[] = [];
  const queue = [...statuses];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    hits.push({ headers: req.headers, body: await req.text() });
    return new Response("ok", { status: queue.shift() ?? 200 });
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}/hook`,
    hits,
    [Symbol.asyncDispose]: () => server.shutdown(),
  };
}

const SELF = { nodeId: 261, address: "0:0000.0000.0105" };
const FAST_RETRIES = [5, 10, 20];

Deno.test("a delivery POSTs the §9.5 body with event, delivery id and a signature the receiver can verify", async () => {
  await using srv = hookServer();
  const clock = new ManualClock(Date.UTC(2025, 5, 1, 12, 0, 1, 123));
  await using hooks = new WebhookDispatcher({ target: { url: srv.url, secret: "s3cret" }, self: () => SELF, clock });
  hooks.emit("message.received", { type: "text", from: "0:0000.0000.0100", size: 9 });
  await hooks.idle();
  assert.equal(srv.hits.length, 1);
  const { headers, body } = srv.hits[0];
  assert.equal(headers.get("content-type"), "application/json");
  assert.equal(headers.get("x-pilot-event"), "message.received");
  const id = headers.get("x-pilot-delivery") ?? "";
  assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  const expected = `sha256=${toHex(hmacSha256(utf8("s3cret"), utf8(body)))}`;
  assert.equal(headers.get("x-pilot-signature"), expected);
  const parsed = JSON.parse(body);
  assert.deepEqual(Object.keys(parsed), ["event", "id", "node_id", "address", "timestamp", "data"]);
  assert.deepEqual(parsed, {
    event: "message.received",
    id,
    node_id: 261,
    address: "0:0000.0000.0105",
    timestamp: "2025-06-01T12:00:01.123Z",
    data: { type: "text", from: "0:0000.0000.0100", size: 9 },
  });
  assert.deepEqual(hooks.stats(), { queued: 0, delivered: 1, failed: 0, dropped: 0, retries: 0 });
});

Deno.test("without a secret there is no signature header", async () => {
  await using srv = hookServer();
  await using hooks = new WebhookDispatcher({ target: { url: srv.url, secret: "" }, self: () => SELF });
  hooks.emit("node.registered", { address: SELF.address });
  await hooks.idle();
  assert.equal(srv.hits[0].headers.get("x-pilot-signature"), null);
});

Deno.test("5xx answers are retried with the same delivery id until one succeeds", async () => {
  await using srv = hookServer([500, 503]);
  await using hooks = new WebhookDispatcher({
    target: { url: srv.url, secret: "" },
    self: () => SELF,
    retryDelaysMs: FAST_RETRIES,
  });
  hooks.emit("conn.fin", { conn_id: 1 });
  await hooks.idle();
  assert.equal(srv.hits.length, 3);
  assert.equal(new Set(srv.hits.map((h) => h.headers.get("x-pilot-delivery"))).size, 1);
  assert.equal(new Set(srv.hits.map((h) => h.body)).size, 1);
  assert.deepEqual(hooks.stats(), { queued: 0, delivered: 1, failed: 0, dropped: 0, retries: 2 });
});

Deno.test("after 3 retries a failing delivery is given up; a 4xx is never retried", async () => {
  await using srv = hookServer([500, 500, 500, 500, 404]);
  await using hooks = new WebhookDispatcher({
    target: { url: srv.url, secret: "" },
    self: () => SELF,
    retryDelaysMs: FAST_RETRIES,
  });
  hooks.emit("a", {});
  hooks.emit("b", {});
  await hooks.idle();
  assert.deepEqual(srv.hits.map((h) => h.headers.get("x-pilot-event")), ["a", "a", "a", "a", "b"]);
  assert.deepEqual(hooks.stats(), { queued: 0, delivered: 0, failed: 2, dropped: 0, retries: 3 });
});

Deno.test("network errors are retried", async () => {
  // A port that was just free: nothing listens there.
  const probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const deadUrl = `http://127.0.0.1:${(probe.addr as Deno.NetAddr).port}/`;
  probe.close();
  await using hooks = new WebhookDispatcher({
    target: { url: deadUrl, secret: "" },
    self: () => SELF,
    retryDelaysMs: FAST_RETRIES,
  });
  hooks.emit("x", {});
  await hooks.idle();
  assert.deepEqual(hooks.stats(), { queued: 0, delivered: 0, failed: 1, dropped: 0, retries: 3 });
});

Deno.test("a full queue drops the oldest event and counts it; emit() never blocks", async () => {
  // The receiver holds every request until released, so the queue fills behind the first one.
  let release!: () => void;
  const released = new Promise<void>((r) => release = r);
  const seen: string[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    seen.push(req.headers.get("x-pilot-event") ?? "");
    await req.text();
    await released;
    return new Response(null, { status: 204 });
  });
  try {
    const hooks = new WebhookDispatcher({
      target: { url: `http://127.0.0.1:${server.addr.port}/`, secret: "" },
      self: () => SELF,
      queueMax: 3,
    });
    const start = performance.now();
    for (let i = 0; i < 10; i++) hooks.emit(`e${i}`, { i });
    assert.ok(performance.now() - start < 100);
    // e0 may already be in flight; of the rest only the newest 3 stay queued.
    const before = hooks.stats();
    assert.equal(before.queued, 3);
    assert.ok(before.dropped === 6 || before.dropped === 7, String(before.dropped));
    release();
    await hooks.idle();
    assert.deepEqual(seen.slice(-3), ["e7", "e8", "e9"]);
    await hooks.close();
  } finally {
    release();
    await server.shutdown();
  }
});

Deno.test("the URL and secret change live; an empty URL stops delivery and drops the queue", async () => {
  await using first = hookServer();
  await using second = hookServer();
  await using hooks = new WebhookDispatcher({ target: { url: first.url, secret: "" }, self: () => SELF });
  hooks.emit("one", {});
  await hooks.idle();
  hooks.configure({ url: second.url, secret: "k" });
  hooks.emit("two", {});
  await hooks.idle();
  assert.deepEqual(first.hits.map((h) => h.headers.get("x-pilot-event")), ["one"]);
  assert.equal(second.hits.length, 1);
  assert.equal(
    second.hits[0].headers.get("x-pilot-signature"),
    `sha256=${toHex(hmacSha256(utf8("k"), utf8(second.hits[0].body)))}`,
  );
  hooks.configure({ url: "", secret: "" });
  hooks.emit("three", {});
  assert.equal(hooks.stats().queued, 0);
  await hooks.idle();
  assert.equal(second.hits.length, 1);
});

Deno.test("close() cancels an attempt in flight and resolves", async () => {
  let seen!: () => void;
  const arrived = new Promise<void>((r) => seen = r);
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    seen();
    await req.text();
    await new Promise((r) => setTimeout(r, 300));
    return new Response(null, { status: 200 });
  });
  try {
    const hooks = new WebhookDispatcher({
      target: { url: `http://127.0.0.1:${server.addr.port}/`, secret: "" },
      self: () => SELF,
    });
    hooks.emit("slow", {});
    await arrived;
    const start = performance.now();
    await hooks.close();
    assert.ok(performance.now() - start < 250);
    assert.equal(hooks.stats().delivered, 0);
  } finally {
    await server.shutdown();
  }
});
