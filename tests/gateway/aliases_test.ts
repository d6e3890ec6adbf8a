import assert from "node:assert/strict";
import {
  aliasManagerFor,
  type CommandRunner,
  LoopbackAliases,
  noAliases,
  parseIPv4,
  parseSubnet,
} from "../../src/gateway/mod.ts";
import { Logger, MemorySink } from "../../src/log/logger.ts";
import { InternalError, UnauthorizedError } from "../../src/util/errors.ts";

const log = new Logger({ sink: new MemorySink() });
const ip = (text: string) => parseIPv4(text) as number;

function recorder(answers: { code: number; stderr: string }[] = []): CommandRunner & { calls: string[] } {
  const calls: string[] = [];
  const run = ((command: string, args: readonly string[]) => {
    calls.push([command, ...args].join(" "));
    return Promise.resolve(answers.shift() ?? { code: 0, stderr: "" });
  }) as CommandRunner & { calls: string[] };
  run.calls = calls;
  return run;
}

Deno.test("aliasManagerFor() needs nothing for 127/8 on Linux", () => {
  assert.equal(aliasManagerFor(parseSubnet("127.4.0.0/16"), log, { os: "linux", uid: 1000 }), noAliases);
});

Deno.test("aliasManagerFor() refuses alias mode without root, with the sudo hint", () => {
  for (const [subnet, os] of [["10.4.0.0/16", "linux"], ["127.4.0.0/16", "darwin"]] as const) {
    assert.throws(() => aliasManagerFor(parseSubnet(subnet), log, { os, uid: 1000 }), (err: unknown) => {
      assert.ok(err instanceof UnauthorizedError);
      assert.equal(err.hint, "run with sudo, or use a 127.x subnet on Linux");
      return true;
    });
  }
  assert.ok(aliasManagerFor(parseSubnet("10.4.0.0/16"), log, { os: "linux", uid: 0 }) instanceof LoopbackAliases);
});

Deno.test("LoopbackAliases adds /32 aliases on lo and removes only the ones it added (Linux)", async () => {
  const run = recorder([{ code: 0, stderr: "" }, { code: 2, stderr: "RTNETLINK answers: File exists" }]);
  const aliases = new LoopbackAliases("linux", log, run);
  await aliases.add(ip("10.4.0.1"));
  await aliases.add(ip("10.4.0.2"));
  await aliases.remove(ip("10.4.0.2"));
  await aliases.remove(ip("10.4.0.1"));
  await aliases.remove(ip("10.4.0.1"));
  assert.deepEqual(run.calls, [
    "ip addr add 10.4.0.1/32 dev lo",
    "ip addr add 10.4.0.2/32 dev lo",
    "ip addr del 10.4.0.1/32 dev lo",
  ]);
});

Deno.test("LoopbackAliases uses ifconfig lo0 on macOS", async () => {
  const run = recorder();
  const aliases = new LoopbackAliases("darwin", log, run);
  await aliases.add(ip("10.4.0.7"));
  await aliases.remove(ip("10.4.0.7"));
  assert.deepEqual(run.calls, ["ifconfig lo0 alias 10.4.0.7 255.255.255.255", "ifconfig lo0 -alias 10.4.0.7"]);
});

Deno.test("LoopbackAliases reports a refused add as unauthorized and other failures as internal", async () => {
  const denied = new LoopbackAliases(
    "linux",
    log,
    recorder([{ code: 2, stderr: "RTNETLINK answers: Operation not permitted" }]),
  );
  await assert.rejects(denied.add(ip("10.4.0.1")), UnauthorizedError);
  const broken = new LoopbackAliases("linux", log, recorder([{ code: 1, stderr: 'Cannot find device "lo"' }]));
  await assert.rejects(broken.add(ip("10.4.0.1")), InternalError);
});
