// End-to-end: the real `pilotctl registry run` process (CLI.md §1.1, §3.2): the ready block and the `--json`
// envelope, a client registering against it, a clean exit 0 on SIGTERM/SIGINT, and the start-up failures.
import assert from "node:assert/strict";
import { generateIdentity } from "../../src/crypto/mod.ts";
import { RegistryClient } from "../../src/registry/mod.ts";
import { PilotProcess, withTimeout } from "../../scripts/bench/pilot_process.ts";

const EXIT_TIMEOUT_MS = 15_000;

async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "pilot-registry-e2e-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Runs a command that must fail at start-up; returns its exit code and complete output. */
async function runToExit(args: string[], env: Record<string, string> = {}) {
  await using proc = PilotProcess.spawn(args, env);
  const status = await withTimeout(proc.status, EXIT_TIMEOUT_MS, "the process did not exit");
  await proc.drained();
  return { code: status.code, stdout: proc.stdout, stderr: proc.stderr };
}

/** Registers a fresh identity and checks the reply, proving the registry answers on `address`. */
async function registerOnce(address: string): Promise<number> {
  await using client = await RegistryClient.connect({ address });
  const hello = await client.hello("e2e");
  assert.equal(hello.proto, 1);
  const ok = await client.register(generateIdentity(), { listenPort: 4000 });
  assert.equal(ok.new, true);
  assert.ok(ok.node_id > 0);
  return ok.node_id;
}

const ADDR = String.raw`127\.0\.0\.1:\d+`;

Deno.test("e2e: registry run prints the human ready block, serves clients and exits 0 on SIGTERM", async () => {
  await withTempDir(async (dir) => {
    const store = `${dir}/state/registry.db`;
    await using proc = PilotProcess.spawn([
      "registry",
      "run",
      "--listen",
      "127.0.0.1:0",
      "--beacon-listen",
      "127.0.0.1:0",
      "--store",
      store,
      "--metrics",
      "127.0.0.1:0",
      "--dashboard",
      "127.0.0.1:0",
    ]);
    const block = await proc.waitForStdout((s) => s.includes("  Dashboard: ") && s.endsWith("\n"));
    const lines = block.trimEnd().split("\n");
    assert.equal(lines.length, 6, block);
    assert.equal(lines[0], `Registry running (pid ${proc.pid})`);
    assert.match(lines[1], new RegExp(`^  Registry:  ${ADDR} \\(tcp\\)$`));
    assert.match(lines[2], new RegExp(`^  Beacon:    ${ADDR} \\(udp\\)$`));
    assert.equal(lines[3], `  Store:     sqlite ${store}`);
    assert.match(lines[4], new RegExp(`^  Metrics:   http://${ADDR}/metrics$`));
    assert.match(lines[5], new RegExp(`^  Dashboard: http://${ADDR}/$`));

    const address = lines[1].trim().split(/\s+/)[1];
    await registerOnce(address);
    const metrics = await fetch(lines[4].trim().split(/\s+/)[1]);
    assert.equal(metrics.status, 200);
    assert.match(await metrics.text(), /\n?[a-z_]+ \d/);

    const status = await proc.stop("SIGTERM");
    assert.equal(status.code, 0, proc.stderr);
    await proc.drained();
    assert.equal(proc.stdout, block, "nothing but the ready block on stdout");
    assert.match(proc.stderr, /registry stopped/);
    if (Deno.build.os !== "windows") assert.equal((await Deno.stat(store)).mode! & 0o777, 0o600);
  });
});

Deno.test("e2e: registry run --json prints one envelope line and exits 0 on SIGINT", async () => {
  await using proc = PilotProcess.spawn([
    "registry",
    "run",
    "--json",
    "--listen",
    "127.0.0.1:0",
    "--beacon-listen",
    "off",
    "--store",
    ":memory:",
  ]);
  const out = await proc.waitForStdout((s) => s.includes("\n"));
  const envelope = JSON.parse(out);
  assert.deepEqual(Object.keys(envelope), ["status", "data"]);
  assert.equal(envelope.status, "ok");
  const data = envelope.data;
  assert.deepEqual(Object.keys(data), ["pid", "registry", "beacon", "store", "metrics", "dashboard"]);
  assert.equal(data.pid, proc.pid);
  assert.match(data.registry, new RegExp(`^${ADDR}$`));
  assert.equal(data.beacon, null);
  assert.equal(data.store, "sqlite :memory:");
  assert.equal(data.metrics, null);
  assert.equal(data.dashboard, null);

  await registerOnce(data.registry);
  const status = await proc.stop("SIGINT");
  assert.equal(status.code, 0, proc.stderr);
  await proc.drained();
  assert.equal(proc.stdout, out, "exactly one line on stdout");
});

Deno.test("e2e: registry run on a port in use exits 1 with already_exists", async () => {
  using busy = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (busy.addr as Deno.NetAddr).port;
  const out = await runToExit([
    "registry",
    "run",
    "--json",
    "--listen",
    `127.0.0.1:${port}`,
    "--beacon-listen",
    "off",
    "--store",
    ":memory:",
  ]);
  assert.equal(out.code, 1, out.stderr);
  assert.equal(out.stdout, "");
  const lines = out.stderr.trimEnd().split("\n");
  const envelope = JSON.parse(lines[lines.length - 1]);
  assert.equal(envelope.status, "error");
  assert.equal(envelope.code, "already_exists");
  assert.match(envelope.message, new RegExp(`127\\.0\\.0\\.1:${port}`));
});

Deno.test("e2e: registry run with an invalid --limits file exits 1 with invalid_argument naming the file", async () => {
  await withTempDir(async (dir) => {
    const limits = `${dir}/limits.json`;
    await Deno.writeTextFile(limits, '{"enabled":"no"}');
    const store = `${dir}/registry.db`;
    const args = ["registry", "run", "--listen", "127.0.0.1:0", "--beacon-listen", "off", "--store", store];
    const bad = await runToExit([...args, "--json", "--limits", limits]);
    assert.equal(bad.code, 1, bad.stderr);
    assert.equal(bad.stdout, "");
    const envelope = JSON.parse(bad.stderr.trimEnd().split("\n").pop()!);
    assert.equal(envelope.code, "invalid_argument");
    assert.ok(envelope.message.includes(limits), envelope.message);

    const missing = await runToExit([...args, "--limits", `${dir}/absent.json`]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /^error: cannot read limits file .*absent\.json/m);
    await assert.rejects(Deno.stat(store), Deno.errors.NotFound, "a refused start creates no store");
  });
});
