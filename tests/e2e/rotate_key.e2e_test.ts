// `rotate-key` between two trusted agents (CLI.md §3.3: "address, node ID, hostname, email and trust are unchanged;
// tunnels re-handshake"): right after alice rotates, pings work again in both directions within a few seconds,
// and both sides still list the trust, bob's pin now being alice's new key; traceroute's control pings get through.
import assert from "node:assert/strict";
import { type Agent, pollFor, withTwoAgents } from "./_agents.ts";

/** "Within a few seconds", far below the 10 min key cache that used to keep the old key. */
const RESUME_MS = 5_000;
const PENDING_WAIT_MS = 5_000;

async function ok(agent: Agent, args: string[]): Promise<Record<string, unknown>> {
  const out = await agent.run(["--json", ...args]);
  assert.equal(out.code, 0, `${agent.name} ${args.join(" ")}: ${out.stderr}`);
  return JSON.parse(out.stdout).data;
}

async function trustedIds(agent: Agent): Promise<number[]> {
  return ((await ok(agent, ["trust"])).trusted as { node_id: number }[]).map((t) => t.node_id);
}

Deno.test("after rotate-key on one of two trusted agents, pings work again at once and trust is intact", async () => {
  await withTwoAgents(async ({ alice, bob }) => {
    await ok(alice, ["daemon", "start", "--hostname", "alice"]);
    await ok(bob, ["daemon", "start", "--hostname", "bob"]);
    await ok(alice, ["handshake", "0:0000.0000.0101", "key rotation test"]);
    const listed = await pollFor(PENDING_WAIT_MS, async () => {
      const rows = (await ok(bob, ["pending"])).pending as { node_id: number }[];
      return rows.some((r) => r.node_id === 256) ? true : null;
    });
    assert.ok(listed, "bob's pending lists alice's request");
    await ok(bob, ["approve", "256"]);
    assert.equal((await ok(alice, ["ping", "bob", "--count", "1"])).received, 1);

    const rotated = await ok(alice, ["rotate-key"]);
    assert.equal(rotated.node_id, 256);
    assert.notEqual(rotated.public_key, rotated.previous_public_key);
    const started = performance.now();
    for (const [from, to] of [[alice, "bob"], [bob, "alice"]] as const) {
      const ping = await ok(from, ["ping", to, "--count", "1", "--timeout", `${RESUME_MS}ms`]);
      assert.equal(ping.received, 1, `${from.name} pings ${to} after the rotation`);
    }
    assert.ok(performance.now() - started < 2 * RESUME_MS, "both pings answered within a few seconds");
    // traceroute's samples are control pings (CLI.md §3.8), through the re-keyed tunnel too.
    const trace = await ok(alice, ["traceroute", "bob"]);
    assert.equal(trace.path, "direct");
    assert.deepEqual((trace.rtt_samples as { bytes: number }[]).map((s) => s.bytes), [8, 8, 8]);

    assert.deepEqual(await trustedIds(alice), [257]);
    assert.deepEqual(await trustedIds(bob), [256]);
    const lookup = await ok(bob, ["lookup", "alice"]);
    assert.equal(lookup.public_key, rotated.public_key, "the registry and bob agree on alice's new key");
    await ok(alice, ["daemon", "stop"]);
    await ok(bob, ["daemon", "stop"]);
  });
});
