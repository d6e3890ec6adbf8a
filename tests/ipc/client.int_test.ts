// The IPC client over a real socket (PROTOCOL-BRIEF §8.1, CLI.md §2): the lstat ownership check and the standard
// not_running failures, `hello`, timeouts and cancellation, and the client-side cap on outstanding requests.
import assert from "node:assert/strict";
import { InvalidArgumentError, NotRunningError, TimeoutError } from "../../src/util/errors.ts";
import { IpcClient } from "../../src/ipc/client.ts";
import { IpcServer } from "../../src/ipc/server.ts";
import { Logger, MemorySink } from "../../src/log/logger.ts";
import {
  type IpcClientContext,
  MAX_OUTSTANDING_REQUESTS,
  NOT_OWNED_HINT,
  NOT_RUNNING_HINT,
} from "../../src/ipc/mod.ts";
import { deferred, guard, startServer } from "./support.ts";

async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "pilot-ipc-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function isNotRunning(message: string, hint: string) {
  return (e: unknown) => {
    assert.ok(e instanceof NotRunningError, String(e));
    assert.equal(e.code, "not_running");
    assert.equal(e.message, message);
    assert.equal(e.hint, hint);
    return true;
  };
}

Deno.test("connect() to a missing socket is not_running with the standard message and hint", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/pilot.sock`;
    await assert.rejects(
      IpcClient.connect(path),
      isNotRunning(`daemon is not running (socket ${path})`, "pilotctl daemon start"),
    );
  });
});

Deno.test("connect() to a socket nobody listens on is not_running", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/pilot.sock`;
    const listener = Deno.listen({ transport: "unix", path: `${dir}/live.sock` });
    await Deno.link(`${dir}/live.sock`, path);
    listener.close();
    await assert.rejects(
      IpcClient.connect(path),
      isNotRunning(`daemon is not running (socket ${path})`, NOT_RUNNING_HINT),
    );
  });
});

Deno.test({
  name: "connect() refuses a socket owned by another uid (root only: chown to 65534)",
  ignore: Deno.uid() !== 0,
  fn: async () => {
    await using t = await startServer({ commands: {} });
    await Deno.chown(t.path, 65534, 65534);
    const notOurs = isNotRunning(
      `socket ${t.path} is owned by uid 65534`,
      "use --socket or PILOT_SOCKET with a path you own",
    );
    await assert.rejects(IpcClient.connect(t.path), notOurs);
    // `daemon start` applies the same rule: another user's socket is neither used nor removed.
    await assert.rejects(
      IpcServer.start({ address: t.path, handlers: { commands: {} }, logger: new Logger({ sink: new MemorySink() }) }),
      notOurs,
    );
    assert.equal((await Deno.lstat(t.path)).uid, 65534);
  },
});

Deno.test("connect() refuses a regular file and a symlink to a live socket", async () => {
  await using t = await startServer({ commands: {} });
  const file = `${t.dir}/file.sock`;
  await Deno.writeTextFile(file, "");
  await assert.rejects(IpcClient.connect(file), isNotRunning(`socket ${file} is not a socket`, NOT_OWNED_HINT));
  const link = `${t.dir}/link.sock`;
  await Deno.symlink(t.path, link);
  await assert.rejects(IpcClient.connect(link), isNotRunning(`socket ${link} is not a socket`, NOT_OWNED_HINT));
});

Deno.test("connect() rejects a socket path over 100 bytes with invalid_argument", async () => {
  await assert.rejects(IpcClient.connect("/tmp/" + "x".repeat(100)), InvalidArgumentError);
});

Deno.test("connect() to a silent daemon times out as not_running", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/pilot.sock`;
    const listener = Deno.listen({ transport: "unix", path });
    const accepted = listener.accept();
    try {
      await assert.rejects(
        IpcClient.connect(path, { timeoutMs: 100 }),
        isNotRunning(`daemon is not running (socket ${path})`, NOT_RUNNING_HINT),
      );
    } finally {
      (await accepted).close();
      listener.close();
    }
  });
});

Deno.test("hello sends client and version, returns the daemon's fields with proto 1", async () => {
  let seen: IpcClientContext | null = null;
  await using t = await startServer({
    commands: {
      hello: (args, client) => {
        seen = client;
        assert.deepEqual(args, { version: "0.1.0", client: "pilotctl" });
        return Promise.resolve({ daemon_version: "0.1.0", node_id: 261, address: "0:0000.0000.0105" });
      },
    },
  });
  await using c = await IpcClient.connect(t.path, { client: "pilotctl", version: "0.1.0" });
  assert.deepEqual(c.helloResult, { daemon_version: "0.1.0", node_id: 261, address: "0:0000.0000.0105", proto: 1 });
  assert.deepEqual(seen!.hello, { client: "pilotctl", version: "0.1.0" });
});

Deno.test("request() times out with TimeoutError and the client stays usable", async () => {
  const gate = deferred();
  await using t = await startServer({
    commands: {
      hold: () => gate.promise.then(() => ({ late: true })),
      ping: () => Promise.resolve({ pong: 1 }),
    },
  });
  await using c = await IpcClient.connect(t.path);
  await assert.rejects(c.call("hold", {}, { timeoutMs: 20 }), (e) => {
    assert.ok(e instanceof TimeoutError);
    assert.equal(e.message, 'no response from the daemon to "hold" within 20 ms');
    return true;
  });
  gate.resolve();
  assert.deepEqual(await c.call("ping"), { pong: 1 });
});

Deno.test("request() is cancelled by its AbortSignal", async () => {
  await using t = await startServer({ commands: { hold: () => new Promise(() => {}) } });
  await using c = await IpcClient.connect(t.path);
  const ac = new AbortController();
  const pending = assert.rejects(c.call("hold", {}, { signal: ac.signal }), TimeoutError);
  ac.abort();
  await pending;
});

Deno.test("more than 1024 concurrent requests wait in the client instead of being refused", async () => {
  const full = deferred();
  let active = 0;
  let peak = 0;
  await using t = await startServer({
    commands: {
      work: async () => {
        active++;
        peak = Math.max(peak, active);
        if (active === MAX_OUTSTANDING_REQUESTS) full.resolve();
        await full.promise;
        active--;
        return {};
      },
    },
  });
  await using c = await IpcClient.connect(t.path);
  const all = Array.from({ length: MAX_OUTSTANDING_REQUESTS + 76 }, () => c.call("work"));
  await guard(Promise.all(all), "every request");
  assert.equal(peak, MAX_OUTSTANDING_REQUESTS);
});

Deno.test("typed request() carries arguments and results of the command map", async () => {
  await using t = await startServer({
    commands: { bind: (args) => Promise.resolve({ port: args.port === 0 ? 49152 : args.port }) },
  });
  await using c = await IpcClient.connect(t.path);
  const r = await c.request("bind", { port: 0, proto: "stream" });
  assert.equal(r.port, 49152);
});

Deno.test("requests after close() fail with connection_failed detail ipc_closed", async () => {
  await using t = await startServer({ commands: { ping: () => Promise.resolve({}) } });
  const c = await IpcClient.connect(t.path);
  await c.close();
  await assert.rejects(c.call("ping"), (e) => e instanceof Error && "detail" in e && e.detail === "ipc_closed");
  assert.equal((await c.closed).detail, "ipc_closed");
});
