// `expose` / `unexpose` / `expose_list` on in-process nodes (CLI.md §3.9, PROTOCOL-BRIEF §8.3, §6.4): a trusted
// peer's stream to an exposed port reaches a real TCP server on 127.0.0.1 both ways with half-close; an unreachable
// target resets the stream; unexpose resets what is open; refusals carry their codes; an untrusted peer's SYN gets
// RST 2 even when that peer's own trust file claims trust.
import assert from "node:assert/strict";
import type { IpcStream } from "../../src/ipc/mod.ts";
import { encodeTrustFile } from "../../src/trust/mod.ts";
import { cluster, digest, makeTrust, randomData, readAll, writeAll } from "./_pair.ts";
import { eventually, ipc } from "./_cluster.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

/** A TCP service that reads each connection to EOF, answers `<n> <sha256>` and closes; or holds it open. */
class DigestServer implements AsyncDisposable {
  readonly #listener: Deno.TcpListener;
  readonly #conns = new Set<Deno.Conn>();
  readonly #loop: Promise<void>;
  accepted = 0;

  constructor(readonly hold = false) {
    this.#listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    this.#loop = this.#accept();
  }

  get port(): number {
    return (this.#listener.addr as Deno.NetAddr).port;
  }

  /** Connections not yet closed. */
  get open(): number {
    return this.#conns.size;
  }

  async #accept(): Promise<void> {
    const served = new Set<Promise<void>>();
    try {
      for await (const conn of this.#listener) {
        this.accepted++;
        this.#conns.add(conn);
        const s: Promise<void> = this.#serve(conn).finally(() => {
          this.#conns.delete(conn);
          served.delete(s);
        });
        served.add(s);
      }
    } catch {
      // listener closed
    }
    await Promise.all(served);
  }

  async #serve(conn: Deno.Conn): Promise<void> {
    try {
      const parts: Uint8Array[] = [];
      for (;;) {
        const buf = new Uint8Array(65_536);
        const n = await conn.read(buf);
        if (n === null) break;
        parts.push(buf.subarray(0, n));
        if (this.hold) await conn.write(buf.subarray(0, n));
      }
      const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
      let off = 0;
      for (const p of parts) {
        all.set(p, off);
        off += p.length;
      }
      await conn.write(enc.encode(`${all.length} ${digest(all)}`));
    } catch {
      // the bridge reset it
    } finally {
      try {
        conn.close();
      } catch {
        // closed at disposal
      }
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.#listener.close();
    for (const c of this.#conns) {
      try {
        c.close();
      } catch {
        // already closed
      }
    }
    await this.#loop;
  }
}

/** A loopback port nobody listens on. */
function closedPort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/** "eof" when the stream ends cleanly, else the error's detail. */
function outcome(stream: IpcStream): Promise<string> {
  return readAll(stream).then(() => "eof", (err: Error & { detail?: string }) => err.detail ?? err.message);
}

Deno.test("an exposed port carries a trusted peer's stream to a TCP service both ways, with half-close", async () => {
  await using c = await cluster(["alice", "bob"]);
  const [a, b] = c.members;
  await using server = new DigestServer();
  await makeTrust(a, b);
  const exposed = await b.client.request("expose", { port: 8080, to: String(server.port) });
  assert.deepEqual(exposed, { port: 8080, to: `127.0.0.1:${server.port}` });
  const data = randomData(1_000_000);
  const stream = await a.client.dialStream({ addr: b.node.address, port: 8080 });
  await eventually(async () => (await b.client.request("expose_list")).exposed[0]?.connections === 1);
  const replying = readAll(stream);
  await writeAll(stream, data);
  assert.equal(dec.decode(await replying), `${data.length} ${digest(data)}`);
  await eventually(async () => (await b.client.request("expose_list")).exposed[0]?.connections === 0);
  assert.deepEqual((await b.client.request("expose_list")).exposed, [
    { port: 8080, to: `127.0.0.1:${server.port}`, connections: 0 },
  ]);
});

Deno.test("a target that refuses the TCP connection resets the stream with RST 5", async () => {
  await using c = await cluster(["alice", "bob"]);
  const [a, b] = c.members;
  await makeTrust(a, b);
  await b.client.request("expose", { port: 8081, to: `127.0.0.1:${closedPort()}` });
  const stream = await a.client.dialStream({ addr: b.node.address, port: 8081 });
  assert.equal(await outcome(stream), "reset");
  assert.equal((await b.client.request("expose_list")).exposed[0].connections, 0);
});

