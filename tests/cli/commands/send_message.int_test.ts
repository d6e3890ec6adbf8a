// `pilotctl send-message` (CLI.md §3.6) against a fake daemon whose dial reaches a real data exchange service.
import assert from "node:assert/strict";
import { NotTrustedError } from "../../../src/util/errors.ts";
import { exchangeEnv } from "../../daemon/services/_exchange.ts";
import { BOB_ADDR, dataOf, errorEnvelope, fakeDaemon } from "./_daemon.ts";
import { SELF_PEER, serviceDaemon, type ServiceOptions } from "./_services.ts";

async function setup(options: Partial<ServiceOptions> = {}) {
  const remote = await exchangeEnv();
  const svc = serviceDaemon({ services: { 1001: remote.service }, ...options });
  const daemon = await fakeDaemon(svc.scripts, svc.extra);
  return {
    remote,
    daemon,
    async [Symbol.asyncDispose]() {
      await daemon[Symbol.asyncDispose]();
      await svc.settled();
      await remote[Symbol.asyncDispose]();
    },
  };
}

Deno.test("send-message delivers a text message and prints the acknowledgement line", async () => {
  await using t = await setup();
  const out = await t.daemon.run(["send-message", BOB_ADDR, "--data", "hello bob"]);
  assert.equal(out.code, 0, out.stderr);
  assert.equal(out.stdout, "Message sent to 0:0000.0000.0101 (9 bytes, text), acknowledged\n");
  const [msg] = await t.remote.inbox.list();
  assert.deepEqual([msg.type, msg.data, msg.from, msg.hostname], ["text", "hello bob", SELF_PEER.address, "alice"]);
  assert.deepEqual(t.daemon.argsOf("dial").map((a) => [a.addr, a.port]), [[BOB_ADDR, 1001]]);
});

Deno.test("send-message --json returns target, type, bytes, message_id and ack", async () => {
  await using t = await setup();
  const data = dataOf(await t.daemon.run(["--json", "send-message", "257", "--data", '{"a":1}', "--type", "json"]));
  const [msg] = await t.remote.inbox.list();
  assert.deepEqual(data, { target: BOB_ADDR, type: "json", bytes: 7, message_id: msg.id, ack: true });
  assert.equal(msg.type, "json");
});

Deno.test("send-message reads --data - from stdin and --data-file from a file", async () => {
  await using t = await setup();
  const piped = await t.daemon.run(["--json", "send-message", BOB_ADDR, "--data", "-"], { stdin: "from stdin" });
  assert.equal(dataOf(piped).bytes, 10);
  const file = `${t.daemon.home}-payload.bin`;
  await Deno.writeFile(file, new Uint8Array([0xff, 0x00, 0x01]));
  try {
    const out = await t.daemon.run(["--json", "send-message", BOB_ADDR, "--data-file", file, "--type", "binary"]);
    assert.equal(out.code, 0, out.stderr);
  } finally {
    await Deno.remove(file);
  }
  // Both arrived in the same (manual-clock) millisecond: compare without their order.
  const msgs = (await t.remote.inbox.list()).map((m) => [m.type, m.data, m.encoding]).sort();
  assert.deepEqual(msgs, [
    ["binary", "/wAB", "base64"],
    ["text", "from stdin", "utf8"],
  ]);
});

Deno.test("send-message needs exactly one data source: none or both is exit 2", async () => {
  await using d = await fakeDaemon({});
  assert.equal((await d.run(["send-message", BOB_ADDR])).code, 2);
  const both = await d.run(["--json", "send-message", BOB_ADDR, "--data", "x", "--data-file", "/etc/hostname"]);
  assert.equal(both.code, 2);
  assert.equal(errorEnvelope(both).hint, "pilotctl send-message --help");
});

Deno.test("send-message refuses invalid JSON, an unknown type and binary data sent as text", async () => {
  await using d = await fakeDaemon({});
  const json = await d.run(["--json", "send-message", BOB_ADDR, "--data", "{nope", "--type", "json"]);
  assert.equal(json.code, 1);
  assert.equal(errorEnvelope(json).code, "invalid_argument");
  assert.match(errorEnvelope(json).message as string, /^invalid JSON/);
  const type = await d.run(["--json", "send-message", BOB_ADDR, "--data", "x", "--type", "video"]);
  assert.equal(type.code, 1);
  assert.equal(errorEnvelope(type).message, 'invalid message type "video" (use text, json or binary)');
  const file = `${d.home}-bin`;
  await Deno.writeFile(file, new Uint8Array([0xff, 0xfe]));
  try {
    const text = await d.run(["--json", "send-message", BOB_ADDR, "--data-file", file]);
    assert.equal(errorEnvelope(text).message, "--type text needs UTF-8 data (use --type binary)");
  } finally {
    await Deno.remove(file);
  }
  assert.deepEqual(d.calls, []);
});

Deno.test("send-message over 1 MiB is invalid_argument with the send-file hint", async () => {
  await using d = await fakeDaemon({});
  const file = `${d.home}-big.txt`;
  await Deno.writeFile(file, new Uint8Array(1024 * 1024 + 1).fill(0x61));
  try {
    const out = await d.run(["--json", "send-message", BOB_ADDR, "--data-file", file]);
    assert.equal(out.code, 1);
    const env = errorEnvelope(out);
    assert.equal(env.code, "invalid_argument");
    assert.equal(env.hint, "use pilotctl send-file");
    const stdin = await d.run(["--json", "send-message", BOB_ADDR, "--data", "-"], { stdin: "a".repeat(1048577) });
    assert.equal(errorEnvelope(stdin).hint, "use pilotctl send-file");
  } finally {
    await Deno.remove(file);
  }
  const missing = await d.run(["--json", "send-message", BOB_ADDR, "--data-file", `${d.home}/nope`]);
  assert.deepEqual([errorEnvelope(missing).code, errorEnvelope(missing).message], [
    "not_found",
    `no such file: ${d.home}/nope`,
  ]);
});

Deno.test("send-message to a peer without mutual trust is unauthorized with the handshake hint", async () => {
  await using t = await setup({ dialError: () => new NotTrustedError(BOB_ADDR) });
  const out = await t.daemon.run(["--json", "send-message", BOB_ADDR, "--data", "hi"]);
  assert.deepEqual(errorEnvelope(out), {
    status: "error",
    code: "unauthorized",
    message: "no mutual trust with 0:0000.0000.0101",
    hint: "pilotctl handshake 0:0000.0000.0101",
  });
});

Deno.test("send-message reports the receiver's refusal", async () => {
  await using t = await setup();
  await Deno.writeTextFile(`${t.remote.root}/inbox`, "not a directory");
  const out = await t.daemon.run(["--json", "send-message", BOB_ADDR, "--data", "hi"]);
  assert.equal(out.code, 1);
  assert.equal(errorEnvelope(out).code, "internal");
  assert.match(errorEnvelope(out).message as string, /^0:0000\.0000\.0101 could not store the text/);
});
