// `pilotctl traceroute <target>` (CLI.md §3.8) against a scripted echo peer.
import assert from "node:assert/strict";
import { UnauthorizedError } from "../../../src/util/errors.ts";
import { BOB_ADDR, dataOf, echoPeer, errorEnvelope, fakeDaemon, infoResult } from "./_daemon.ts";

Deno.test("traceroute reports a direct path with its endpoint, the setup time and 3 samples", async () => {
  const echo = echoPeer();
  await using d = await fakeDaemon({ ...echo.scripts, info: infoResult() }, echo.extra);
  const out = await d.run(["--json", "traceroute", BOB_ADDR]);
  assert.equal(out.code, 0, out.stderr);
  const data = dataOf(out);
  assert.deepEqual(Object.keys(data), ["target", "path", "hops", "setup_ms", "rtt_samples"]);
  assert.equal(data.path, "direct");
  const hops = data.hops as { hop: number; via: string; rtt_ms: number }[];
  assert.equal(hops.length, 1);
  assert.equal(hops[0].via, "direct 192.0.2.7:4000");
  assert.equal((data.rtt_samples as unknown[]).length, 3);
  const human = await d.run(["traceroute", BOB_ADDR]);
  assert.match(human.stdout, /^traceroute to 0:0000\.0000\.0101\n {2}1 {2}direct 192\.0\.2\.7:4000 {2}\d+\.\d{3}ms\n$/);
});

Deno.test("traceroute through the relay names the beacon", async () => {
  const echo = echoPeer();
  const info = infoResult({ beacon: "203.0.113.9:9001" });
  const relayed = { ...info, peer_list: info.peer_list.map((p) => ({ ...p, path: "relay" as const })) };
  await using d = await fakeDaemon({ ...echo.scripts, info: relayed }, echo.extra);
  const out = await d.run(["traceroute", BOB_ADDR]);
  assert.equal(out.code, 0, out.stderr);
  assert.match(out.stdout, /^traceroute to 0:0000\.0000\.0101\n {2}1 {2}relay 203\.0\.113\.9:9001 {2}\d+\.\d{3}ms\n$/);
  assert.equal(dataOf(await d.run(["--json", "traceroute", BOB_ADDR])).path, "relay");
});

Deno.test("traceroute fails like ping: no trust is unauthorized", async () => {
  const echo = echoPeer({ dialError: new UnauthorizedError("not trusted", { detail: "not_trusted" }) });
  await using d = await fakeDaemon(echo.scripts, echo.extra);
  const out = await d.run(["--json", "traceroute", BOB_ADDR]);
  assert.equal(out.code, 1);
  assert.equal(errorEnvelope(out).hint, "pilotctl handshake 0:0000.0000.0101");
});
