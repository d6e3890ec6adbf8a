// 10,000 random frames against a live registry (PROTOCOL-BRIEF §4.1, §10): random bytes, random JSON, mutated
// signed requests, bad lengths and truncated frames. Every well-framed input gets exactly one reply, in order; no
// reply is `internal`; the server keeps serving. The seed is printed on failure.
import assert from "node:assert/strict";
import { encodeLengthPrefixed } from "../../src/wire/mod.ts";
import { REQUEST_TYPES } from "../../src/registry/protocol.ts";
import { RawConn, registeredClient, startTestRegistry } from "./int_helpers.ts";

const TOTAL_FRAMES = 10_000;
const BAD_LENGTH_CONNS = 100;
const BATCH = 250;

class Rng {
  #s: number;
  constructor(seed: number) {
    this.#s = seed >>> 0 || 1;
  }
  next(): number {
    let x = this.#s;
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    this.#s = x >>> 0;
    return this.#s / 0x1_0000_0000;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)];
  }
  bytes(n: number): Uint8Array {
    return Uint8Array.from({ length: n }, () => this.int(256));
  }
}

const FIELDS = [
  "type",
  "id",
  "node_id",
  "ts",
  "nonce",
  "sig",
  "target",
  "hostname",
  "tags",
  "public",
  "name",
  "join_rule",
  "token",
  "network_id",
  "to",
  "message",
  "ack",
  "max",
  "peer",
  "public_key",
  "challenge",
  "listen_port",
  "lan_addrs",
  "endpoint",
  "cursor",
  "limit",
  "invitee",
  "proto",
  "__proto__",
  "constructor",
];

function randomValue(r: Rng, depth: number): unknown {
  switch (r.int(depth > 18 ? 6 : 9)) {
    case 0:
      return null;
    case 1:
      return r.next() < 0.5;
    case 2:
      return r.pick([0, -1, 1, 0x100, 65535, 2 ** 32, 2 ** 53 - 1, -(2 ** 53 - 1), 1.5, 1e300]);
    case 3:
      return r.pick(["", "a", "0:0000.0000.0100", "x".repeat(300), "\u0000", "é", "AAAA", "#tag", "1.2.3.4:5"]);
    case 4:
      return r.int(1_000_000);
    case 5:
      return String.fromCharCode(...r.bytes(r.int(20)));
    case 6:
      return Array.from({ length: r.int(5) }, () => randomValue(r, depth + 1));
    default: {
      const o: Record<string, unknown> = {};
      for (let i = r.int(6); i > 0; i--) o[r.pick(FIELDS)] = randomValue(r, depth + 1);
      return o;
    }
  }
}

type Signer = (type: string, fields: Record<string, unknown>) => Record<string, unknown>;

function randomBody(r: Rng, signed: Record<string, unknown>[], sign: Signer): Uint8Array {
  const enc = new TextEncoder();
  switch (r.int(8)) {
    case 0:
      return r.bytes(1 + r.int(200));
    case 1: {
      // Nesting around the depth limit.
      const d = 10 + r.int(12);
      return enc.encode(`{"type":"hello","x":${"[".repeat(d)}${"]".repeat(d)}}`);
    }
    case 2: {
      const base = { ...r.pick(signed) };
      const key = r.pick(FIELDS);
      base[key] = randomValue(r, 0);
      return enc.encode(JSON.stringify(base));
    }
    case 3:
      return enc.encode(
        `{"type":"${r.pick(REQUEST_TYPES)}","node_id":${r.pick(["1e400", "9007199254740993", "-0", "0x10"])}}`,
      );
    case 4:
    case 5: {
      // Validly signed requests with random arguments reach the handlers themselves.
      const fields: Record<string, unknown> = {};
      for (let i = r.int(5); i > 0; i--) fields[r.pick(FIELDS)] = randomValue(r, 8);
      const type = r.pick(REQUEST_TYPES.filter((t) => t !== "deregister" && t !== "rotate_key"));
      return enc.encode(JSON.stringify(sign(type, fields)));
    }
    default: {
      const o = randomValue(r, 10) as Record<string, unknown>;
      const obj = typeof o === "object" && o !== null && !Array.isArray(o) ? o : {};
      if (r.next() < 0.8) obj.type = r.pick(REQUEST_TYPES);
      return enc.encode(JSON.stringify(obj) ?? "{}");
    }
  }
}

Deno.test("10,000 random frames do not crash the registry", async () => {
  const seed = Date.now() >>> 0;
  const r = new Rng(seed);
  try {
    await using reg = await startTestRegistry();
    const a = await registeredClient(reg, { hostname: "fuzz", public: true });
    await using _a = a.client;
    const signed = REQUEST_TYPES.filter((t) => !["hello", "register_begin", "register"].includes(t))
      .map((t) => a.client.signRequest(t, { target: a.nodeId, peer: a.nodeId, tags: ["x"], hostname: "fuzz" }));

    const b = await registeredClient(reg, {});
    await using _b = b.client;
    const sign: Signer = (type, fields) => b.client.signRequest(type, fields);
    let sent = 0;
    const raw = await RawConn.open(reg);
    try {
      while (sent < TOTAL_FRAMES - 2 * BAD_LENGTH_CONNS) {
        const n = Math.min(BATCH, TOTAL_FRAMES - 2 * BAD_LENGTH_CONNS - sent);
        const frames = Array.from({ length: n }, () => encodeLengthPrefixed(randomBody(r, signed, sign)));
        const all = new Uint8Array(frames.reduce((s, f) => s + f.length, 0));
        let off = 0;
        for (const f of frames) {
          all.set(f, off);
          off += f.length;
        }
        await raw.write(all);
        for (let i = 0; i < n; i++) {
          const reply = await raw.next();
          assert.ok(reply !== null, "the connection stayed open for well-framed input");
          const type = String(reply.type);
          assert.ok(type === "error" || type.endsWith("_ok"), `unexpected reply ${JSON.stringify(reply)}`);
          assert.notEqual(reply.code, "internal", `internal error: ${JSON.stringify(reply)}`);
        }
        sent += n;
      }
    } finally {
      raw.close();
    }

    for (let i = 0; i < BAD_LENGTH_CONNS; i++) {
      const c = await RawConn.open(reg);
      try {
        const header = new Uint8Array(4);
        new DataView(header.buffer).setUint32(0, r.next() < 0.5 ? 0 : 1_048_577 + r.int(0x7fffffff));
        await c.write(header);
        assert.equal((await c.next())?.code, "frame_too_large");
        sent++;
      } finally {
        c.close();
      }
      const t = await RawConn.open(reg);
      // A truncated frame, then the client goes away mid-frame.
      await t.write(encodeLengthPrefixed(new TextEncoder().encode('{"type":"hello","proto":1}')).subarray(0, 10));
      t.close();
      sent++;
    }
    assert.equal(sent, TOTAL_FRAMES);

    assert.equal((await a.client.hello()).proto, 1);
    assert.equal((await a.client.resolveHostname("fuzz")).node_id, a.nodeId);
    const internal = REQUEST_TYPES.map((t) => reg.metrics.requests(t, "internal")).reduce((x, y) => x + y, 0);
    assert.equal(internal, 0);
  } catch (err) {
    console.error(`fuzz seed ${seed}`);
    throw err;
  }
});
