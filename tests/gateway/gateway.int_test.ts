// The gateway end to end on loopback with a fake daemon: HTTP clients reach a local Deno.serve through
// 127.4.R.1:<port> and the daemon's IPC. A 10 MiB download, an upload, 20 concurrent requests, keep-alive on one
// connection, servers that close early or at once, refused dials, live map / unmap, and the connection counts.
import assert from "node:assert/strict";
import { BIG_BYTES, pattern } from "./fake_daemon.ts";
import {
  BOB,
  CAROL,
  EARLY_PORT,
  eventually,
  type Fixture,
  HTTP_PORT,
  INSTANT_PORT,
  startFixture,
  UNROUTED_PORT,
} from "./fixture.ts";
import { AlreadyExistsError, InvalidArgumentError, NotFoundError } from "../../src/util/errors.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < bytes.length) offset += await conn.write(bytes.subarray(offset));
}

/** Reads one HTTP/1.1 response with a Content-Length body from a raw connection (bounded). */
async function readResponse(conn: Deno.Conn): Promise<{ status: number; headers: string; body: string }> {
  let buffered = new Uint8Array(0);
  const buf = new Uint8Array(16_384);
  const more = async () => {
    const n = await conn.read(buf);
    if (n === null) throw new Error("connection closed before the response ended");
    const next = new Uint8Array(buffered.length + n);
    next.set(buffered);
    next.set(buf.subarray(0, n), buffered.length);
    buffered = next;
  };
  let headEnd = -1;
  for (let i = 0; i < 256 && headEnd < 0; i++) {
    await more();
    headEnd = decoder.decode(buffered).indexOf("\r\n\r\n");
  }
  const head = decoder.decode(buffered).slice(0, headEnd);
  const length = Number(/content-length: *(\d+)/i.exec(head)?.[1] ?? NaN);
  assert.ok(Number.isInteger(length), `no content-length in ${JSON.stringify(head)}`);
  const bodyStart = encoder.encode(head + "\r\n\r\n").length;
  for (let i = 0; i < 1024 && buffered.length < bodyStart + length; i++) await more();
  return {
    status: Number(head.split(" ")[1]),
    headers: head,
    body: decoder.decode(buffered.subarray(bodyStart, bodyStart + length)),
  };
}

function get(path: string): Uint8Array {
  return encoder.encode(`GET ${path} HTTP/1.1\r\nHost: bob\r\n\r\n`);
}

/** A fetch client with its own pool, closed by the test, so no connection outlives it. */
function httpClient(): Deno.HttpClient {
  return Deno.createHttpClient({});
}

async function withFixture(fn: (f: Fixture) => Promise<void>): Promise<void> {
  await using f = await startFixture();
  await fn(f);
}

Deno.test("gateway: a 10 MiB download through 127.4.R.1 arrives intact", () =>
  withFixture(async (f) => {
    using client = httpClient();
    const res = await fetch(`http://${f.ip(1)}:${HTTP_PORT}/big`, { client });
    assert.equal(res.status, 200);
    const body = new Uint8Array(await res.arrayBuffer());
    assert.equal(body.length, BIG_BYTES);
    assert.deepEqual(body, pattern(BIG_BYTES, 9));
    assert.deepEqual(f.daemon.dials, [HTTP_PORT]);
  }));

Deno.test("gateway: a 2 MB upload reaches the server intact and comes back", () =>
  withFixture(async (f) => {
    using client = httpClient();
    const data = pattern(2_000_000, 4);
    const res = await fetch(`http://${f.ip(1)}:${HTTP_PORT}/echo`, { method: "POST", body: data, client });
    assert.deepEqual(new Uint8Array(await res.arrayBuffer()), data);
  }));

Deno.test("gateway: 20 concurrent requests each get their own answer", () =>
  withFixture(async (f) => {
    using client = Deno.createHttpClient({ poolMaxIdlePerHost: 0 });
    const answers = await Promise.all(Array.from({ length: 20 }, async (_, n) => {
      const res = await fetch(`http://${f.ip(1)}:${HTTP_PORT}/hello?n=${n}`, { client });
      return await res.text();
    }));
    assert.deepEqual(answers, Array.from({ length: 20 }, (_, n) => `hello ${n}`));
    assert.ok(f.daemon.dials.length >= 1 && f.daemon.dials.length <= 20);
  }));

