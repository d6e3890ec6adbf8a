// `pilotctl connections` and `disconnect <conn_id>` (CLI.md §3.8).
import assert from "node:assert/strict";
import type { ConnInfo } from "../../../src/ipc/mod.ts";
import { NotFoundError } from "../../../src/util/errors.ts";
import { dataOf, errorEnvelope, fakeDaemon, infoResult } from "./_daemon.ts";

const CONN: ConnInfo = {
  id: 12,
  local_port: 49152,
  remote_addr: "0:0000.0000.0101",
  remote_port: 7,
  state: "ESTABLISHED",
  srtt_ms: 0.412,
  rttvar_ms: 0.1,
  cong_win: 14_600,
  ssthresh: 65_535,
  in_flight: 0,
  unacked: 0,
  ooo_buf: 0,
  recv_win: 262_144,
  peer_recv_win: 262_144,
  bytes_sent: 1_200_000,
  bytes_recv: 845_000,
  segs_sent: 900,
  segs_recv: 880,
  retransmits: 1,
  fast_retx: 0,
  sack_sent: 0,
  sack_recv: 0,
  dup_acks: 0,
};

Deno.test("connections prints the ID/LOCAL/REMOTE/STATE/RTT/SENT/RECV table", async () => {
  await using d = await fakeDaemon({ info: infoResult({ conn_list: [CONN] }) });
  const out = await d.run(["connections"]);
  assert.equal(out.code, 0, out.stderr);
  assert.equal(
    out.stdout,
    "ID  LOCAL  REMOTE              STATE        RTT    SENT    RECV\n" +
      "12  49152  0:0000.0000.0101:7  ESTABLISHED  0.4ms  1.2 MB  845 KB\n",
  );
  assert.deepEqual(dataOf(await d.run(["--json", "connections"])), { connections: [CONN], total: 1 });
  await using empty = await fakeDaemon({ info: infoResult() });
  assert.equal((await empty.run(["connections"])).stdout, "No connections\n");
});

Deno.test("disconnect resets a connection; a bad id is invalid_argument and an unknown one not_found", async () => {
  await using d = await fakeDaemon({
    conn_abort: (args) =>
      args.conn === 12 ? Promise.resolve({}) : Promise.reject(new NotFoundError("connection 13 not found")),
  });
  const out = await d.run(["disconnect", "12"]);
  assert.equal(out.code, 0, out.stderr);
  assert.equal(out.stdout, "Disconnected 12\n");
  assert.deepEqual(dataOf(await d.run(["--json", "disconnect", "12"])), { conn_id: 12 });
  assert.deepEqual(d.argsOf("conn_abort"), [{ conn: 12 }, { conn: 12 }]);
  const bad = await d.run(["--json", "disconnect", "x1"]);
  assert.equal(bad.code, 1);
  assert.equal(errorEnvelope(bad).message, 'invalid connection id "x1"');
  const unknown = await d.run(["--json", "disconnect", "13"]);
  assert.equal(unknown.code, 1);
  assert.equal(errorEnvelope(unknown).code, "not_found");
  assert.equal((await d.run(["disconnect"])).code, 2);
});
