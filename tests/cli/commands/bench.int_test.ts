// `pilotctl bench <target> [size_mb=1]` (CLI.md §3.8) against a scripted echo peer.
import assert from "node:assert/strict";
import { BOB_ADDR, dataOf, echoPeer, errorEnvelope, fakeDaemon, infoResult } from "./_daemon.ts";

Deno.test("bench streams size_mb MB through echo and reports both rates and the path", async () => {
  const echo = echoPeer();
  await using d = await fakeDaemon({ ...echo.scripts, info: infoResult() }, echo.extra);
  const out = await d.run(["--json", "bench", "257", "0.5"]);
  assert.equal(out.code, 0, out.stderr);
  const data = dataOf(out);
  assert.deepEqual(Object.keys(data), [
    "target",
    "sent_bytes",
    "recv_bytes",
    "send_duration_ms",
    "total_duration_ms",
    "send_mbps",
    "total_mbps",
    "path",
  ]);
  assert.equal(data.target, BOB_ADDR);
  assert.equal(data.sent_bytes, 500_000);
  assert.equal(data.recv_bytes, 500_000);
  assert.equal(data.path, "direct");
  assert.ok((data.send_duration_ms as number) >= 0 && (data.total_duration_ms as number) > 0);
  assert.ok((data.send_mbps as number) > 0 && (data.total_mbps as number) > 0);
  assert.deepEqual(d.argsOf("dial").map((a) => a.port), [7]);
});

Deno.test("bench prints the summary line on stdout and progress on stderr in human mode", async () => {
  const echo = echoPeer();
  await using d = await fakeDaemon({ ...echo.scripts, info: infoResult() }, echo.extra);
  const out = await d.run(["bench", BOB_ADDR]);
  assert.equal(out.code, 0, out.stderr);
  assert.match(
    out.stdout,
    /^Sent 1\.0 MB in \d+ ms \(\d+\.\d Mbit\/s\); round trip \d+ ms \(\d+\.\d Mbit\/s\), direct\n$/,
  );
  assert.ok(out.stderr.endsWith("bench  100%  1.0 MB / 1.0 MB\n"), out.stderr);
});

Deno.test("bench refuses a size of 0 or over 1024 (exit 1)", async () => {
  await using d = await fakeDaemon({});
  for (const size of ["0", "1025", "-1", "abc"]) {
    const out = await d.run(["--json", "bench", BOB_ADDR, "--", size]);
    assert.equal(out.code, 1, size);
    assert.equal(errorEnvelope(out).code, "invalid_argument");
  }
  assert.deepEqual(d.calls, []);
});
