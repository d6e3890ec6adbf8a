import assert from "node:assert/strict";
import { PilotError } from "../../src/util/errors.ts";
import { B, net, settle } from "./stack_pair.ts";

const enc = new TextEncoder();

async function connected() {
  const n = net();
  const l = n.b.listen(1001);
  const client = await settle(n.clock, n.a.dial(B, 1001));
  const server = await settle(n.clock, l.accept());
  assert.ok(server !== null);
  return { n, client, server };
}

Deno.test("StreamConn: unread bytes close the window; reading returns them as credit", async () => {
  const { n, client, server } = await connected();
  const writing = client.write(new Uint8Array(3 * 1024 * 1024));
  await n.clock.runAsync({ deadline: n.clock.monotonic() + 10_000 });
  // The 2 MiB receive buffer fills (to within one window unit) and no further.
  assert.ok(server.bufferedBytes > 2 * 1024 * 1024 - 1152 && server.bufferedBytes <= 2 * 1024 * 1024);
  assert.equal(server.stats().recv_win, 0);
  const reading = (async () => {
    let total = 0;
    for (let c = await server.read(); c !== null && total < 3 * 1024 * 1024; c = await server.read()) {
      total += c.length;
      if (total === 3 * 1024 * 1024) break;
    }
    return total;
  })();
  const total = await settle(n.clock, reading);
  await settle(n.clock, writing);
  assert.equal(total, 3 * 1024 * 1024);
});

Deno.test("StreamConn: writing after closeWrite() fails with connection_failed; reading still works", async () => {
  const { n, client, server } = await connected();
  await settle(n.clock, client.closeWrite());
  await assert.rejects(client.write(enc.encode("x")), (e: PilotError) => e.code === "connection_failed");
  await settle(n.clock, server.write(enc.encode("still open")));
  assert.equal(new TextDecoder().decode((await settle(n.clock, client.read())) ?? undefined), "still open");
});

Deno.test("StreamConn: shutdownRead() discards buffered and later data without stalling the peer", async () => {
  const { n, client, server } = await connected();
  await settle(n.clock, client.write(new Uint8Array(100_000)));
  await n.clock.runAsync({ deadline: n.clock.monotonic() + 1000 });
  assert.ok(server.bufferedBytes > 0);
  server.shutdownRead();
  assert.equal(server.bufferedBytes, 0);
  await settle(n.clock, client.write(new Uint8Array(3 * 1024 * 1024)));
  await n.clock.runAsync({ deadline: n.clock.monotonic() + 5000 });
  assert.equal(server.bufferedBytes, 0);
  assert.equal(client.stats().unacked, 0);
});

Deno.test("StreamConn: abort() resets; the peer's pending read rejects with connection_failed reset", async () => {
  const { n, client, server } = await connected();
  const reading = server.read().then(() => null, (e) => e);
  client.abort();
  const err = await settle(n.clock, reading);
  assert.ok(err instanceof PilotError);
  assert.equal(err.code, "connection_failed");
  assert.equal(err.detail, "reset");
  assert.deepEqual(await client.closed, { kind: "aborted", rst: 5 });
});
