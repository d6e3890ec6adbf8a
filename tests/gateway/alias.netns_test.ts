// Alias mode (CLI.md §3.9) in a network namespace of its own: a gateway on 10.4.0.0/16 adds each mapped IP to the
// namespace's `lo` as a /32, serves on it, removes the alias at unmap and at stop. Root only; nothing touches the root
// namespace's interfaces (the fake daemon and the HTTP server stay on 127.0.0.1 there, reached through a Unix socket).
import assert from "node:assert/strict";
import { LabProcess } from "../_support/netns_process.ts";
import { deleteNamespace, runChecked, runCommand } from "../_support/netns_shell.ts";
import { toHex } from "../../src/util/bytes.ts";
import { runCli } from "../cli/_run.ts";
import { BOB, CAROL, startFixture } from "./fixture.ts";

const MAIN = new URL("../../main.ts", import.meta.url).pathname;
const READY_TIMEOUT_MS = 60_000;
const SUBNET = "10.4.0.0/16";

const isRoot = Deno.uid() === 0;
const hasIp = isRoot && (await runCommand(["ip", "-V"]).then((r) => r.code === 0, () => false));

async function loAddresses(ns: string): Promise<string[]> {
  const out = await runChecked(["ip", "-n", ns, "-o", "-4", "addr", "show", "dev", "lo"]);
  return [...out.matchAll(/inet (\S+)/g)].map((m) => m[1]).sort();
}

Deno.test({
  name: "gateway in alias mode adds, serves on and removes /32 aliases on lo inside a namespace",
  ignore: !hasIp,
  fn: async () => {
    await using f = await startFixture({ gateway: false });
    // Keep the real HOME so `deno run` finds its module cache.
    const { HOME: _home, ...env } = f.env;
    const ns = `pgw-${toHex(crypto.getRandomValues(new Uint8Array(3)))}`;
    await runChecked(["ip", "netns", "add", ns]);
    let gateway: LabProcess | null = null;
    try {
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
          "8080",
          "--json",
          "bob",
        ],
        env,
        stdin: "piped",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      gateway = new LabProcess(child, "gateway");
      const ready = JSON.parse(await gateway.waitForLine(/"status":"ok"/, READY_TIMEOUT_MS));
      assert.deepEqual(ready.data.mappings, [{ local_ip: "10.4.0.1", pilot_addr: BOB, hostname: "bob" }]);
      assert.deepEqual(await loAddresses(ns), ["10.4.0.1/32", "127.0.0.1/8"]);

      const fetched = await runCommand([
        "ip",
        "netns",
        "exec",
        ns,
        Deno.execPath(),
        "eval",
        "const r = await fetch('http://10.4.0.1:8080/hello?n=7'); console.log(await r.text());",
      ], { timeoutMs: READY_TIMEOUT_MS });
      assert.equal(fetched.stdout.trim(), "hello 7", fetched.stderr);

      const mapped = await runCli(["gateway", "map", "carol", "--json"], f.env);
      assert.deepEqual(JSON.parse(mapped.stdout).data, { local_ip: "10.4.0.2", pilot_addr: CAROL, hostname: "carol" });
      assert.deepEqual(await loAddresses(ns), ["10.4.0.1/32", "10.4.0.2/32", "127.0.0.1/8"]);
      const unmapped = await runCli(["gateway", "unmap", "10.4.0.2"], f.env);
      assert.equal(unmapped.code, 0, unmapped.stderr);
      assert.deepEqual(await loAddresses(ns), ["10.4.0.1/32", "127.0.0.1/8"]);

      const stopped = await runCli(["gateway", "stop"], f.env);
      assert.equal(stopped.code, 0, stopped.stderr);
      assert.equal(stopped.stdout, `Gateway stopped (pid ${gateway.pid})\n`);
      assert.equal((await gateway.status).code, 0);
      assert.deepEqual(await loAddresses(ns), ["127.0.0.1/8"]);
    } finally {
      await gateway?.close();
      await deleteNamespace(ns);
    }
  },
});
