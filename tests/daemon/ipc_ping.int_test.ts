// The IPC `ping` command (docs/PROTOCOL.md §9.3; PROTOCOL-BRIEF §7.10): one control ping with `payload_len` bytes to a
// trusted peer or to ourselves; an untrusted peer is refused locally, bad arguments are invalid_argument and an
// unknown hostname is not_found.
import assert from "node:assert/strict";
import { cluster, makeTrust } from "./_pair.ts";

async function failure(p: Promise<unknown>): Promise<{ code: string; detail?: string }> {
  return await p.then(() => ({ code: "ok" }), (e) => ({ code: e.code, detail: e.detail }));
}

Deno.test("ping answers the round trip and the echoed payload size for a trusted peer and for ourselves", async () => {
  await using c = await cluster(["alice", "bob"]);
  const [a, b] = c.members;
  await makeTrust(a, b);
  const remote = await a.client.request("ping", { addr: b.node.address, payload_len: 8, timeout_ms: 5_000 });
  assert.equal(remote.bytes, 8);
  assert.ok(remote.rtt_ms >= 0 && remote.rtt_ms < 5_000);
  assert.equal(Number(remote.rtt_ms.toFixed(3)), remote.rtt_ms, "microsecond resolution");
  const self = await a.client.request("ping", { addr: String(a.node.nodeId) });
  assert.equal(self.bytes, 0);
});

Deno.test("ping refuses an untrusted peer, bad arguments and unknown names", async () => {
  await using c = await cluster(["alice", "bob"]);
  const [a, b] = c.members;
  assert.deepEqual(await failure(a.client.request("ping", { addr: b.node.address })), {
    code: "unauthorized",
    detail: "not_trusted",
  });
  assert.equal(
    (await failure(a.client.request("ping", { addr: a.node.address, payload_len: 65 }))).code,
    "invalid_argument",
  );
  assert.equal(
    (await failure(a.client.request("ping", { addr: a.node.address, timeout_ms: 0 }))).code,
    "invalid_argument",
  );
  assert.equal((await failure(a.client.request("ping", { addr: "nobody-here" }))).code, "not_found");
});
