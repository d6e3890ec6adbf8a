// Data flow over a real socket (PROTOCOL-BRIEF §8.2): daemon → client STREAM_DATA only within `recv` credit and
// DATAGRAM frames only within `recvfrom` credit; client → daemon data answered with `queued` once buffered; the
// client's stream and datagram helpers on top.
import assert from "node:assert/strict";
import type { IpcFrame } from "../../src/wire/ipc_frame.ts";
import { ConnectionFailedError, InvalidArgumentError, NotFoundError } from "../../src/util/errors.ts";
import { type IpcClientContext, type IpcDatagram, RECV_CREDIT_MAX_BYTES } from "../../src/ipc/mod.ts";
import { IpcClient } from "../../src/ipc/client.ts";
import { type Deferred, deferred, guard, jsonOf, RawConn, startServer } from "./support.ts";

const PEER = { network: 0, node: 0x105 };

/** Reads frames until the JSON response with `id`; returns the frames before it and the response. */
async function untilResponse(
  raw: RawConn,
  id: number,
): Promise<{ before: IpcFrame[]; response: Record<string, unknown> }> {
  const before: IpcFrame[] = [];
  for (let i = 0; i < 10_000; i++) {
    const f = await raw.nextFrame();
    if (f === null) throw new Error(`connection closed before response ${id}`);
    if (f.kind === "json") {
      const msg = jsonOf(f);
      if (msg.id === id) return { before, response: msg };
    }
    before.push(f);
  }
  throw new Error("too many frames");
}

function streamBytes(frames: IpcFrame[], conn: number): number {
  let n = 0;
  for (const f of frames) {
    if (f.kind !== "stream_data") continue;
    assert.equal(f.id, 0);
    assert.equal(f.conn, conn);
    n += f.data.length;
  }
  return n;
}

Deno.test("no STREAM_DATA leaves beyond recv credit, and delivery resumes when credit is granted", async () => {
  let pushed: Promise<void> | null = null;
  let delivered = false;
  await using t = await startServer({
    commands: {
      open: (_args, client) => {
        client.ownConn(5);
        return Promise.resolve({ conn: 5 });
      },
      push: (args, client) => {
        pushed = client.pushStreamData(5, new Uint8Array(args.n as number).fill(7)).then(() => {
          delivered = true;
        });
        return Promise.resolve({});
      },
      ping: () => Promise.resolve({}),
    },
  });
  const raw = await RawConn.unix(t.path);
  try {
    await raw.writeJson({ id: 1, cmd: "open" });
    await untilResponse(raw, 1);
    await raw.writeJson({ id: 2, cmd: "push", n: 10_000 });
    await raw.writeJson({ id: 3, cmd: "ping" });
    const idle = await untilResponse(raw, 3);
    assert.equal(streamBytes(idle.before, 5), 0, "no credit, no data");

    await raw.writeJson({ id: 4, cmd: "recv", conn: 5, credit: 4_000 });
    await raw.writeJson({ id: 5, cmd: "ping" });
    const first = await untilResponse(raw, 5);
    assert.equal(streamBytes(first.before, 5), 4_000, "exactly the credit");
    assert.equal(delivered, false);

    await raw.writeJson({ id: 6, cmd: "recv", conn: 5, credit: 100_000 });
    await raw.writeJson({ id: 7, cmd: "ping" });
    const rest = await untilResponse(raw, 7);
    assert.equal(streamBytes(rest.before, 5), 6_000, "the rest once credit exists");
    await guard(pushed!, "the push to complete");
    assert.equal(delivered, true);
  } finally {
    raw.close();
  }
});

Deno.test("recv checks its arguments: credit over 16 MiB, negative or missing, and unknown conns", async () => {
  await using t = await startServer({
    commands: {
      open: (_args, client) => {
        client.ownConn(1);
        return Promise.resolve({});
      },
    },
  });
  await using c = await IpcClient.connect(t.path);
  await c.call("open");
  await assert.rejects(c.request("recv", { conn: 1, credit: RECV_CREDIT_MAX_BYTES + 1 }), (e) => {
    assert.ok(e instanceof InvalidArgumentError);
    assert.equal(e.detail, "too_large");
    return true;
  });
  await assert.rejects(c.request("recv", { conn: 1, credit: -1 }), InvalidArgumentError);
  await assert.rejects(c.call("recv", { conn: 1 }), InvalidArgumentError);
  await assert.rejects(c.request("recv", { conn: 2, credit: 1 }), NotFoundError);
  assert.deepEqual(await c.request("recv", { conn: 1, credit: RECV_CREDIT_MAX_BYTES }), {});
});