Deno.test("unexpose resets open connections, frees the port and is daemon-wide", async () => {
  await using c = await cluster(["alice", "bob"]);
  const [a, b] = c.members;
  await using server = new DigestServer(true);
  await makeTrust(a, b);
  // Exposed ports belong to the daemon: they outlive the IPC client that asked.
  const other = await ipc(b.node);
  await other.request("expose", { port: 9000, to: `localhost:${server.port}` });
  await other.close();
  const stream = await a.client.dialStream({ addr: b.node.address, port: 9000 });
  const ending = outcome(stream);
  const writer = stream.writable.getWriter();
  await writer.write(enc.encode("ping"));
  writer.releaseLock();
  await eventually(() => server.accepted === 1);
  assert.deepEqual((await b.client.request("expose_list")).exposed, [
    { port: 9000, to: `localhost:${server.port}`, connections: 1 },
  ]);
  assert.deepEqual(await b.client.request("unexpose", { port: 9000 }), { port: 9000 });
  assert.equal(await ending, "reset");
  assert.deepEqual((await b.client.request("expose_list")).exposed, []);
  await assert.rejects(() => b.client.request("unexpose", { port: 9000 }), {
    code: "not_found",
    message: "port 9000 is not exposed",
  });
  await assert.rejects(
    () => a.client.request("dial", { addr: b.node.address, port: 9000, timeout_ms: 10_000 }),
    { code: "connection_failed", detail: "refused" },
  );
  // The port is free again, for an application or another expose.
  assert.deepEqual(await b.client.request("bind", { port: 9000, proto: "stream" }), { port: 9000 });
});

Deno.test("expose refuses built-in, bound and exposed ports, and bad ports or targets", async () => {
  await using c = await cluster(["bob"]);
  const [b] = c.members;
  const portsBefore = (await b.client.request("info")).ports as number;
  for (const port of [7, 444, 1001, 1002, 1003]) {
    await assert.rejects(() => b.client.request("expose", { port, to: "3000" }), {
      code: "already_exists",
      message: `port ${port} is already bound`,
    });
  }
  await b.client.request("bind", { port: 5000, proto: "stream" });
  await assert.rejects(() => b.client.request("expose", { port: 5000, to: "3000" }), {
    code: "already_exists",
    message: "port 5000 is already bound",
  });
  await b.client.request("expose", { port: 5001, to: "[::1]:3000" });
  await assert.rejects(() => b.client.request("expose", { port: 5001, to: "3001" }), {
    code: "already_exists",
    message: "port 5001 is already exposed",
  });
  await assert.rejects(() => b.client.request("bind", { port: 5001, proto: "stream" }), { code: "already_exists" });
  for (const port of [0, 65_536, -1, 1.5, "80"]) {
    await assert.rejects(() => b.client.request("expose", { port: port as number, to: "3000" }), {
      code: "invalid_argument",
      detail: "port_range",
    });
  }
  for (const to of ["", "host", "host:0", "host:99999", "::1:80", "a b:80", "300.1.1.1:80"]) {
    await assert.rejects(() => b.client.request("expose", { port: 5002, to }), {
      code: "invalid_argument",
      detail: "bad_address",
    });
  }
  assert.equal((await b.client.request("info")).ports, portsBefore + 2, "the bound and the exposed port");
  assert.deepEqual((await b.client.request("expose_list")).exposed, [{ port: 5001, to: "[::1]:3000", connections: 0 }]);
});

Deno.test("an untrusted peer's SYN to an exposed port gets RST 2, even when its own trust file claims trust", async () => {
  await using c = await cluster(["alice"]);
  // Public, so that carol can find bob's endpoint without trust.
  const b = await c.start("bob", { public: true });
  const carol = await c.start("carol");
  await using server = new DigestServer();
  await b.client.request("expose", { port: 8080, to: String(server.port) });
  await assert.rejects(() => carol.client.request("dial", { addr: b.node.address, port: 8080 }), {
    code: "unauthorized",
    detail: "not_trusted",
  });
  // carol forges trust in bob locally: her daemon then sends the SYN, and bob refuses it.
  await c.stop(carol);
  const bobKey = (await b.client.request("info")).public_key as string;
  await Deno.writeTextFile(
    `${c.root}/carol/trust.json`,
    encodeTrustFile([{
      nodeId: b.node.nodeId,
      state: "trusted",
      publicKey: bobKey,
      sinceMs: Date.now(),
      origin: "approved",
      lastRxTs: 0,
      lastTxTs: 0,
    }]),
  );
  const forged = await c.start("carol");
  assert.ok((await forged.client.request("trust_list")).trusted.some((t) => t.node_id === b.node.nodeId));
  await assert.rejects(() => forged.client.request("dial", { addr: b.node.address, port: 8080, timeout_ms: 10_000 }), {
    code: "unauthorized",
    detail: "not_trusted",
  });
  // The refusal came from bob: carol had a tunnel to him for the SYN.
  const peers = (await forged.client.request("info")).peer_list;
  assert.ok(peers.some((p) => p.node_id === b.node.nodeId));
  assert.equal(server.accepted, 0);
  assert.equal((await b.client.request("expose_list")).exposed[0].connections, 0);
});

Deno.test("a daemon that stops closes its exposed ports and their open connections", async () => {
  await using c = await cluster(["alice", "bob"]);
  const [a, b] = c.members;
  await using server = new DigestServer(true);
  await makeTrust(a, b);
  await b.client.request("expose", { port: 8080, to: String(server.port) });
  const stream = await a.client.dialStream({ addr: b.node.address, port: 8080 });
  const ending = outcome(stream);
  const writer = stream.writable.getWriter();
  await writer.write(enc.encode("held"));
  writer.releaseLock();
  await eventually(() => server.accepted === 1);
  await c.stop(b);
  assert.ok(["eof", "reset"].includes(await ending), "the stream ends");
  await eventually(() => server.accepted === 1 && server.open === 0);
});
