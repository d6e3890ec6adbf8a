// `pilotctl send <target> <port> --data <text>` (CLI.md §3.6) against a scripted echo peer.
import assert from "node:assert/strict";
import { ConnectionFailedError } from "../../../src/util/errors.ts";
import { BOB_ADDR, dataOf, echoPeer, errorEnvelope, fakeDaemon } from "./_daemon.ts";

Deno.test("send writes the data, half-closes and prints the reply", async () => {
  const echo = echoPeer();
  await using d = await fakeDaemon(echo.scripts, echo.extra);
  const out = await d.run(["send", BOB_ADDR, "5000", "--data", "hello"]);
  assert.equal(out.code, 0, out.stderr);
  assert.equal(out.stdout, "hello\n");
  assert.deepEqual(d.argsOf("dial").map((a) => [a.addr, a.port]), [[BOB_ADDR, 5000]]);
  assert.deepEqual(d.argsOf("close").map((a) => a.how), ["write", "both"]);
  assert.deepEqual(dataOf(await d.run(["--json", "send", "257", "5000", "--data", "hi"])), {
    target: BOB_ADDR,
    port: 5000,
    sent: 2,
    response: "hi",
    encoding: "utf8",
  });
});

Deno.test("send --data - reads stdin and refuses a terminal", async () => {
  const echo = echoPeer();
  await using d = await fakeDaemon(echo.scripts, echo.extra);
  const piped = await d.run(["--json", "send", BOB_ADDR, "5000", "--data", "-"], { stdin: "from stdin" });
  assert.equal(dataOf(piped).response, "from stdin");
  const terminal = await d.run(["--json", "send", BOB_ADDR, "5000", "--data", "-"], { stdinIsTerminal: true });
  assert.equal(terminal.code, 1);
  assert.equal(errorEnvelope(terminal).code, "invalid_argument");
});

Deno.test("send fails: no --data is exit 2, empty data and a bad port are exit 1", async () => {
  await using d = await fakeDaemon({});
  assert.equal((await d.run(["send", BOB_ADDR, "5000"])).code, 2);
  const empty = await d.run(["--json", "send", BOB_ADDR, "5000", "--data", ""]);
  assert.equal(empty.code, 1);
  assert.equal(errorEnvelope(empty).code, "invalid_argument");
  const port = await d.run(["--json", "send", BOB_ADDR, "99999", "--data", "x"]);
  assert.equal(errorEnvelope(port).message, "port must be 1-65535");
});

Deno.test("send to a port nobody listens on is connection_failed `connection refused: A port P`", async () => {
  const refused = echoPeer({ dialError: new ConnectionFailedError("refused", { detail: "refused" }) });
  await using d = await fakeDaemon(refused.scripts, refused.extra);
  const out = await d.run(["--json", "send", BOB_ADDR, "5000", "--data", "x"]);
  assert.deepEqual(errorEnvelope(out), {
    status: "error",
    code: "connection_failed",
    message: "connection refused: 0:0000.0000.0101 port 5000",
    hint: "check that a service listens on port 5000",
  });
});

Deno.test("a binary reply is base64 in --json and raw bytes in human mode", async () => {
  const reply = new Uint8Array([0xff, 0xfe, 0x00]);
  const peer = echoPeer({ reply });
  await using d = await fakeDaemon(peer.scripts, peer.extra);
  const json = dataOf(await d.run(["--json", "send", BOB_ADDR, "5000", "--data", "x"]));
  assert.equal(json.response, "//4A");
  assert.equal(json.encoding, "base64");
  const human = await d.run(["send", BOB_ADDR, "5000", "--data", "x"]);
  assert.equal(human.code, 0);
  assert.equal(human.stdout, new TextDecoder().decode(reply));
});

Deno.test("send succeeds with an empty reply when the peer closes without answering", async () => {
  const peer = echoPeer({ silent: true });
  await using d = await fakeDaemon(peer.scripts, peer.extra);
  const out = await d.run(["--json", "send", BOB_ADDR, "5000", "--data", "x"]);
  assert.equal(out.code, 0, out.stderr);
  assert.deepEqual(dataOf(out), { target: BOB_ADDR, port: 5000, sent: 1, response: "", encoding: "utf8" });
});

Deno.test("send with no reply before --timeout fails timeout", async () => {
  // The peer never ends its side, so only the deadline ends the read.
  const silent = echoPeer({ silent: true, eof: false });
  await using d = await fakeDaemon(silent.scripts, silent.extra);
  const out = await d.run(["--json", "send", BOB_ADDR, "5000", "--data", "x", "--timeout", "200ms"]);
  assert.equal(out.code, 1);
  assert.equal(errorEnvelope(out).message, "no response from 0:0000.0000.0101 within 200ms");
});

Deno.test("send held by backpressure past --timeout fails timeout instead of hanging", async () => {
  const stalled = echoPeer({ stall: true });
  await using d = await fakeDaemon(stalled.scripts, stalled.extra);
  const out = await d.run(["--json", "send", BOB_ADDR, "5000", "--data", "x", "--timeout", "200ms"]);
  assert.equal(out.code, 1);
  assert.equal(errorEnvelope(out).code, "timeout");
});
