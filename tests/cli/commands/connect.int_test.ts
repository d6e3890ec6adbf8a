// `pilotctl connect <target> [port=1000] [--message <m>]` (CLI.md §3.6) against a scripted echo peer.
import assert from "node:assert/strict";
import { BOB_ADDR, dataOf, echoPeer, errorEnvelope, fakeDaemon } from "./_daemon.ts";

Deno.test("connect --message sends it to port 1000 by default and prints the reply", async () => {
  const echo = echoPeer();
  await using d = await fakeDaemon(echo.scripts, echo.extra);
  const out = await d.run(["connect", BOB_ADDR, "--message", "hello"]);
  assert.equal(out.code, 0, out.stderr);
  assert.equal(out.stdout, "hello\n");
  assert.deepEqual(d.argsOf("dial").map((a) => a.port), [1000]);
  assert.deepEqual(dataOf(await d.run(["--json", "connect", BOB_ADDR, "2000", "--message", "hey"])), {
    target: BOB_ADDR,
    port: 2000,
    sent: 3,
    response: "hey",
    encoding: "utf8",
  });
});

Deno.test("connect without --message pipes stdin to the stream and the stream to stdout", async () => {
  const echo = echoPeer();
  await using d = await fakeDaemon(echo.scripts, echo.extra);
  const out = await d.run(["connect", BOB_ADDR], { stdin: "line one\nline two\n" });
  assert.equal(out.code, 0, out.stderr);
  assert.equal(out.stdout, "line one\nline two\n");
  assert.deepEqual(d.argsOf("close").map((a) => a.how), ["write", "both"]);
});

Deno.test("connect refuses the pipe when stdin is a terminal or with --json", async () => {
  await using d = await fakeDaemon({});
  for (const [argv, terminal] of [[["connect", BOB_ADDR], true], [["--json", "connect", BOB_ADDR], false]] as const) {
    const out = await d.run(["--json", ...argv], { stdinIsTerminal: terminal });
    assert.equal(out.code, 1);
    assert.equal(errorEnvelope(out).message, "pipe data in or pass --message");
  }
  assert.deepEqual(d.calls, []);
});
