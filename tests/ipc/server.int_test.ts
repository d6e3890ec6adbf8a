// The IPC server over a real Unix socket (PROTOCOL-BRIEF §8.1, §8.2): dispatch, responses in any order, error
// mapping, framing violations, client and request limits, socket file rules, ownership and close hooks.
import assert from "node:assert/strict";
import { encodeIpcFrame, MAX_IPC_FRAME_BYTES } from "../../src/wire/ipc_frame.ts";
import { concatBytes, utf8 } from "../../src/util/bytes.ts";
import { AlreadyExistsError, InvalidArgumentError, NotFoundError, NotRunningError } from "../../src/util/errors.ts";
import { Logger, MemorySink } from "../../src/log/logger.ts";
import { type IpcClientContext, IpcServer, type OwnedPort } from "../../src/ipc/mod.ts";
import { IpcClient } from "../../src/ipc/client.ts";
import { deferred, frameHeader, guard, jsonOf, noHandlers, RawConn, startServer } from "./support.ts";

const quietLogger = () => new Logger({ sink: new MemorySink() });

Deno.test("server answers requests in completion order, not arrival order", async () => {
  const gate = deferred();
  await using t = await startServer({
    commands: {
      slow: async () => {
        await gate.promise;
        return { which: "slow" };
      },
      fast: () => Promise.resolve({ which: "fast" }),
    },
  });
  const raw = await RawConn.unix(t.path);
  try {
    await raw.writeJson({ id: 1, cmd: "slow" });
    await raw.writeJson({ id: 2, cmd: "fast", x: 1 });
    assert.deepEqual(await raw.nextJson(), { which: "fast", id: 2, ok: true });
    gate.resolve();
    assert.deepEqual(await raw.nextJson(), { which: "slow", id: 1, ok: true });
  } finally {
    raw.close();
  }
});

Deno.test("handlers receive the request minus id and cmd, and the client context", async () => {
  let seen: { args: unknown; client: number } | null = null;
  await using t = await startServer({
    commands: {
      echo: (args, client) => {
        seen = { args, client: client.id };
        return Promise.resolve({ got: args.value });
      },
    },
  });
  await using c = await IpcClient.connect(t.path);
  assert.deepEqual(await c.call("echo", { value: [1, "a"] }), { got: [1, "a"] });
  assert.deepEqual(seen, { args: { value: [1, "a"] }, client: 1 });
});

Deno.test("a thrown PilotError reaches the client rebuilt with code, message, hint and detail", async () => {
  await using t = await startServer({
    commands: {
      fail: () => Promise.reject(new NotFoundError("connection 9 not found", { detail: "conn", hint: "list them" })),
    },
  });
  await using c = await IpcClient.connect(t.path);
  await assert.rejects(c.call("fail"), (e) => {
    assert.ok(e instanceof NotFoundError);
    assert.equal(e.code, "not_found");
    assert.equal(e.message, "connection 9 not found");
    assert.equal(e.hint, "list them");
    assert.equal(e.detail, "conn");
    return true;
  });
});

Deno.test("an unexpected exception becomes internal without a stack trace", async () => {
  await using t = await startServer({
    commands: { bug: () => Promise.reject(new TypeError("x is undefined")) },
  });
  await using c = await IpcClient.connect(t.path);
  await assert.rejects(c.call("bug"), (e) => {
    assert.ok(e instanceof Error && "code" in e);
    assert.equal(e.code, "internal");
    assert.equal(e.message, "ipc command failed: x is undefined");
    assert.doesNotMatch(e.message, /at /);
    return true;
  });
  assert.ok(t.log.lines.some((l) => l.includes("ipc command failed")));
});

Deno.test("unknown or missing cmd is invalid_argument detail unknown_cmd and the client stays connected", async () => {
  await using t = await startServer({ commands: { ping: () => Promise.resolve({}) } });
  const raw = await RawConn.unix(t.path);
  try {
    await raw.writeJson({ id: 5, cmd: "frobnicate" });
    assert.deepEqual(await raw.nextJson(), {
      id: 5,
      ok: false,
      error: { code: "invalid_argument", message: 'unknown command "frobnicate"', detail: "unknown_cmd" },
    });
    await raw.writeJson({ id: 6 });
    const missing = await raw.nextJson();
    assert.equal((missing.error as Record<string, unknown>).detail, "unknown_cmd");
    await raw.writeJson({ id: 7, cmd: "constructor" });
    assert.equal(((await raw.nextJson()).error as Record<string, unknown>).detail, "unknown_cmd");
    await raw.writeJson({ id: 8, cmd: "ping" });
    assert.deepEqual(await raw.nextJson(), { id: 8, ok: true });
  } finally {
    raw.close();
  }
});

