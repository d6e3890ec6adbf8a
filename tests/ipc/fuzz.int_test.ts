// Fuzzing the IPC server (PROTOCOL-BRIEF §8.2, §10): 2,000 random frames — well-formed and not — over real sockets.
// Whatever arrives, the server answers only well-formed frames, never lets an exception escape a client's read loop,
// and keeps serving new clients.
import assert from "node:assert/strict";
import { encodeIpcFrame, encodeIpcJson, MAX_IPC_FRAME_BYTES } from "../../src/wire/ipc_frame.ts";
import { concatBytes, utf8 } from "../../src/util/bytes.ts";
import type { IpcArgs, IpcClientContext } from "../../src/ipc/mod.ts";
import { IpcClient } from "../../src/ipc/client.ts";
import { type Prng, withSeed } from "../_support/prng.ts";
import { frameHeader, jsonOf, RawConn, startServer } from "./support.ts";

const FRAMES_TOTAL = 2_000;
const FRAMES_PER_CONNECTION_MAX = 30;

const intOf = (v: unknown): number | null =>
  typeof v === "number" && Number.isInteger(v) && v >= 0 && v <= 0xffff ? v : null;

const fuzzHandlers = {
  commands: {
    ping: () => Promise.resolve({ pong: true }),
    open: (args: IpcArgs, client: IpcClientContext) => {
      const conn = intOf(args.conn);
      if (conn !== null) client.ownConn(conn);
      return Promise.resolve({ conn });
    },
    bind: (args: IpcArgs, client: IpcClientContext) => {
      const port = intOf(args.port);
      if (port !== null) client.ownPort("datagram", port);
      return Promise.resolve({ port });
    },
    push: async (args: IpcArgs, client: IpcClientContext) => {
      const conn = intOf(args.conn) ?? 0;
      if (client.ownsConn(conn)) {
        // Not awaited: the client may never grant credit. A rejection (client gone) is expected.
        client.pushStreamData(conn, new Uint8Array(intOf(args.n) ?? 10)).catch(() => {});
      }
      client.pushDatagram({
        localPort: intOf(args.port) ?? 0,
        remote: { network: 0, node: 258 },
        remotePort: 1,
        data: new Uint8Array(3),
      });
      await Promise.resolve();
      return {};
    },
  },
  streamData: () => Promise.resolve(),
  datagram: () => Promise.resolve(),
};

const CMDS = ["ping", "open", "bind", "push", "recv", "recvfrom", "hello", "nope", "", "__proto__", "constructor"];

function randomValue(rng: Prng): unknown {
  // Integers beyond 2^53 make the whole body invalid (§4.1), so they are rare.
  if (rng.int(0, 49) === 0) return 2 ** 53 + rng.int(0, 10);
  switch (rng.int(0, 6)) {
    case 0:
      return rng.int(0, 4);
    case 1:
      return rng.int(-5, 70_000);
    case 2:
      return rng.float() * 1e6;
    case 3:
      return "x".repeat(rng.int(0, 10));
    case 4:
      return null;
    case 5:
      return [rng.int(0, 3), { a: rng.bool() }];
    default:
      return rng.bool();
  }
}

function randomRequest(rng: Prng): Uint8Array {
  const obj: Record<string, unknown> = {};
  // Mostly usable ids (a few collide with one still in flight), sometimes ones that cannot be answered.
  const idRoll = rng.int(0, 99);
  obj.id = idRoll < 90 ? rng.int(1, 1_000_000) : idRoll < 94 ? rng.int(1, 3) : rng.pick([0, -1, "7", 2 ** 32, 1.5]);
  if (rng.int(0, 9) > 0) obj.cmd = rng.pick(CMDS);
  for (const key of ["conn", "credit", "port", "n", "token", "version"]) if (rng.bool()) obj[key] = randomValue(rng);
  return encodeIpcJson(obj);
}

function randomFrame(rng: Prng): Uint8Array {
  // Mostly frames the server must answer, so most of the 2,000 are dispatched before a violation closes the client.
  const roll = rng.int(0, 99);
  if (roll < 45) return randomRequest(rng);
  if (roll < 52) {
    const body = rng.bool()
      ? rng.bytes(rng.int(0, 200))
      : utf8(`{"id":${rng.int(1, 9)},"cmd":"ping"${rng.pick(["", ",", "}", "]]"])}`);
    return concatBytes(frameHeader(1 + body.length, 0x01), body);
  }
  if (roll < 72) {
    const id = rng.int(0, 50) === 0 ? 0 : rng.int(1, 1_000_000);
    return encodeIpcFrame({ kind: "stream_data", id, conn: rng.int(0, 4), data: rng.bytes(rng.int(0, 2_000)) });
  }
  if (roll < 86) {
    const body = concatBytes(rng.bytes(14), rng.bytes(rng.int(0, 300)));
    if (rng.int(0, 9) > 0) body.set([0, rng.int(1, 255), 0, rng.int(0, 255), 0, rng.int(0, 3)], 0); // usable id, port 0..3
    if (rng.int(0, 4) === 0) body.set(rng.bytes(rng.int(0, 13)), 0);
    return concatBytes(frameHeader(1 + body.length, 0x03), body);
  }
  if (roll < 91) {
    const body = rng.bytes(rng.int(0, 64));
    return concatBytes(frameHeader(1 + body.length, rng.int(0, 255)), body);
  }
  if (roll < 94) return rng.bytes(rng.int(1, 64));
  if (roll < 97) return frameHeader(rng.bool() ? 0 : rng.int(MAX_IPC_FRAME_BYTES + 1, 0xffffffff));
  // Truncated: the header promises more than follows.
  const body = rng.bytes(rng.int(0, 40));
  return concatBytes(frameHeader(2 + body.length + rng.int(0, 1000), rng.int(1, 3)), body);
}

Deno.test("2,000 random frames never crash the server, and it keeps serving", async () => {
  await withSeed(async (rng) => {
    await using t = await startServer(fuzzHandlers);
    let sent = 0;
    let connections = 0;
    let replies = 0;
    while (sent < FRAMES_TOTAL) {
      const raw = await RawConn.unix(t.path);
      connections++;
      try {
        const n = Math.min(rng.int(1, FRAMES_PER_CONNECTION_MAX), FRAMES_TOTAL - sent);
        const frames: Uint8Array[] = [];
        for (let i = 0; i < n; i++) frames.push(randomFrame(rng));
        sent += n;
        try {
          await raw.write(concatBytes(...frames));
          await raw.conn.closeWrite();
        } catch {
          // the server may already have closed on a violation
        }
        // Every frame the server sends must decode (RawConn throws otherwise) and JSON ones must parse.
        for (const f of await raw.readToEnd()) {
          if (f.kind === "json") jsonOf(f);
          replies++;
        }
      } finally {
        raw.close();
      }
    }
    assert.ok(connections > 1);
    // The mix is mostly answerable, so a good share of the frames reach dispatch before a violation ends a client.
    assert.ok(replies > FRAMES_TOTAL / 10, `only ${replies} replies`);
    await using c = await IpcClient.connect(t.path);
    assert.deepEqual(await c.call("ping"), { pong: true });
    const escaped = t.log.lines.filter((l) => l.includes("ipc client read failed") || l.includes("ipc command failed"));
    assert.deepEqual(escaped, [], "no exception escaped the dispatcher");
  });
});
