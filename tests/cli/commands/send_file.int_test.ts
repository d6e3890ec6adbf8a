// `pilotctl send-file` (CLI.md §3.6) against a fake daemon whose dial reaches a real data exchange service.
import assert from "node:assert/strict";
import { toHex } from "../../../src/util/bytes.ts";
import { sha256 } from "../../../src/crypto/hash.ts";
import { progressLine } from "../../../src/cli/commands/send_file.ts";
import { exchangeEnv } from "../../daemon/services/_exchange.ts";
import { BOB_ADDR, dataOf, errorEnvelope, fakeDaemon } from "./_daemon.ts";
import { serviceDaemon } from "./_services.ts";

async function setup(remoteOptions: Parameters<typeof exchangeEnv>[0] = {}) {
  const remote = await exchangeEnv({ maxFileBytes: 10_000_000, ...remoteOptions });
  const svc = serviceDaemon({ services: { 1001: remote.service } });
  const daemon = await fakeDaemon(svc.scripts, svc.extra);
  const local = await Deno.makeTempDir({ prefix: "pilot-send-file-" });
  return {
    remote,
    daemon,
    local,
    async [Symbol.asyncDispose]() {
      await daemon[Symbol.asyncDispose]();
      await svc.settled();
      await remote[Symbol.asyncDispose]();
      await Deno.remove(local, { recursive: true });
    },
  };
}

function content(n: number): Uint8Array {
  return new Uint8Array(n).map((_, i) => (i * 13) & 0xff);
}

Deno.test("send-file stores the file on the receiver and reports filename, bytes, sha256, destination, ack", async () => {
  await using t = await setup();
  const data = content(300_000);
  const path = `${t.local}/report.pdf`;
  await Deno.writeFile(path, data);
  const out = await t.daemon.run(["--json", "send-file", BOB_ADDR, path]);
  assert.equal(out.code, 0, out.stderr);
  assert.deepEqual(dataOf(out), {
    filename: "report.pdf",
    bytes: 300_000,
    sha256: toHex(sha256(data)),
    destination: BOB_ADDR,
    ack: true,
  });
  assert.equal(out.stderr, "");
  assert.deepEqual(await Deno.readFile(`${t.remote.root}/received/report.pdf`), data);
});

Deno.test("send-file in human mode prints progress on stderr and the sent line on stdout", async () => {
  await using t = await setup();
  const path = `${t.local}/report.pdf`;
  await Deno.writeFile(path, content(2_900_000));
  const out = await t.daemon.run(["send-file", BOB_ADDR, path]);
  assert.equal(out.code, 0, out.stderr);
  assert.equal(out.stdout, "Sent report.pdf (2.9 MB) to 0:0000.0000.0101, acknowledged\n");
  const lines = out.stderr.trimEnd().split("\n");
  assert.ok(lines.length >= 2, out.stderr);
  for (const line of lines) {
    assert.match(line, /^report\.pdf {2}\d{1,3}% {2}[\d.]+ [KMG]?B \/ 2\.9 MB {2}[\d.]+ [KMG]?B\/s$/);
  }
  assert.match(lines[lines.length - 1], /^report\.pdf {2}100% {2}2\.9 MB \/ 2\.9 MB/);
  // A second send of the same name lands beside it.
  const again = await t.daemon.run(["--json", "send-file", BOB_ADDR, path]);
  assert.equal(again.code, 0);
  assert.deepEqual((await t.remote.received.list()).map((f) => f.name), ["report-1.pdf", "report.pdf"]);
});

Deno.test("progressLine() formats name, percent, sizes and rate", () => {
  assert.equal(progressLine("report.pdf", 1_200_000, 2_900_000, 1412), "report.pdf  41%  1.2 MB / 2.9 MB  850 KB/s");
});

Deno.test("send-file: a missing file is not_found, a directory is invalid_argument", async () => {
  await using d = await fakeDaemon({});
  const missing = await d.run(["--json", "send-file", BOB_ADDR, "/no/such/file.txt"]);
  assert.equal(missing.code, 1);
  assert.deepEqual([errorEnvelope(missing).code, errorEnvelope(missing).message], [
    "not_found",
    "no such file: /no/such/file.txt",
  ]);
  const dir = await Deno.makeTempDir();
  try {
    const out = await d.run(["--json", "send-file", BOB_ADDR, dir]);
    assert.equal(out.code, 1);
    assert.equal(errorEnvelope(out).code, "invalid_argument");
  } finally {
    await Deno.remove(dir);
  }
  assert.deepEqual(d.calls, []);
});

Deno.test("send-file larger than the receiver's max_file_size is invalid_argument with the receiver's limit", async () => {
  await using t = await setup({ maxFileBytes: 5000 });
  const path = `${t.local}/big.bin`;
  await Deno.writeFile(path, content(200_000));
  const out = await t.daemon.run(["--json", "send-file", BOB_ADDR, path]);
  assert.equal(out.code, 1);
  assert.deepEqual(errorEnvelope(out), {
    status: "error",
    code: "invalid_argument",
    message: "file too large for receiver (limit 5000 bytes)",
    hint: "",
  });
  assert.deepEqual(await t.remote.receivedNames(), []);
});

Deno.test("send-file over the receiver's quota is invalid_argument and leaves nothing", async () => {
  await using t = await setup({ quotaBytes: 1000 });
  const path = `${t.local}/q.bin`;
  await Deno.writeFile(path, content(2000));
  const out = await t.daemon.run(["--json", "send-file", BOB_ADDR, path]);
  assert.equal(out.code, 1);
  assert.equal(errorEnvelope(out).code, "invalid_argument");
  assert.match(errorEnvelope(out).message as string, /quota exceeded/);
  assert.deepEqual(await t.remote.receivedNames(), []);
});