/** Sends `bytes` and expects an error event with detail bad_frame, then the server closing the connection. */
async function expectViolation(path: string, bytes: Uint8Array): Promise<Record<string, unknown>> {
  const raw = await RawConn.unix(path);
  try {
    await raw.write(bytes);
    const frames = await raw.readToEnd();
    assert.equal(frames.length, 1, "exactly one frame, then the close");
    const ev = jsonOf(frames[0]);
    assert.equal(ev.event, "error");
    const error = ev.error as Record<string, unknown>;
    assert.equal(error.code, "invalid_argument");
    assert.equal(error.detail, "bad_frame");
    return error;
  } finally {
    raw.close();
  }
}

Deno.test("an oversize frame gets an error event, then the client is closed", async () => {
  await using t = await startServer(noHandlers);
  const error = await expectViolation(t.path, frameHeader(MAX_IPC_FRAME_BYTES + 1, 1));
  assert.equal(error.message, `invalid ipc frame: length ${MAX_IPC_FRAME_BYTES + 1} outside 1..${MAX_IPC_FRAME_BYTES}`);
  assert.equal(t.server.clientCount <= 1, true);
});

Deno.test("a 0-length frame gets an error event, then the client is closed", async () => {
  await using t = await startServer(noHandlers);
  await expectViolation(t.path, frameHeader(0));
});

