// `pilotctl traceroute <target>` (CLI.md §3.8) against a scripted echo peer (the setup time) and a scripted IPC
// `ping` (the 3 control-ping samples).
import assert from "node:assert/strict";
import { TimeoutError, UnauthorizedError } from "../../../src/util/errors.ts";
import { BOB_ADDR, dataOf, echoPeer, errorEnvelope, fakeDaemon, infoResult } from "./_daemon.ts";

const PING = { rtt_ms: 0.412, bytes: 8 };

Deno.test("traceroute reports a direct path with its endpoint, the setup time and 3 control-ping samples", async () => {
  const echo = echoPeer();
  await using d = await fakeDaemon({ ...echo.scripts, info: infoResult(), ping: PING }, echo.extra);
  const out = await d.run(["--json", "traceroute", BOB_ADDR]);
  assert.equal(out.code, 0, out.stderr);
  const data = dataOf(out);
  assert.deepEqual(Object.keys(data), ["target", "path", "hops", "setup_ms", "rtt_samples"]);
  assert.equal(data.path, "direct");
  const hops = data.hops as { hop: number; via: string; rtt_ms: number }[];
  assert.deepEqual(hops, [{ hop: 1, via: "direct 192.0.2.7:4000", rtt_ms: 0.412 }]);
  assert.deepEqual(data.rtt_samples, [PING, PING, PING]);
  assert.equal(typeof data.setup_ms, "number");
  const pings = d.argsOf("ping");
  assert.equal(pings.length, 3);
  for (const args of pings) {
    assert.equal(args.addr, BOB_ADDR);
    assert.equal(args.payload_len, 8);
    assert.ok(typeof args.timeout_ms === "number" && args.timeout_ms > 0 && args.timeout_ms <= 5_000);
  }
  assert.deepEqual(d.argsOf("dial").map((a) => a.port), [7], "one echo stream, for the setup time");
  const human = await d.run(["traceroute", BOB_ADDR]);
  assert.equal(human.stdout, "traceroute to 0:0000.0000.0101\n  1  direct 192.0.2.7:4000  0.412ms\n");
});

Deno.test("traceroute through the relay names the beacon", async () => {
  const echo = echoPeer();
  const info = infoResult({ beacon: "203.0.113.9:9001" });
  const relayed = { ...info, peer_list: info.peer_list.map((p) => ({ ...p, path: "relay" as const })) };
  await using d = await fakeDaemon({ ...echo.scripts, info: relayed, ping: PING }, echo.extra);
  const out = await d.run(["traceroute", BOB_ADDR]);
  assert.equal(out.code, 0, out.stderr);
  assert.match(out.stdout, /^traceroute to 0:0000\.0000\.0101\n {2}1 {2}relay 203\.0\.113\.9:9001 {2}\d+\.\d{3}ms\n$/);
  assert.equal(dataOf(await d.run(["--json", "traceroute", BOB_ADDR])).path, "relay");
});

Deno.test("traceroute keeps the samples that came back when a control ping is lost", async () => {
  const echo = echoPeer();
  let n = 0;
  const ping = () => ++n === 2 ? Promise.reject(new TimeoutError("no ping reply")) : Promise.resolve(PING);
  await using d = await fakeDaemon({ ...echo.scripts, info: infoResult(), ping }, echo.extra);
  const data = dataOf(await d.run(["--json", "traceroute", BOB_ADDR]));
  assert.deepEqual(data.rtt_samples, [PING, PING]);
});

Deno.test("traceroute fails like ping: no trust is unauthorized", async () => {
  const echo = echoPeer({ dialError: new UnauthorizedError("not trusted", { detail: "not_trusted" }) });
  await using d = await fakeDaemon(echo.scripts, echo.extra);
  const out = await d.run(["--json", "traceroute", BOB_ADDR]);
  assert.equal(out.code, 1);
  assert.equal(errorEnvelope(out).hint, "pilotctl handshake 0:0000.0000.0101");
});

Deno.test("traceroute with no control-ping reply at all is a timeout", async () => {
  const echo = echoPeer();
  const ping = () => Promise.reject(new TimeoutError("no ping reply"));
  await using d = await fakeDaemon({ ...echo.scripts, info: infoResult(), ping }, echo.extra);
  const out = await d.run(["--json", "traceroute", BOB_ADDR]);
  assert.equal(out.code, 1);
  assert.equal(errorEnvelope(out).code, "timeout");
});
