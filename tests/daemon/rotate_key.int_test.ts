// After `rotate_key` a trusted peer that cached the old key takes the new one at once (CLI.md §3.3 rotate-key;
// PROTOCOL-BRIEF §3.2): the rotating node's BYE drops the peer's cached key, and a PILH whose binding is newer than
// the cached one makes the peer fetch the key again, so traffic resumes in both directions within seconds, with the
// trust (and the re-pinned key) intact.
import assert from "node:assert/strict";
import { loadIdentity } from "../../src/crypto/mod.ts";
import { toBase64 } from "../../src/util/bytes.ts";
import { cluster, makeTrust, type Member, readAll, writeAll } from "./_pair.ts";

/** Within "a few seconds": well under the 10 min key cache and the 60 s shared answer. */
const RESUME_MS = 5_000;

async function echo(from: Member, to: Member): Promise<string> {
  const s = await from.client.dialStream({ addr: to.node.address, port: 7, timeout_ms: RESUME_MS });
  await writeAll(s, new TextEncoder().encode("still me"));
  return new TextDecoder().decode(await readAll(s));
}

Deno.test("after rotate_key both directions work again at once and trust stays, re-pinned", async () => {
  await using c = await cluster(["alice", "bob"]);
  const [a, b] = c.members;
  await makeTrust(a, b);
  assert.equal(await echo(a, b), "still me");
  assert.equal(await echo(b, a), "still me");
  await a.client.request("rotate_key");
  const after = await loadIdentity(`${c.root}/alice/identity.json`);
  const started = performance.now();
  // alice's new tunnel starts the handshake: bob must accept a binding made by her new key.
  assert.equal((await a.client.request("ping", { addr: b.node.address, timeout_ms: RESUME_MS })).bytes, 0);
  assert.equal(await echo(a, b), "still me");
  assert.equal(await echo(b, a), "still me");
  assert.ok(performance.now() - started < RESUME_MS, "traffic resumed within a few seconds");
  const pin = (await b.client.request("trust_list")).trusted.find((r) => r.node_id === a.node.nodeId);
  assert.equal(pin?.public_key, toBase64(after.publicKey));
  assert.ok((await a.client.request("trust_list")).trusted.some((r) => r.node_id === b.node.nodeId));
  assert.equal(b.node.drops().hs_bad_binding ?? 0, 0);
});