Deno.test("send is answered with queued only once the daemon buffered it, in order per connection", async () => {
  const gates: Deferred<void>[] = [deferred(), deferred(), deferred()];
  const calls: Array<[number, number]> = [];
  await using t = await startServer({
    commands: {
      open: (args, client) => {
        client.ownConn(args.conn as number);
        return Promise.resolve({});
      },
      ping: () => Promise.resolve({}),
    },
    streamData: (_client, conn, data) => {
      calls.push([conn, data.length]);
      return conn === 6 ? Promise.resolve() : gates[calls.filter(([c]) => c === 5).length - 1].promise;
    },
  });
  await using c = await IpcClient.connect(t.path);
  await c.call("open", { conn: 5 });
  await c.call("open", { conn: 6 });
  let firstDone = false;
  const s1 = c.sendStreamData(5, new Uint8Array(100)).then((q) => {
    firstDone = true;
    return q;
  });
  const s2 = c.sendStreamData(5, new Uint8Array(50));
  assert.equal(await c.sendStreamData(6, new Uint8Array(7)), 7, "another connection is not held up");
  await c.call("ping");
  assert.deepEqual(calls, [[5, 100], [6, 7]], "the second frame of conn 5 waits for the first");
  assert.equal(firstDone, false, "no queued before the daemon buffered the data");
  gates[0].resolve();
  assert.equal(await s1, 100);
  gates[1].resolve();
  assert.equal(await s2, 50);
  assert.deepEqual(calls, [[5, 100], [6, 7], [5, 50]]);
  await assert.rejects(
    c.sendStreamData(99, new Uint8Array(1)),
    (e) => e instanceof NotFoundError && e.detail === "conn",
  );
});

/** A daemon that echoes every stream back through the credit-controlled path. */
function echoDaemon(onOpen?: (client: IpcClientContext) => void) {
  let next = 100;
  return {
    commands: {
      dial: (_args: unknown, client: IpcClientContext) => {
        const conn = next++;
        client.ownConn(conn);
        onOpen?.(client);
        return Promise.resolve({ conn, local_port: 49152, remote: "0:0000.0000.0105", remote_port: 7 });
      },
      close: async (args: Readonly<Record<string, unknown>>, client: IpcClientContext) => {
        const conn = args.conn as number;
        if (args.how === "write") {
          await client.pushStreamEof(conn);
          await client.pushStreamClosed(conn, "closed");
        } else {
          client.disownConn(conn);
        }
        return {};
      },
    },
    streamData: (client: IpcClientContext, conn: number, data: Uint8Array) => client.pushStreamData(conn, data),
  };
}

Deno.test("IpcStream moves 3 MiB through a 64 KiB window both ways and ends with eof", async () => {
  await using t = await startServer(echoDaemon());
  await using c = await IpcClient.connect(t.path);
  const stream = await c.dialStream({ addr: "0:0000.0000.0105", port: 7 }, { windowBytes: 65_536 });
  assert.equal(stream.info?.remote_port, 7);
  const sent = new Uint8Array(3 * 1_048_576 + 123);
  for (let i = 0; i < sent.length; i++) sent[i] = (i * 31 + (i >> 10)) & 0xff;
  const writing = (async () => {
    const w = stream.writable.getWriter();
    for (let off = 0; off < sent.length; off += 200_000) await w.write(sent.subarray(off, off + 200_000));
    await w.close();
  })();
  const got = new Uint8Array(sent.length);
  let n = 0;
  for await (const chunk of stream.readable) {
    assert.ok(n + chunk.length <= got.length, "no more than was sent");
    got.set(chunk, n);
    n += chunk.length;
  }
  await guard(writing, "the writer");
  assert.equal(n, sent.length);
  assert.deepEqual(got, sent);
});

Deno.test("a closed event with reason reset fails the reader and the writer", async () => {
  let ctx: IpcClientContext | null = null;
  const daemon = echoDaemon((client) => ctx = client);
  await using t = await startServer({
    ...daemon,
    commands: {
      ...daemon.commands,
      reset: async () => {
        await ctx!.pushStreamClosed(100, "reset");
        return {};
      },
    },
  });
  await using c = await IpcClient.connect(t.path);
  const stream = await c.dialStream({ addr: "0:0000.0000.0105", port: 7 });
  assert.equal(stream.conn, 100);
  const reader = stream.readable.getReader();
  const read = reader.read();
  await c.call("reset");
  await assert.rejects(read, (e) => e instanceof ConnectionFailedError && e.detail === "reset");
  assert.equal(ctx!.ownsConn(100), false, "a closed connection is forgotten");
  const w = stream.writable.getWriter();
  await assert.rejects(w.write(new Uint8Array(1)), ConnectionFailedError);
});

