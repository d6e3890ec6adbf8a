// PilotClient against a stand-in daemon on a real Unix socket (the IpcServer framework with a few commands): a
// daemon without the `ping` command is pinged through its echo service instead, and daemon errors reach the caller
// as the PilotError subclasses of their codes.
import assert from "node:assert/strict";
import { connect, ConnectionFailedError, NotFoundError } from "../../mod.ts";
import { type IpcArgs, IpcServer } from "../../src/ipc/mod.ts";
import { Logger, MemorySink } from "../../src/log/logger.ts";
import {
  ConnectionFailedError as DaemonConnectionFailed,
  NotFoundError as DaemonNotFound,
} from "../../src/util/errors.ts";

const SELF = "0:0000.0000.0100";
const PEER = "0:0000.0000.0101";

/** A daemon that knows hello, dial (always refused) and resolve (never found), and records the dials. */
async function standIn(dir: string) {
  const dials: IpcArgs[] = [];
  const server = await IpcServer.start({
    address: `${dir}/standin.sock`,
    logger: new Logger({ sink: new MemorySink() }),
    handlers: {
      commands: {
        hello: () => Promise.resolve({ daemon_version: "old", proto: 1, node_id: 256, address: SELF }),
        dial: (args) => {
          dials.push(args);
          return Promise.reject(
            new DaemonConnectionFailed(`connection refused: ${PEER} port ${args.port}`, { detail: "refused" }),
          );
        },
        resolve: (args) => Promise.reject(new DaemonNotFound(`cannot find "${args.name}"`, { detail: "hostname" })),
      },
    },
  });
  return { server, dials, socket: `${dir}/standin.sock` };
}

Deno.test("ping() falls back to the echo service when the daemon has no ping command", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pilot-sdk-" });
  const d = await standIn(dir);
  try {
    await using sdk = await connect({ socket: d.socket, env: new Map([["HOME", dir]]) });
    assert.deepEqual([sdk.address, sdk.nodeId], [SELF, 256]);
    await assert.rejects(() => sdk.ping(PEER, { timeoutMs: 1_500 }), (err) => {
      assert.ok(err instanceof ConnectionFailedError);
      assert.equal(err.detail, "refused");
      return true;
    });
    assert.deepEqual(d.dials.map((a) => [a.addr, a.port, a.timeout_ms, a.nodelay]), [[PEER, 7, 1_500, true]]);
    await assert.rejects(() => sdk.resolve("nobody"), NotFoundError);
  } finally {
    await d.server.close();
    await Deno.remove(dir, { recursive: true });
  }
});
