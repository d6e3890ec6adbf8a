// `pilotctl recv <port> [--count 1] [--timeout 30s] [--reply <text>]` (CLI.md §3.6) with scripted senders.
import assert from "node:assert/strict";
import { AlreadyExistsError } from "../../../src/util/errors.ts";
import { BOB_ADDR, dataOf, errorEnvelope, fakeDaemon, inboundStreams } from "./_daemon.ts";

Deno.test("recv prints `<src_addr>:<src_port> <data>` per message and answers with --reply", async () => {
  const senders = inboundStreams([
    { from: BOB_ADDR, fromPort: 49200, data: "first" },
    { from: "0:0000.0000.0100", fromPort: 49201, data: "second" },
  ]);
  await using d = await fakeDaemon(senders.scripts, senders.extra);
  const out = await d.run(["recv", "5000", "--count", "2", "--reply", "ok"]);
  assert.equal(out.code, 0, out.stderr);
  assert.equal(out.stdout, "0:0000.0000.0101:49200 first\n0:0000.0000.0100:49201 second\n");
  assert.deepEqual(d.argsOf("bind"), [{ port: 5000, proto: "stream" }]);
  assert.deepEqual([...senders.replies.values()].map((r) => new TextDecoder().decode(r[0])), ["ok", "ok"]);
  await senders.settled();
});

Deno.test("recv --json lists messages; fewer than --count before the timeout sets timeout: true", async () => {
  const senders = inboundStreams([{ from: BOB_ADDR, fromPort: 49200, data: new Uint8Array([0xff, 0x00]) }]);
  await using d = await fakeDaemon(senders.scripts, senders.extra);
  const out = await d.run(["--json", "recv", "5000", "--count", "2", "--timeout", "300ms"]);
  assert.equal(out.code, 0, out.stderr);
  assert.deepEqual(dataOf(out), {
    port: 5000,
    messages: [{ seq: 1, src_addr: BOB_ADDR, src_port: 49200, data: "/wA=", encoding: "base64", bytes: 2 }],
    total: 1,
    timeout: true,
  });
  await senders.settled();
});

Deno.test("recv with nothing before the timeout fails timeout", async () => {
  const senders = inboundStreams([]);
  await using d = await fakeDaemon(senders.scripts, senders.extra);
  const out = await d.run(["--json", "recv", "5000", "--timeout", "200ms"]);
  assert.equal(out.code, 1);
  assert.deepEqual(errorEnvelope(out), {
    status: "error",
    code: "timeout",
    message: "no message on port 5000 within 200ms",
    hint: "retry with a longer --timeout",
  });
});

Deno.test("recv refuses built-in ports and a bound port with already_exists; --count 0 is invalid", async () => {
  await using d = await fakeDaemon({
    bind: () => Promise.reject(new AlreadyExistsError("port in use", { detail: "port_bound" })),
  });
  for (const port of ["7", "444", "1001", "1002", "1003", "5000"]) {
    const out = await d.run(["--json", "recv", port]);
    assert.equal(out.code, 1, port);
    assert.deepEqual(errorEnvelope(out), {
      status: "error",
      code: "already_exists",
      message: `port ${port} is already bound`,
      hint: "",
    });
  }
  assert.equal(d.argsOf("bind").length, 1, "built-in ports never reach the daemon");
  const zero = await d.run(["--json", "recv", "5000", "--count", "0"]);
  assert.equal(errorEnvelope(zero).message, "--count must be at least 1");
  assert.equal((await d.run(["recv"])).code, 2);
});