Deno.test("garbage bytes get an error event, then the client is closed", async () => {
  await using t = await startServer(noHandlers);
  await expectViolation(t.path, utf8("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
});

Deno.test("an unknown frame kind, a short body, non-JSON, a bad id and a reused id are violations", async () => {
  const gate = deferred();
  await using t = await startServer({ commands: { hold: () => gate.promise.then(() => ({})) } });
  await expectViolation(t.path, concatBytes(frameHeader(3, 0x09), Uint8Array.of(1, 2)));
  await expectViolation(t.path, concatBytes(frameHeader(4, 0x02), Uint8Array.of(0, 0, 1)));
  await expectViolation(t.path, concatBytes(frameHeader(4, 0x01), utf8("{x}")));
  await expectViolation(t.path, concatBytes(frameHeader(3, 0x01), utf8("[]")));
  await expectViolation(t.path, encodeIpcFrame({ kind: "json", body: utf8(`{"id":0,"cmd":"hold"}`) }));
  await expectViolation(t.path, encodeIpcFrame({ kind: "json", body: utf8(`{"id":"1","cmd":"hold"}`) }));
  await expectViolation(t.path, encodeIpcFrame({ kind: "stream_data", id: 0, conn: 1, data: new Uint8Array(1) }));
  const twice = encodeIpcFrame({ kind: "json", body: utf8(`{"id":4,"cmd":"hold"}`) });
  await expectViolation(t.path, concatBytes(twice, twice));
  gate.resolve();
});

Deno.test("the 65th client gets an error event (connection_failed, limit) and is closed", async () => {
  const opened: IpcClientContext[] = [];
  const firstGone = deferred();
  await using t = await startServer({
    commands: {},
    clientOpened: (client) => {
      opened.push(client);
      if (opened.length === 1) client.onClose(() => firstGone.resolve());
    },
  });
  const clients: IpcClient[] = [];
  try {
    for (let i = 0; i < 64; i++) clients.push(await IpcClient.connect(t.path));
    assert.equal(t.server.clientCount, 64);
    await assert.rejects(IpcClient.connect(t.path), (e) => {
      assert.ok(e instanceof Error && "code" in e && "detail" in e);
      assert.equal(e.code, "connection_failed");
      assert.equal(e.detail, "limit");
      assert.equal(e.message, "too many ipc clients (limit 64)");
      return true;
    });
    await clients.shift()!.close();
    await guard(firstGone.promise, "the first client's close hook");
    clients.push(await IpcClient.connect(t.path));
    assert.equal(t.server.clientCount, 64);
  } finally {
    await Promise.all(clients.map((c) => c.close()));
  }
});

Deno.test("requests beyond the outstanding limit are refused with invalid_argument detail limit", async () => {
  const gate = deferred();
  await using t = await startServer({ commands: { hold: () => gate.promise.then(() => ({})) } }, {
    limits: { maxOutstanding: 3 },
  });
  const raw = await RawConn.unix(t.path);
  try {
    for (let id = 1; id <= 4; id++) await raw.writeJson({ id, cmd: "hold" });
    const refused = await raw.nextJson();
    assert.equal(refused.id, 4);
    assert.deepEqual(refused.error, {
      code: "invalid_argument",
      message: "too many outstanding requests (limit 3)",
      detail: "limit",
    });
    gate.resolve();
    const done = new Set<unknown>();
    for (let i = 0; i < 3; i++) done.add((await raw.nextJson()).id);
    assert.deepEqual([...done].sort(), [1, 2, 3]);
  } finally {
    raw.close();
  }
});

Deno.test("the socket is created 0600 and the process umask is restored", async () => {
  const before = Deno.umask(0o022);
  try {
    await using t = await startServer(noHandlers);
    const info = await Deno.lstat(t.path);
    assert.equal(info.isSocket, true);
    assert.equal(info.mode! & 0o777, 0o600);
    assert.equal(Deno.umask(0o022), 0o022);
  } finally {
    Deno.umask(before);
  }
});

Deno.test("close() removes the socket file", async () => {
  const t = await startServer(noHandlers);
  await t.server.close();
  await assert.rejects(Deno.lstat(t.path), Deno.errors.NotFound);
  await t[Symbol.asyncDispose]();
});

Deno.test("a stale socket file is removed and the server starts on it", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/ipc.sock`;
  try {
    // A socket file nobody listens on: link a live one under the path, then close it (closing unlinks the original).
    const listener = Deno.listen({ transport: "unix", path: `${dir}/other.sock` });
    await Deno.link(`${dir}/other.sock`, path);
    listener.close();
    assert.equal((await Deno.lstat(path)).isSocket, true);
    await using server = await IpcServer.start({
      address: path,
      handlers: { commands: { ping: () => Promise.resolve({ pong: true }) } },
      logger: quietLogger(),
    });
    await using c = await IpcClient.connect(path);
    assert.deepEqual(await c.call("ping"), { pong: true });
    assert.ok(server);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a second server on a live socket is refused with already_exists and the first keeps working", async () => {
  await using t = await startServer({ commands: { ping: () => Promise.resolve({}) } });
  await assert.rejects(
    IpcServer.start({ address: t.path, handlers: noHandlers, logger: quietLogger() }),
    (e) => {
      assert.ok(e instanceof AlreadyExistsError);
      assert.equal(e.message, `daemon is already running (socket ${t.path})`);
      assert.equal(e.detail, "daemon_running");
      return true;
    },
  );
  await using c = await IpcClient.connect(t.path);
  assert.deepEqual(await c.call("ping"), {});
});

Deno.test("a socket path over 100 bytes is refused with invalid_argument", async () => {
  const path = "/tmp/" + "p".repeat(96);
  await assert.rejects(
    IpcServer.start({ address: path, handlers: noHandlers, logger: quietLogger() }),
    InvalidArgumentError,
  );
});

Deno.test("a regular file at the socket path is neither removed nor used", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/ipc.sock`;
  try {
    await Deno.writeTextFile(path, "keep me");
    await assert.rejects(
      IpcServer.start({ address: path, handlers: noHandlers, logger: quietLogger() }),
      (e) => e instanceof NotRunningError && e.message === `socket ${path} is not a socket`,
    );
    assert.equal(await Deno.readTextFile(path), "keep me");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a handler table may not take over recv or recvfrom", async () => {
  await assert.rejects(
    IpcServer.start({
      address: "/tmp/never-created.sock",
      handlers: { commands: { recv: () => Promise.resolve({}) } },
      logger: quietLogger(),
    }),
    RangeError,
  );
});

Deno.test("close hooks see the connections and ports the client owned; other clients get not_found", async () => {
  const closed = deferred<{ conns: number[]; ports: readonly OwnedPort[] }>();
  await using t = await startServer({
    commands: {
      dial: (_args, client) => {
        client.ownConn(7);
        return Promise.resolve({ conn: 7 });
      },
      bind: (args, client) => {
        client.ownPort(args.proto as "stream" | "datagram", args.port as number);
        return Promise.resolve({ port: args.port });
      },
    },
    clientOpened: (client) => {
      client.onClose((c) => closed.resolve({ conns: [...c.conns], ports: c.ports }));
    },
  });
  const owner = await IpcClient.connect(t.path);
  await owner.call("dial");
  await owner.call("bind", { port: 5000, proto: "datagram" });
  await owner.call("bind", { port: 80, proto: "stream" });
  await using other = await IpcClient.connect(t.path);
  await assert.rejects(other.request("recv", { conn: 7, credit: 10 }), (e) => {
    assert.ok(e instanceof NotFoundError);
    assert.equal(e.detail, "conn");
    return true;
  });
  await assert.rejects(other.request("recvfrom", { port: 5000, credit: 1 }), NotFoundError);
  await owner.close();
  const seen = await guard(closed.promise, "the close hook");
  assert.deepEqual(seen.conns, [7]);
  assert.deepEqual(
    [...seen.ports].sort((a, b) => a.port - b.port),
    [{ proto: "stream", port: 80 }, { proto: "datagram", port: 5000 }],
  );
});

Deno.test("a command finishing after its client left cannot claim a connection", async () => {
  const gate = deferred();
  const outcome = deferred<string>();
  await using t = await startServer({
    commands: {
      dial: async (_args, client) => {
        await gate.promise;
        try {
          client.ownConn(1);
          outcome.resolve("owned");
        } catch (err) {
          outcome.resolve((err as Error & { detail?: string }).detail ?? "?");
        }
        return {};
      },
    },
    clientOpened: (client) => client.onClose(() => gate.resolve()),
  });
  const c = await IpcClient.connect(t.path);
  const pending = assert.rejects(c.call("dial"));
  await c.close();
  await pending;
  assert.equal(await guard(outcome.promise, "the handler"), "ipc_closed");
});

Deno.test("server close() closes clients, runs their hooks and fails their pending requests", async () => {
  const hook = deferred();
  const t = await startServer({
    commands: { hold: () => new Promise(() => {}) },
    clientOpened: (client) => client.onClose(() => hook.resolve()),
  });
  const c = await IpcClient.connect(t.path);
  const pending = assert.rejects(c.call("hold"), (e) => e instanceof NotRunningError);
  await t.server.close();
  await guard(hook.promise, "the close hook");
  await pending;
  const reason = await c.closed;
  assert.equal(reason.code, "not_running");
  assert.equal(t.server.clientCount, 0);
  await t[Symbol.asyncDispose]();
});

Deno.test("pushEvent() reaches the client's event listeners", async () => {
  await using t = await startServer({
    commands: {
      notify: (args, client) => {
        client.pushEvent("trust", { node_id: args.node });
        return Promise.resolve({});
      },
    },
  });
  await using c = await IpcClient.connect(t.path);
  const got = deferred<unknown>();
  const off = c.onEvent((ev) => got.resolve(ev));
  await c.call("notify", { node: 258 });
  assert.deepEqual(await guard(got.promise, "the event"), { node_id: 258, event: "trust" });
  off();
});

Deno.test("a result or error too large for one frame becomes an internal error response", async () => {
  const huge = "x".repeat(MAX_IPC_FRAME_BYTES);
  await using t = await startServer({
    commands: {
      big: () => Promise.resolve({ huge }),
      bigError: () => Promise.reject(new NotFoundError(huge)),
      ping: () => Promise.resolve({}),
    },
  });
  await using c = await IpcClient.connect(t.path);
  await assert.rejects(c.call("big"), (e) => e instanceof Error && "code" in e && e.code === "internal");
  await assert.rejects(c.call("bigError"), (e) => e instanceof Error && "code" in e && e.code === "internal");
  assert.deepEqual(await c.call("ping"), {});
});
