// Alias mode (CLI.md §3.9, 10.4.0.0/16) carrying real traffic through two daemons: agents A and B are `daemon start`
// processes in the root namespace (loopback only), B exposes a pilot port to an HTTP server in this process, and A's
// gateway runs inside a network namespace of its own, reaching A's daemon through its Unix socket. `curl` inside the
// namespace fetches through the /32 alias on the namespace's `lo`. Root only; the root namespace's interfaces are
// never touched.
import assert from "node:assert/strict";
import { LabProcess } from "../_support/netns_process.ts";
import { deleteNamespace, runChecked, runCommand } from "../_support/netns_shell.ts";
import { sha256 } from "../../src/crypto/mod.ts";
import { toHex } from "../../src/util/bytes.ts";
import { handshake, startLab } from "./_agents.ts";

const MAIN = new URL("../../main.ts", import.meta.url).pathname;
const READY_TIMEOUT_MS = 60_000;
const CURL_TIMEOUT_MS = 60_000;
const SUBNET = "10.4.0.0/16";
const PILOT_PORT = 8080;
const BODY_BYTES = 1024 * 1024;

const isRoot = Deno.uid() === 0;
const hasTools = isRoot &&
  (await runCommand(["ip", "-V"]).then((r) => r.code === 0, () => false)) &&
  (await runCommand(["curl", "--version"]).then((r) => r.code === 0, () => false));

async function loAddresses(ns: string): Promise<string[]> {
  const out = await runChecked(["ip", "-n", ns, "-o", "-4", "addr", "show", "dev", "lo"]);
  return [...out.matchAll(/inet (\S+)/g)].map((m) => m[1]).sort();
}

Deno.test({
  name: "a gateway in alias mode inside a namespace reaches a port exposed by another daemon",
  ignore: !hasTools,
  fn: async () => {
    const body = new Uint8Array(BODY_BYTES);
    for (let off = 0; off < BODY_BYTES; off += 65_536) crypto.getRandomValues(body.subarray(off, off + 65_536));
    const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (req) => {
      return new URL(req.url).pathname === "/body" ? new Response(body) : new Response("hello through the alias\n");
    });
    const ns = `pgx-${toHex(crypto.getRandomValues(new Uint8Array(3)))}`;
    let gateway: LabProcess | null = null;
    const lab = await startLab();
    try {
      const a = lab.agent("alice");
      const b = lab.agent("bob");
      assert.equal((await a.run(["daemon", "start"])).code, 0);
      assert.equal((await b.run(["daemon", "start"])).code, 0);
      const bob = await b.data(["info"]);
      await handshake(a, b);
      await b.data(["expose", String(PILOT_PORT), "--to", String(server.addr.port)]);

      await runChecked(["ip", "netns", "add", ns]);
      await runChecked(["ip", "-n", ns, "link", "set", "lo", "up"]);
      const child = new Deno.Command("ip", {
        args: [
          "netns",
          "exec",
          ns,
          Deno.execPath(),
          "run",
          "-A",
          MAIN,
          "gateway",
          "run",
          "--subnet",
          SUBNET,
          "--ports",
          String(PILOT_PORT),
          "--json",
          String(bob.address),
        ],
        env: a.env,
        stdin: "piped",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      gateway = new LabProcess(child, "gateway");
      const ready = JSON.parse(await gateway.waitForLine(/"status":"ok"/, READY_TIMEOUT_MS));
      assert.deepEqual(ready.data.mappings, [{ local_ip: "10.4.0.1", pilot_addr: bob.address, hostname: "" }]);
      assert.deepEqual(await loAddresses(ns), ["10.4.0.1/32", "127.0.0.1/8"]);

      const inNs = (args: string[]) =>
        runCommand(["ip", "netns", "exec", ns, "curl", "-sS", "--noproxy", "*", "--max-time", "30", ...args], {
          timeoutMs: CURL_TIMEOUT_MS,
        });
      const hello = await inNs([`http://10.4.0.1:${PILOT_PORT}/`]);
      assert.equal(hello.stdout, "hello through the alias\n", hello.stderr);
      const file = `${lab.root}/body.bin`;
      const saved = await inNs([`http://10.4.0.1:${PILOT_PORT}/body`, "-o", file]);
      assert.equal(saved.code, 0, saved.stderr);
      assert.equal(toHex(sha256(await Deno.readFile(file))), toHex(sha256(body)));
      // The root namespace has no such address: nothing leaked out of the namespace.
      const outside = await runCommand(["ip", "-o", "-4", "addr", "show", "to", "10.4.0.1/32"]);
      assert.equal(outside.stdout.trim(), "");

      const stopped = await a.run(["gateway", "stop"]);
      assert.equal(stopped.code, 0, stopped.stderr);
      assert.equal((await gateway.status).code, 0);
      assert.deepEqual(await loAddresses(ns), ["127.0.0.1/8"]);
    } finally {
      await gateway?.close();
      await deleteNamespace(ns);
      await lab[Symbol.asyncDispose]();
      await server.shutdown();
    }
  },
});
