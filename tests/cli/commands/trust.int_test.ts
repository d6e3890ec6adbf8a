// The trust commands (CLI.md §3.5, §4): handshake, pending, approve, reject, trust and untrust, with the exact
// lines of the two-agent example and the fixed failure of a bad node id.
import assert from "node:assert/strict";
import { NotFoundError } from "../../../src/util/errors.ts";
import { BOB_ADDR, dataOf, errorEnvelope, fakeDaemon, SELF_ADDR } from "./_daemon.ts";

const ALICE_ADDR = "0:0000.0000.0100";
const RECEIVED_MS = Date.UTC(2025, 5, 1, 12, 0, 1, 123);

Deno.test("handshake prints `Handshake request sent to …` and sends the justification", async () => {
  await using d = await fakeDaemon({ trust_request: { node_id: 257, status: "sent" } });
  const out = await d.run(["handshake", BOB_ADDR, "nightly report summaries"]);
  assert.equal(out.code, 0, out.stderr);
  assert.equal(out.stdout, "Handshake request sent to 0:0000.0000.0101\n");
  assert.deepEqual(d.argsOf("trust_request"), [{ node: BOB_ADDR, justification: "nightly report summaries" }]);
  assert.deepEqual(dataOf(await d.run(["--json", "handshake", "257"])), {
    node_id: 257,
    address: BOB_ADDR,
    status: "sent",
  });
});

Deno.test("handshake reports a mutual request and an existing trust", async () => {
  const statuses = ["trusted", "already_trusted"];
  await using d = await fakeDaemon({
    trust_request: () => Promise.resolve({ node_id: 257, status: statuses.shift() }),
  });
  assert.equal((await d.run(["handshake", BOB_ADDR])).stdout, "Trusted 0:0000.0000.0101 (mutual request)\n");
  assert.equal((await d.run(["handshake", BOB_ADDR])).stdout, "Already trusted: 0:0000.0000.0101\n");
});

Deno.test("handshake refuses yourself and a justification over 1024 bytes", async () => {
  await using d = await fakeDaemon({ trust_request: { status: "sent" } });
  const self = await d.run(["--json", "handshake", SELF_ADDR]);
  assert.equal(self.code, 1);
  assert.equal(errorEnvelope(self).message, "cannot handshake with yourself");
  const long = await d.run(["--json", "handshake", BOB_ADDR, "é".repeat(513)]);
  assert.equal(long.code, 1);
  assert.equal(errorEnvelope(long).message, "justification too long (max 1024 bytes)");
  assert.deepEqual(d.argsOf("trust_request"), []);
});

Deno.test("handshake --wait ends trusted once the peer approves", async () => {
  let polls = 0;
  await using d = await fakeDaemon({
    trust_request: { node_id: 257, status: "sent" },
    trust_pending: () => Promise.resolve({ incoming: [], outgoing: ++polls < 2 ? [{ node_id: 257 }] : [] }),
    trust_list: { trusted: [{ node_id: 257, origin: "accepted" }] },
  });
  const out = await d.run(["--json", "handshake", BOB_ADDR, "--wait", "5s"]);
  assert.equal(out.code, 0, out.stderr);
  assert.deepEqual(dataOf(out), { node_id: 257, address: BOB_ADDR, status: "trusted" });
});

Deno.test("handshake --wait: a rejection is unauthorized, no answer is timeout", async () => {
  await using rejected = await fakeDaemon({
    trust_request: { node_id: 257, status: "sent" },
    trust_pending: { incoming: [], outgoing: [] },
    trust_list: { trusted: [] },
  });
  const no = await rejected.run(["--json", "handshake", BOB_ADDR, "--wait", "5s"]);
  assert.equal(no.code, 1);
  assert.equal(errorEnvelope(no).code, "unauthorized");
  await using silent = await fakeDaemon({
    trust_request: { node_id: 257, status: "sent" },
    trust_pending: { incoming: [], outgoing: [{ node_id: 257 }] },
  });
  const late = await silent.run(["--json", "handshake", BOB_ADDR, "--wait", "300ms"]);
  assert.equal(late.code, 1);
  assert.deepEqual(errorEnvelope(late), {
    status: "error",
    code: "timeout",
    message: "no response from 0:0000.0000.0101 within 300ms",
    hint: "retry with a longer --wait",
  });
});

