// `pilotctl ping <target> [--count 4] [--timeout 30s]` (CLI.md §3.8, §4) against a scripted echo peer.
import assert from "node:assert/strict";
import { pingCommandWith } from "../../../src/cli/commands/ping.ts";
import type { IpcHandlers } from "../../../src/ipc/mod.ts";
import { ConnectionFailedError, UnauthorizedError } from "../../../src/util/errors.ts";
import { BOB_ADDR, dataOf, echoPeer, errorEnvelope, fakeDaemon } from "./_daemon.ts";

/** Probes 5 ms apart instead of 1 s: the spacing is not what these tests check. */
const table = [pingCommandWith({ intervalMs: 5 })];
const RESOLVE_BOB = { resolve: { node_id: 257, address: BOB_ADDR, hostname: "bob", public: false } };

Deno.test("ping prints PING, one line per probe with 3 decimals, and the summary", async () => {
  const echo = echoPeer();
  await using d = await fakeDaemon({ ...echo.scripts, ...RESOLVE_BOB }, echo.extra);
  const out = await d.run(["ping", "bob", "--count", "2"], { table });
  assert.equal(out.code, 0, out.stderr);
  assert.equal(out.stderr, `resolved "bob" -> ${BOB_ADDR}\n`);
  const lines = out.stdout.split("\n");
  assert.equal(lines.length, 5);
  assert.equal(lines[0], "PING 0:0000.0000.0101");
  assert.match(lines[1], /^seq=1 bytes=6 time=\d+\.\d{3}ms$/);
  assert.match(lines[2], /^seq=2 bytes=6 time=\d+\.\d{3}ms$/);
  assert.match(lines[3], /^--- 2 sent, 2 received, 0% loss, rtt min\/avg\/max \d+\.\d{3}\/\d+\.\d{3}\/\d+\.\d{3} ms$/);
  assert.equal(lines[4], "");
  assert.deepEqual(d.argsOf("dial").map((a) => [a.addr, a.port]), [[BOB_ADDR, 7]]);
});

Deno.test("ping --json reports every field; results carry seq, bytes, rtt_ms and error", async () => {
  const echo = echoPeer();
  await using d = await fakeDaemon(echo.scripts, echo.extra);
  const out = await d.run(["--json", "ping", "257", "--count", "3"], { table });
  assert.equal(out.code, 0, out.stderr);
  assert.equal(out.stderr, "");
  const data = dataOf(out);
  assert.deepEqual(Object.keys(data), [
    "target",
    "results",
    "sent",
    "received",
    "loss_pct",
    "min_ms",
    "avg_ms",
    "max_ms",
  ]);
  assert.equal(data.target, BOB_ADDR);
  assert.equal(data.sent, 3);
  assert.equal(data.received, 3);
  assert.equal(data.loss_pct, 0);
  const results = data.results as { seq: number; bytes: number; rtt_ms: number; error: null }[];
  assert.deepEqual(results.map((r) => [r.seq, r.bytes, r.error]), [[1, 6, null], [2, 6, null], [3, 6, null]]);
  assert.ok(results.every((r) => typeof r.rtt_ms === "number" && r.rtt_ms >= 0));
  assert.ok((data.min_ms as number) <= (data.avg_ms as number) && (data.avg_ms as number) <= (data.max_ms as number));
});

Deno.test("ping without mutual trust prints PING, then the unauthorized error with the handshake hint", async () => {
  const echo = echoPeer({ dialError: new UnauthorizedError("peer not trusted", { detail: "not_trusted" }) });
  await using d = await fakeDaemon(echo.scripts, echo.extra);
  const out = await d.run(["ping", BOB_ADDR, "--count", "1"], { table });
  assert.equal(out.code, 1);
  assert.equal(out.stdout, "PING 0:0000.0000.0101\n");
  assert.equal(
    out.stderr,
    "error: no mutual trust with 0:0000.0000.0101\nhint:  pilotctl handshake 0:0000.0000.0101\n",
  );
});

Deno.test("ping with some replies exits 0 and prints the failed probe as `seq=N error: …`", async () => {
  let frames = 0;
  const echo = echoPeer();
  const extra: Omit<IpcHandlers, "commands"> = {
    // Echoes the first probe only.
    streamData: (client, conn, data) => ++frames === 1 ? client.pushStreamData(conn, data.slice()) : Promise.resolve(),
  };
  await using d = await fakeDaemon(echo.scripts, extra);
  const out = await d.run(["ping", BOB_ADDR, "--count", "2", "--timeout", "400ms"], { table });
  assert.equal(out.code, 0, out.stderr);
  const lines = out.stdout.trimEnd().split("\n");
  assert.match(lines[1], /^seq=1 bytes=6 time=/);
  assert.equal(lines[2], "seq=2 error: no response from 0:0000.0000.0101 within 400ms");
  assert.match(lines[3], /^--- 2 sent, 1 received, 50% loss, rtt min\/avg\/max /);
});

Deno.test("ping with no reply at all fails timeout; an unreachable peer fails connection_failed", async () => {
  const silent = echoPeer({ silent: true });
  await using d = await fakeDaemon(silent.scripts, silent.extra);
  const out = await d.run(["--json", "ping", BOB_ADDR, "--count", "1", "--timeout", "200ms"], { table });
  assert.equal(out.code, 1);
  assert.equal(out.stdout, "");
  assert.deepEqual(errorEnvelope(out), {
    status: "error",
    code: "timeout",
    message: "no response from 0:0000.0000.0101 within 200ms",
    hint: "retry with a longer --timeout",
  });
  const down = echoPeer({ dialError: new ConnectionFailedError("no path", { detail: "no_path" }) });
  await using d2 = await fakeDaemon(down.scripts, down.extra);
  const failed = await d2.run(["--json", "ping", BOB_ADDR], { table });
  assert.deepEqual(errorEnvelope(failed), {
    status: "error",
    code: "connection_failed",
    message: "cannot connect to 0:0000.0000.0101 port 7",
    hint: "pilotctl ping 0:0000.0000.0101",
  });
});

Deno.test("ping refuses --count 0 and a network-mismatched address (exit 1); no target is exit 2", async () => {
  await using d = await fakeDaemon({});
  const zero = await d.run(["--json", "ping", BOB_ADDR, "--count", "0"], { table });
  assert.equal(zero.code, 1);
  assert.equal(errorEnvelope(zero).message, "--count must be at least 1");
  const mismatch = await d.run(["--json", "ping", "0:9999.9999.9999"], { table });
  assert.equal(mismatch.code, 1);
  assert.equal(errorEnvelope(mismatch).message, 'invalid address "0:9999.9999.9999": network mismatch');
  assert.equal((await d.run(["ping"], { table })).code, 2);
});
