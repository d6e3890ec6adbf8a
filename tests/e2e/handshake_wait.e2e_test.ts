// `handshake --wait` against real daemons (CLI.md §3.5): while alice waits, bob sees her request in `pending` (with
// her hostname, although she is private) and rejects it with a reason; alice's command then fails `unauthorized`
// with that reason in its message. Then the other way round with --json (a receiver takes one request per peer per
// 60 s, PROTOCOL-BRIEF §6.2, so alice cannot simply ask again).
import assert from "node:assert/strict";
import { type Agent, pollFor, withTwoAgents } from "./_agents.ts";

const PENDING_WAIT_MS = 5_000;
const ALICE_ADDR = "0:0000.0000.0100";
const BOB_ADDR = "0:0000.0000.0101";

/** Waits for the request of node `from` (named `hostname`) in `agent`'s pending list, then rejects it. */
async function rejectRequest(agent: Agent, from: number, hostname: string, reason: string): Promise<void> {
  const row = await pollFor(PENDING_WAIT_MS, async () => {
    const out = await agent.run(["--json", "pending"]);
    const rows = JSON.parse(out.stdout).data.pending as { node_id: number; hostname: string }[];
    return rows.find((r) => r.node_id === from) ?? null;
  });
  assert.ok(row !== null, `${agent.name}'s pending lists the request of node ${from}`);
  assert.equal(row.hostname, hostname);
  const out = await agent.run(["reject", String(from), reason]);
  assert.equal(out.code, 0, out.stderr);
  assert.equal(out.stdout, `Rejected node ${from}\n`);
}

Deno.test("handshake --wait: a rejection is unauthorized and its message carries the peer's reason", async () => {
  await withTwoAgents(async ({ alice, bob }) => {
    assert.equal((await alice.run(["daemon", "start", "--hostname", "alice"])).code, 0);
    assert.equal((await bob.run(["daemon", "start", "--hostname", "bob"])).code, 0);

    const waiting = alice.run(["handshake", BOB_ADDR, "nightly report summaries", "--wait", "20s"]);
    await rejectRequest(bob, 256, "alice", "not today");
    const human = await waiting;
    assert.equal(human.code, 1, human.stderr);
    assert.equal(human.stdout, "");
    assert.equal(human.stderr, `error: handshake rejected by ${BOB_ADDR}: not today\n`);

    const waitingJson = bob.run(["--json", "handshake", ALICE_ADDR, "and you?", "--wait", "20s"]);
    await rejectRequest(alice, 257, "bob", "still no");
    const json = await waitingJson;
    assert.equal(json.code, 1);
    const envelope = JSON.parse(json.stderr);
    assert.deepEqual(Object.keys(envelope), ["status", "code", "message", "hint"]);
    assert.equal(envelope.code, "unauthorized");
    assert.equal(envelope.message, `handshake rejected by ${ALICE_ADDR}: still no`);

    assert.equal((await alice.run(["daemon", "stop"])).code, 0);
    assert.equal((await bob.run(["daemon", "stop"])).code, 0);
  });
});
