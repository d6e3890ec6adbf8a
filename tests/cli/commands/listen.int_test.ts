// `pilotctl listen <port> [--count 0] [--timeout 0]` (CLI.md §3.6, §1.3 streaming) with scripted senders of
// streams and datagrams.
import assert from "node:assert/strict";
import { listenCommandWith } from "../../../src/cli/commands/listen.ts";
import { delay } from "../../../src/cli/commands/stream_io.ts";
import { MemoryIo } from "../../../src/cli/io.ts";
import { run } from "../../../src/cli/run.ts";
import type { IpcClientContext } from "../../../src/ipc/mod.ts";
import { BOB_ADDR, dataOf, errorEnvelope, fakeDaemon, inboundDatagrams, inboundStreams } from "./_daemon.ts";

/** The stream sender, plus a `bind` that also sends one datagram once the datagram port is bound. */
function senders(port: number) {
  const streams = inboundStreams([{ from: BOB_ADDR, fromPort: 49200, data: "over a stream" }]);
  const datagrams = inboundDatagrams(port, [{ from: "0:0000.0000.0100", fromPort: 49300, data: "a datagram" }]);
  const bind = streams.scripts.bind as (args: Record<string, unknown>, c: IpcClientContext) => Promise<unknown>;
  streams.scripts.bind = async (args: Record<string, unknown>, client: IpcClientContext) => {
    const result = await bind(args, client);
    if (args.proto === "datagram") datagrams(client);
    return result;
  };
  return streams;
}

Deno.test("listen --count 2 prints one line per event and --json lists them with every field", async () => {
  const s = senders(5000);
  await using d = await fakeDaemon(s.scripts, s.extra);
  const human = await d.run(["listen", "5000", "--count", "2", "--timeout", "5s"]);
  assert.equal(human.code, 0, human.stderr);
  assert.deepEqual(
    human.stdout.trimEnd().split("\n").sort(),
    ["0:0000.0000.0100:49300 a datagram", "0:0000.0000.0101:49200 over a stream"],
  );
  assert.deepEqual(d.argsOf("bind"), [{ port: 5000, proto: "stream" }, { port: 5000, proto: "datagram" }]);
  await s.settled();
});

Deno.test("listen --json --count 2 returns messages, total and timeout", async () => {
  const s = senders(5001);
  await using d = await fakeDaemon(s.scripts, s.extra);
  const out = await d.run(["--json", "listen", "5001", "--count", "2", "--timeout", "5s"]);
  assert.equal(out.code, 0, out.stderr);
  const data = dataOf(out);
  assert.equal(data.total, 2);
  assert.equal(data.timeout, false);
  const messages = (data.messages as Record<string, unknown>[]).sort((a, b) =>
    String(a.kind).localeCompare(String(b.kind))
  );
  assert.deepEqual(Object.keys(messages[0]), [
    "kind",
    "src_addr",
    "src_port",
    "port",
    "data",
    "encoding",
    "bytes",
    "received_at",
  ]);
  assert.deepEqual({ ...messages[0], received_at: "" }, {
    kind: "datagram",
    src_addr: "0:0000.0000.0100",
    src_port: 49300,
    port: 5001,
    data: "a datagram",
    encoding: "utf8",
    bytes: 10,
    received_at: "",
  });
  assert.equal(messages[1].kind, "stream");
  assert.equal(messages[1].data, "over a stream");
  assert.match(messages[1].received_at as string, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  await s.settled();
});

Deno.test("listen unbounded with --json writes NDJSON, no envelope, and the timeout ends it with exit 0", async () => {
  const s = senders(5002);
  await using d = await fakeDaemon(s.scripts, s.extra);
  const out = await d.run(["--json", "listen", "5002", "--timeout", "300ms"]);
  assert.equal(out.code, 0, out.stderr);
  assert.equal(out.stderr, "");
  const lines = out.stdout.trimEnd().split("\n").map((l) => JSON.parse(l));
  assert.equal(lines.length, 2);
  assert.ok(lines.every((l) => l.status === undefined && l.port === 5002));
  await s.settled();
});

Deno.test("listen unbounded ends with exit 0 on a stop signal, after printing what came", async () => {
  const s = senders(5003);
  await using d = await fakeDaemon(s.scripts, s.extra);
  const stop = new AbortController();
  const io = new MemoryIo();
  const running = run(["listen", "5003"], io, new Map(Object.entries(d.env)), [
    listenCommandWith({ signal: stop.signal }),
  ]);
  // Bounded wait for both lines: the condition, not a fixed sleep, decides.
  for (let i = 0; i < 500 && io.stdout.text().split("\n").length < 3; i++) await delay(10);
  stop.abort();
  assert.equal(await running, 0, io.stderr.text());
  assert.equal(io.stdout.text().split("\n").length, 3);
  await s.settled();
});

Deno.test("listen --count 1 with nothing before the timeout fails timeout; built-in ports are refused", async () => {
  const empty = inboundStreams([]);
  await using d = await fakeDaemon(empty.scripts, empty.extra);
  const out = await d.run(["--json", "listen", "5004", "--count", "1", "--timeout", "200ms"]);
  assert.equal(out.code, 1);
  assert.equal(errorEnvelope(out).code, "timeout");
  const builtin = await d.run(["--json", "listen", "1002"]);
  assert.equal(errorEnvelope(builtin).message, "port 1002 is already bound");
});
