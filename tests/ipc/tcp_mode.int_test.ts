// The Windows fallback of PROTOCOL-BRIEF §8.1, forced on Linux: a 127.0.0.1 listener and a random 32-byte token in
// ipc.token (0600) that a client must present in `hello` before anything else.
import assert from "node:assert/strict";
import { AlreadyExistsError, NotRunningError } from "../../src/util/errors.ts";
import { Logger, MemorySink } from "../../src/log/logger.ts";
import { IpcClient } from "../../src/ipc/client.ts";
import { IpcServer } from "../../src/ipc/server.ts";
import { readIpcTokenFile, writeIpcTokenFile } from "../../src/ipc/token.ts";
import { ipcAddress } from "../../src/ipc/transport.ts";
import { RawConn, startServer } from "./support.ts";

const handlers = { commands: { ping: () => Promise.resolve({ pong: true }) } };

Deno.test("TCP mode: the token file names the port, is 0600, and a client with it gets in", async () => {
  await using t = await startServer(handlers, { transport: "tcp" });
  const tokenPath = `${t.dir}/ipc.token`;
  const file = await readIpcTokenFile(tokenPath);
  assert.ok(file);
  assert.equal(file.port, t.server.port);
  assert.equal((await Deno.stat(tokenPath)).mode! & 0o777, 0o600);
  await using c = await IpcClient.connect(ipcAddress(t.path, tokenPath, "tcp"));
  assert.equal(c.helloResult?.proto, 1);
  assert.deepEqual(await c.call("ping"), { pong: true });
});

/** Sends `requests` on a raw TCP connection; expects one unauthorized bad_token reply to `id`, then the close. */
async function expectRefused(port: number, requests: object[], id: number): Promise<string> {
  const raw = await RawConn.tcp(port);
  try {
    for (const r of requests) await raw.writeJson(r);
    const reply = await raw.nextJson();
    assert.equal(reply.id, id);
    assert.equal(reply.ok, false);
    const error = reply.error as Record<string, unknown>;
    assert.equal(error.code, "unauthorized");
    assert.equal(error.detail, "bad_token");
    assert.equal(await raw.nextFrame(), null, "then the daemon closes the connection");
    return error.message as string;
  } finally {
    raw.close();
  }
}

Deno.test("TCP mode: hello with a wrong token is refused and the client closed", async () => {
  await using t = await startServer(handlers, { transport: "tcp" });
  const port = t.server.port!;
  const wrong = "00".repeat(32);
  assert.equal(
    await expectRefused(port, [{ id: 1, cmd: "hello", version: "1", client: "x", token: wrong }, {
      id: 2,
      cmd: "ping",
    }], 1),
    "invalid ipc token",
  );
  await expectRefused(port, [{ id: 3, cmd: "hello", version: "1", client: "x" }], 3);
  await expectRefused(port, [{ id: 4, cmd: "hello", token: "not hex" }], 4);
});

Deno.test("TCP mode: any request before hello is refused and the client closed", async () => {
  await using t = await startServer(handlers, { transport: "tcp" });
  assert.equal(
    await expectRefused(t.server.port!, [{ id: 9, cmd: "ping" }], 9),
    "ipc hello with the daemon token required",
  );
});

Deno.test("TCP mode: a second daemon is refused while the first answers; close() removes the token file", async () => {
  const t = await startServer(handlers, { transport: "tcp" });
  const tokenPath = `${t.dir}/ipc.token`;
  const logger = new Logger({ sink: new MemorySink() });
  try {
    await assert.rejects(
      IpcServer.start({ address: { transport: "tcp", tokenPath }, handlers, logger }),
      (e) => e instanceof AlreadyExistsError && e.detail === "daemon_running",
    );
    await t.server.close();
    assert.equal(await readIpcTokenFile(tokenPath), null);
    await assert.rejects(IpcClient.connect({ transport: "tcp", tokenPath }), NotRunningError);
  } finally {
    await t[Symbol.asyncDispose]();
  }
});

Deno.test("TCP mode: a stale token file is replaced", async () => {
  const dir = await Deno.makeTempDir();
  const tokenPath = `${dir}/ipc.token`;
  try {
    // A port that was free a moment ago and a token nobody holds.
    const probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = (probe.addr as Deno.NetAddr).port;
    probe.close();
    await writeIpcTokenFile(tokenPath, { port, token: "ab".repeat(32) });
    await using server = await IpcServer.start({
      address: { transport: "tcp", tokenPath },
      handlers,
      logger: new Logger({ sink: new MemorySink() }),
    });
    const file = await readIpcTokenFile(tokenPath);
    assert.notEqual(file?.token, "ab".repeat(32));
    assert.equal(file?.port, server.port);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