Deno.test("handshake --wait: the rejection carries the peer's reason", async () => {
  const rejection = {
    node_id: 257,
    address: BOB_ADDR,
    reason: "not today",
    rejected_at: "2025-06-01T12:00:03.000Z",
    rejected_at_ms: Date.UTC(2025, 5, 1, 12, 0, 3),
  };
  await using d = await fakeDaemon({
    trust_request: { node_id: 257, status: "sent" },
    trust_pending: { incoming: [], outgoing: [], rejected: [rejection] },
    trust_list: { trusted: [] },
  });
  const out = await d.run(["--json", "handshake", BOB_ADDR, "--wait", "5s"]);
  assert.equal(out.code, 1);
  const err = errorEnvelope(out);
  assert.equal(err.code, "unauthorized");
  assert.equal(err.message, "handshake rejected by 0:0000.0000.0101: not today");
  const human = await d.run(["handshake", BOB_ADDR, "--wait", "5s"]);
  assert.match(human.stderr, /^error: handshake rejected by 0:0000\.0000\.0101: not today\n/);
});

Deno.test("pending prints the table of the two-agent example and the outgoing ids", async () => {
  await using d = await fakeDaemon({
    trust_pending: {
      incoming: [{
        node_id: 256,
        address: ALICE_ADDR,
        hostname: "alice",
        justification: "nightly report summaries",
        received_at_ms: RECEIVED_MS,
      }],
      outgoing: [{ node_id: 258, sent_at_ms: RECEIVED_MS }, { node_id: 265, sent_at_ms: RECEIVED_MS }],
    },
  });
  const out = await d.run(["pending"]);
  assert.equal(out.code, 0, out.stderr);
  assert.equal(
    out.stdout,
    "NODE ID  ADDRESS           HOSTNAME  RECEIVED             JUSTIFICATION\n" +
      "256      0:0000.0000.0100  alice     2025-06-01 12:00:01  nightly report summaries\n" +
      "Outgoing: 258, 265\n",
  );
  assert.deepEqual(dataOf(await d.run(["--json", "pending"])), {
    pending: [{
      node_id: 256,
      address: ALICE_ADDR,
      hostname: "alice",
      justification: "nightly report summaries",
      received_at: "2025-06-01T12:00:01.123Z",
    }],
    outgoing: [
      { node_id: 258, address: "0:0000.0000.0102", sent_at: "2025-06-01T12:00:01.123Z" },
      { node_id: 265, address: "0:0000.0000.0109", sent_at: "2025-06-01T12:00:01.123Z" },
    ],
    total: 1,
  });
});

Deno.test("pending with nothing prints `No pending requests`", async () => {
  await using d = await fakeDaemon({ trust_pending: { incoming: [], outgoing: [] } });
  assert.equal((await d.run(["pending"])).stdout, "No pending requests\n");
  assert.deepEqual(dataOf(await d.run(["pending", "--json"])), { pending: [], outgoing: [], total: 0 });
});

Deno.test("approve prints `Approved node 256 (0:0000.0000.0100)` and reports queued", async () => {
  await using d = await fakeDaemon({ trust_approve: { node_id: 256, status: "approved", queued: true } });
  const out = await d.run(["approve", "256"]);
  assert.equal(out.code, 0, out.stderr);
  assert.equal(out.stdout, "Approved node 256 (0:0000.0000.0100)\n");
  assert.deepEqual(d.argsOf("trust_approve"), [{ node: ALICE_ADDR }]);
  assert.deepEqual(dataOf(await d.run(["--json", "approve", "256"])), {
    node_id: 256,
    address: ALICE_ADDR,
    status: "approved",
    queued: true,
  });
});