Deno.test("DATAGRAM frames leave only within recvfrom credit", async () => {
  let ctx: IpcClientContext | null = null;
  await using t = await startServer({
    commands: {
      bind: (_args, client) => {
        ctx = client;
        client.ownPort("datagram", 9);
        return Promise.resolve({ port: 9 });
      },
      emit: (args) => {
        for (let i = 0; i < (args.n as number); i++) {
          ctx!.pushDatagram({ localPort: 9, remote: PEER, remotePort: 4000 + i, data: Uint8Array.of(i) });
        }
        return Promise.resolve({});
      },
      ping: () => Promise.resolve({}),
    },
  });
  const raw = await RawConn.unix(t.path);
  try {
    await raw.writeJson({ id: 1, cmd: "bind" });
    await raw.writeJson({ id: 2, cmd: "emit", n: 5 });
    await raw.writeJson({ id: 3, cmd: "ping" });
    const idle = await untilResponse(raw, 3);
    assert.equal(idle.before.filter((f) => f.kind === "datagram").length, 0);
    await raw.writeJson({ id: 4, cmd: "recvfrom", port: 9, credit: 2 });
    await raw.writeJson({ id: 5, cmd: "ping" });
    const two = (await untilResponse(raw, 5)).before.filter((f) => f.kind === "datagram");
    assert.deepEqual(two.map((f) => f.kind === "datagram" ? [f.id, f.localPort, f.remotePort, f.data[0]] : []), [
      [0, 9, 4000, 0],
      [0, 9, 4001, 1],
    ]);
  } finally {
    raw.close();
  }
});

Deno.test("openDatagrams() reads every datagram in order under a small window", async () => {
  let ctx: IpcClientContext | null = null;
  await using t = await startServer({
    commands: {
      bind: (_args, client) => {
        ctx = client;
        client.ownPort("datagram", 9);
        return Promise.resolve({ port: 9 });
      },
      emit: (args) => {
        for (let i = 0; i < (args.n as number); i++) {
          assert.ok(ctx!.pushDatagram({ localPort: 9, remote: PEER, remotePort: 1, data: Uint8Array.of(i) }));
        }
        return Promise.resolve({});
      },
    },
  });
  await using c = await IpcClient.connect(t.path);
  await c.call("bind");
  const reader = c.openDatagrams(9, { window: 4 }).getReader();
  await c.call("emit", { n: 40 });
  const got: number[] = [];
  while (got.length < 40) {
    const r = await guard(reader.read(), "a datagram");
    assert.equal(r.done, false);
    got.push(r.value!.data[0]);
  }
  assert.deepEqual(got, Array.from({ length: 40 }, (_, i) => i));
  await reader.cancel();
});

Deno.test("sendto hands the datagram to the daemon and answers queued; unbound local ports are not_found", async () => {
  const received: IpcDatagram[] = [];
  await using t = await startServer({
    commands: {},
    datagram: (_client, dg) => {
      received.push({ ...dg, data: dg.data.slice() });
      return Promise.resolve();
    },
  });
  await using c = await IpcClient.connect(t.path);
  assert.equal(await c.sendto({ remote: PEER, remotePort: 1001, data: Uint8Array.of(1, 2, 3) }), 3);
  assert.deepEqual(received, [{ localPort: 0, remote: PEER, remotePort: 1001, data: Uint8Array.of(1, 2, 3) }]);
  await assert.rejects(
    c.sendto({ localPort: 77, remote: PEER, remotePort: 1, data: new Uint8Array(1) }),
    (e) => e instanceof NotFoundError && e.detail === "port",
  );
});

Deno.test("data frames without a daemon handler are unknown commands", async () => {
  await using t = await startServer({
    commands: {
      open: (_args, client) => {
        client.ownConn(1);
        return Promise.resolve({});
      },
    },
  });
  await using c = await IpcClient.connect(t.path);
  await c.call("open");
  await assert.rejects(
    c.sendStreamData(1, new Uint8Array(1)),
    (e) => e instanceof InvalidArgumentError && e.detail === "unknown_cmd",
  );
  await assert.rejects(c.sendto({ remote: PEER, remotePort: 1, data: new Uint8Array(1) }), InvalidArgumentError);
});

Deno.test("sendStreamData() copies the bytes at once, and a request over 1 MiB is invalid_argument", async () => {
  const received: number[] = [];
  await using t = await startServer({
    commands: {
      open: (_args, client) => {
        client.ownConn(1);
        return Promise.resolve({});
      },
    },
    streamData: (_client, _conn, data) => {
      received.push(data[0]);
      return Promise.resolve();
    },
  });
  await using c = await IpcClient.connect(t.path);
  await c.call("open");
  const buf = Uint8Array.of(1);
  const sent = c.sendStreamData(1, buf);
  buf[0] = 2;
  assert.equal(await sent, 1);
  assert.deepEqual(received, [1]);
  await assert.rejects(
    c.sendStreamData(1, new Uint8Array(2 * 1_048_576)),
    (e) => e instanceof InvalidArgumentError && e.detail === "too_large",
  );
  await assert.rejects(
    c.call("open", { blob: "x".repeat(1_048_576) }),
    (e) => e instanceof InvalidArgumentError && e.detail === "too_large",
  );
});
