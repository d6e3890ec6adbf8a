// The shared daemon client of the CLI (CLI.md §1.5, §2): socket precedence, the daemon-down failure, target
// resolution with its side note, the unknown-hostname failure, and `--timeout` bounding a whole command.
import assert from "node:assert/strict";
import { NotFoundError } from "../../src/util/errors.ts";
import { runCli } from "./_run.ts";
import { BOB_ADDR, dataOf, errorEnvelope, fakeDaemon } from "./commands/_daemon.ts";

const LOOKUP_BOB = {
  node_id: 257,
  address: BOB_ADDR,
  addresses: { "0": BOB_ADDR },
  hostname: "bob",
  tags: [],
  public: false,
  online: true,
  public_key: "a2V5",
};

Deno.test("a daemon-backed command with no daemon fails not_running with the socket path and start hint", async () => {
  const root = await Deno.makeTempDir();
  try {
    const env = { HOME: root, PILOT_HOME: `${root}/home`, PILOT_SOCKET: `${root}/none.sock` };
    const human = await runCli(["info"], env);
    assert.equal(human.code, 1);
    assert.equal(human.stdout, "");
    assert.equal(
      human.stderr,
      `error: daemon is not running (socket ${root}/none.sock)\nhint:  pilotctl daemon start\n`,
    );
    const bad = await runCli(["--json", "lookup", "-1"], env);
    assert.equal(bad.code, 1);
    assert.equal(errorEnvelope(bad).message, 'invalid node id "-1"', "input is checked before the daemon");
    const json = await runCli(["--json", "peers"], env);
    assert.equal(json.code, 1);
    assert.deepEqual(errorEnvelope(json), {
      status: "error",
      code: "not_running",
      message: `daemon is not running (socket ${root}/none.sock)`,
      hint: "pilotctl daemon start",
    });
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("the socket comes from config `socket` when PILOT_SOCKET is unset, and PILOT_SOCKET wins over it", async () => {
  await using d = await fakeDaemon({ trust_list: { trusted: [] } });
  await Deno.mkdir(d.home, { recursive: true });
  await Deno.writeTextFile(`${d.home}/config.json`, JSON.stringify({ socket: d.socket }));
  const viaConfig = await runCli(["trust"], { HOME: d.env.HOME, PILOT_HOME: d.home });
  assert.equal(viaConfig.code, 0, viaConfig.stderr);
  assert.equal(viaConfig.stdout, "No trusted peers\n");
  const viaEnv = await runCli(["trust"], { HOME: d.env.HOME, PILOT_HOME: d.home, PILOT_SOCKET: `${d.home}/x.sock` });
  assert.equal(viaEnv.code, 1);
  assert.match(viaEnv.stderr, /^error: daemon is not running \(socket .*\/x\.sock\)\n/);
});

Deno.test("a hostname target is resolved by the daemon with a side note on stderr in human mode only", async () => {
  await using d = await fakeDaemon({
    resolve: { node_id: 257, address: BOB_ADDR, hostname: "bob", public: false },
    lookup: LOOKUP_BOB,
  });
  const human = await d.run(["lookup", "bob"]);
  assert.equal(human.code, 0, human.stderr);
  assert.equal(human.stderr, `resolved "bob" -> ${BOB_ADDR}\n`);
  assert.deepEqual(d.argsOf("resolve"), [{ name: "bob" }]);
  assert.deepEqual(d.argsOf("lookup"), [{ target: BOB_ADDR }]);
  const json = await d.run(["lookup", "bob", "--json"]);
  assert.equal(json.stderr, "");
  assert.equal(dataOf(json).node_id, 257);
});

Deno.test("an address is used as given and digits are a backbone node id, without asking the daemon", async () => {
  await using d = await fakeDaemon({ lookup: LOOKUP_BOB });
  assert.equal((await d.run(["lookup", "0:0000.0000.0101"])).code, 0);
  assert.equal((await d.run(["lookup", "257"])).code, 0);
  assert.equal((await d.run(["lookup", "0:0000.0000.0101".toLowerCase()])).code, 0);
  assert.deepEqual(d.argsOf("resolve"), []);
  assert.deepEqual(d.argsOf("lookup"), [{ target: BOB_ADDR }, { target: BOB_ADDR }, { target: BOB_ADDR }]);
});

Deno.test("an unknown hostname is not_found with the standard message and hint", async () => {
  await using d = await fakeDaemon({
    resolve: () => Promise.reject(new NotFoundError('no node with hostname "carol" is visible to you')),
  });
  const out = await d.run(["lookup", "carol", "--json"]);
  assert.equal(out.code, 1);
  assert.deepEqual(errorEnvelope(out), {
    status: "error",
    code: "not_found",
    message: 'cannot find "carol": unknown hostname or no mutual trust',
    hint: `get the node's address from its owner, then: pilotctl handshake <address> "<reason>"`,
  });
});

Deno.test("malformed targets are invalid_argument (exit 1) and the daemon is never asked", async () => {
  await using d = await fakeDaemon({});
  for (
    const [target, message] of [
      ["-1", 'invalid node id "-1"'],
      ["0:9999.9999.9999", 'invalid address "0:9999.9999.9999": network mismatch'],
      ["Bob", 'invalid hostname "Bob"'],
    ]
  ) {
    const out = await d.run(["--json", "lookup", target]);
    assert.equal(out.code, 1, target);
    const err = errorEnvelope(out);
    assert.equal(err.code, "invalid_argument");
    assert.equal(err.message, message);
  }
  assert.deepEqual(d.calls, []);
});

Deno.test("--timeout bounds the whole command: a request that never answers ends in timeout", async () => {
  await using d = await fakeDaemon({
    // Answers only when the client has gone.
    resolve: (_args, client) => new Promise((resolve) => client.signal.addEventListener("abort", () => resolve({}))),
  });
  const started = performance.now();
  const out = await d.run(["--json", "send", "bob", "5000", "--data", "x", "--timeout", "200ms"]);
  assert.equal(out.code, 1);
  assert.ok(performance.now() - started < 4_000);
  const err = errorEnvelope(out);
  assert.equal(err.code, "timeout");
  assert.equal(err.hint, "retry with a longer --timeout");
});