Deno.test("approve abc is invalid_argument with the pending hint (exit 1), human and json", async () => {
  await using d = await fakeDaemon({ trust_approve: {} });
  const out = await d.run(["approve", "abc"]);
  assert.equal(out.code, 1);
  assert.equal(out.stdout, "");
  assert.equal(out.stderr, 'error: invalid node id "abc"\nhint:  use a NODE ID from: pilotctl pending\n');
  for (const cmd of ["approve", "reject", "untrust"]) {
    const json = await d.run(["--json", cmd, "0"]);
    assert.deepEqual(errorEnvelope(json), {
      status: "error",
      code: "invalid_argument",
      message: 'invalid node id "0"',
      hint: "use a NODE ID from: pilotctl pending",
    });
  }
  assert.deepEqual(d.calls, []);
  assert.equal((await d.run(["approve"])).code, 2);
});

Deno.test("approve or reject without a request from that node is not_found with hint pilotctl pending", async () => {
  const missing = () => Promise.reject(new NotFoundError("no pending request"));
  await using d = await fakeDaemon({ trust_approve: missing, trust_reject: missing });
  for (const cmd of ["approve", "reject"]) {
    const out = await d.run(["--json", cmd, "300"]);
    assert.equal(out.code, 1);
    assert.deepEqual(errorEnvelope(out), {
      status: "error",
      code: "not_found",
      message: "no pending request from node 300",
      hint: "pilotctl pending",
    });
  }
});

Deno.test("reject prints `Rejected node 256` and sends the reason (at most 256 bytes)", async () => {
  await using d = await fakeDaemon({ trust_reject: { node_id: 256, status: "rejected" } });
  const out = await d.run(["reject", "256", "not now"]);
  assert.equal(out.code, 0, out.stderr);
  assert.equal(out.stdout, "Rejected node 256\n");
  assert.deepEqual(d.argsOf("trust_reject"), [{ node: ALICE_ADDR, reason: "not now" }]);
  assert.deepEqual(dataOf(await d.run(["--json", "reject", "256"])), { node_id: 256, status: "rejected" });
  const long = await d.run(["--json", "reject", "256", "x".repeat(257)]);
  assert.equal(errorEnvelope(long).message, "reason too long (max 256 bytes)");
});

Deno.test("trust prints the NODE ID/ADDRESS/HOSTNAME/ORIGIN/SINCE table", async () => {
  await using d = await fakeDaemon({
    trust_list: {
      trusted: [
        { node_id: 256, address: ALICE_ADDR, hostname: "alice", origin: "approved", approved_at_ms: RECEIVED_MS },
        { node_id: 300, origin: "auto", network: 7, approved_at: "2025-06-02T08:30:00.000Z" },
      ],
    },
  });
  const out = await d.run(["trust"]);
  assert.equal(out.code, 0, out.stderr);
  assert.equal(
    out.stdout,
    "NODE ID  ADDRESS           HOSTNAME  ORIGIN    SINCE\n" +
      "256      0:0000.0000.0100  alice     approved  2025-06-01 12:00:01\n" +
      "300      0:0000.0000.012C  -         auto      2025-06-02 08:30:00\n",
  );
  const data = dataOf(await d.run(["--json", "trust"]));
  assert.equal(data.total, 2);
  assert.deepEqual((data.trusted as unknown[])[0], {
    node_id: 256,
    address: ALICE_ADDR,
    hostname: "alice",
    origin: "approved",
    network: null,
    approved_at: "2025-06-01T12:00:01.123Z",
  });
});

Deno.test("untrust prints `Revoked trust for node 256`; a peer not trusted is not_found", async () => {
  let trusted = true;
  await using d = await fakeDaemon({
    trust_revoke: () => {
      if (!trusted) return Promise.reject(new NotFoundError("not trusted"));
      trusted = false;
      return Promise.resolve({ node_id: 256, status: "revoked" });
    },
  });
  const out = await d.run(["untrust", "256"]);
  assert.equal(out.code, 0, out.stderr);
  assert.equal(out.stdout, "Revoked trust for node 256\n");
  assert.deepEqual(d.argsOf("trust_revoke"), [{ node: ALICE_ADDR }]);
  const again = await d.run(["--json", "untrust", "256"]);
  assert.equal(again.code, 1);
  assert.equal(errorEnvelope(again).message, "node 256 is not trusted");
});