Deno.test("gateway: keep-alive requests share one TCP connection and one pilot stream", () =>
  withFixture(async (f) => {
    using conn = await Deno.connect({ hostname: f.ip(1), port: HTTP_PORT });
    for (let n = 0; n < 3; n++) {
      await writeAll(conn, get(`/hello?n=${n}`));
      const res = await readResponse(conn);
      assert.equal(res.status, 200);
      assert.equal(res.body, `hello ${n}`);
    }
    assert.deepEqual(f.daemon.dials, [HTTP_PORT]);
    assert.equal(f.service?.gateway.list().mappings[0].connections, 1);
  }));

Deno.test("gateway: a server that closes after its answer gives the client the answer, then EOF", () =>
  withFixture(async (f) => {
    using conn = await Deno.connect({ hostname: f.ip(1), port: EARLY_PORT });
    await writeAll(conn, get("/"));
    const res = await readResponse(conn);
    assert.equal(res.body, "early");
    assert.match(res.headers, /Connection: close/);
    assert.equal(await conn.read(new Uint8Array(16)), null);
    // The client may still half-close; the gateway then forgets the connection.
    await conn.closeWrite().catch(() => {});
    await eventually(() => f.service?.gateway.list().mappings[0].connections === 0, "the connection to close");
  }));

Deno.test("gateway: a server that closes at once gives the client EOF", () =>
  withFixture(async (f) => {
    using conn = await Deno.connect({ hostname: f.ip(1), port: INSTANT_PORT });
    assert.equal(await conn.read(new Uint8Array(16)), null);
    await conn.closeWrite().catch(() => {});
    await eventually(() => f.service?.gateway.list().mappings[0].connections === 0, "the connection to close");
  }));

Deno.test("gateway: a refused dial closes the client's connection", () =>
  withFixture(async (f) => {
    using conn = await Deno.connect({ hostname: f.ip(1), port: UNROUTED_PORT });
    const end = await conn.read(new Uint8Array(16)).catch(() => null);
    assert.equal(end, null);
    assert.deepEqual(f.daemon.dials, [UNROUTED_PORT]);
  }));

Deno.test("gateway: map hands out .2 next, honours a chosen IP and refuses duplicates and outsiders", () =>
  withFixture(async (f) => {
    const gateway = f.service!.gateway;
    assert.deepEqual(await gateway.map({ pilotAddr: CAROL, hostname: "carol" }), {
      local_ip: f.ip(2),
      pilot_addr: CAROL,
      hostname: "carol",
    });
    await assert.rejects(gateway.map({ pilotAddr: CAROL, hostname: "" }), AlreadyExistsError);
    await assert.rejects(
      gateway.map({ pilotAddr: "0:0000.0000.0106", hostname: "", localIp: f.ip(1) }),
      AlreadyExistsError,
    );
    await assert.rejects(
      gateway.map({ pilotAddr: "0:0000.0000.0106", hostname: "", localIp: "127.5.0.1" }),
      InvalidArgumentError,
    );
    const chosen = await gateway.map({ pilotAddr: "0:0000.0000.0106", hostname: "", localIp: f.ip(77) });
    assert.equal(chosen.local_ip, f.ip(77));
    // The new mapping serves at once.
    using client = httpClient();
    const res = await fetch(`http://${f.ip(77)}:${HTTP_PORT}/hello?n=77`, { client });
    assert.equal(await res.text(), "hello 77");
    assert.deepEqual(gateway.list().mappings.map((m) => m.local_ip), [f.ip(1), f.ip(2), f.ip(77)]);
  }));

Deno.test("gateway: unmap closes the mapping's connections and its listeners", () =>
  withFixture(async (f) => {
    const gateway = f.service!.gateway;
    using conn = await Deno.connect({ hostname: f.ip(1), port: HTTP_PORT });
    await writeAll(conn, get("/hello?n=1"));
    assert.equal((await readResponse(conn)).body, "hello 1");
    assert.deepEqual(await gateway.unmap({ hostname: "bob" }), { local_ip: f.ip(1), pilot_addr: BOB });
    assert.equal(await conn.read(new Uint8Array(16)).catch(() => null), null);
    await assert.rejects(Deno.connect({ hostname: f.ip(1), port: HTTP_PORT }), Deno.errors.ConnectionRefused);
    await assert.rejects(gateway.unmap({ localIp: f.ip(1) }), NotFoundError);
    await eventually(() => f.daemon.open === 0, "the daemon side to close");
    // The IP is free again: the next mapping gets .1.
    assert.equal((await gateway.map({ pilotAddr: CAROL, hostname: "" })).local_ip, f.ip(1));
  }));
