// Gateway → pilot stream → expose → HTTP server, all real processes (CLI.md §3.9, PROTOCOL-BRIEF §6.4, §8.3): a
// registry, agent A and agent B as `daemon start` processes with their own PILOT_HOME and PILOT_SOCKET, trust made by
// `handshake` and `approve`; B exposes pilot ports to an HTTP server (Deno.serve in this process) and to a raw TCP
// server that closes early; A runs `gateway start` on a random 127.4.R.0/24. Then `fetch` and the real `curl`
// reach the HTTP server through http://127.4.R.1:<port>/: a 10 MB download and a 2 MB upload byte-exact, 20
// concurrent requests, keep-alive, responses ended by the server's close, a server that drops the connection; an
// untrusted third daemon is refused; unexpose stops the service; and the plain shape `gateway start --ports 8080
// <address>` then `curl http://127.4.0.1:8080/` works.
import assert from "node:assert/strict";
import { encodeTrustFile } from "../../src/trust/mod.ts";
import { type Agent, handshake, startLab, waitFor } from "./_agents.ts";
import { curl, EarlyCloseServer, hasCurl, hexDigest, randomBytes, randomPort, startHttp } from "./_expose_servers.ts";

const BIG_BYTES = 10 * 1024 * 1024;
const UPLOAD_BYTES = 2 * 1024 * 1024;
const CONCURRENT_REQUESTS = 20;
const KEEPALIVE_REQUESTS = 5;

const enc = new TextEncoder();
const dec = new TextDecoder();

async function exposedPorts(agent: Agent): Promise<{ port: number; to: string; connections: number }[]> {
  return (await agent.data(["expose"])).exposed as { port: number; to: string; connections: number }[];
}

Deno.test({
  name: "plain TCP clients reach an HTTP server exposed by one agent through the gateway of another",
  fn: async (t) => {
    const big = randomBytes(BIG_BYTES);
    const http = startHttp(big);
    await using early = new EarlyCloseServer();
    const lab = await startLab().catch(async (err) => {
      await http.shutdown();
      throw err;
    });
    try {
      const a = lab.agent("alice");
      const b = lab.agent("bob");
      assert.equal((await a.run(["daemon", "start", "--hostname", "alice"])).code, 0);
      // Public, so that the untrusted third daemon below can find bob: visibility must not open exposed ports.
      assert.equal((await b.run(["daemon", "start", "--hostname", "bob", "--public"])).code, 0);
      const bob = await b.data(["info"]);
      await handshake(a, b);

      const httpPort = randomPort();
      const earlyPort = httpPort + 1;
      const exposed = await b.run(["expose", String(httpPort), "--to", `127.0.0.1:${http.port}`]);
      assert.equal(exposed.code, 0, exposed.stderr);
      assert.equal(exposed.stdout, `Exposed pilot port ${httpPort} -> 127.0.0.1:${http.port}\n`);
      assert.deepEqual(await b.data(["expose", String(earlyPort), "--to", String(early.port)]), {
        port: earlyPort,
        to: `127.0.0.1:${early.port}`,
      });

      const third = 1 + (crypto.getRandomValues(new Uint8Array(1))[0] % 254);
      const ip = `127.4.${third}.1`;
      const started = await a.run([
        "gateway",
        "start",
        "--subnet",
        `127.4.${third}.0/24`,
        "--ports",
        `${httpPort},${earlyPort}`,
        String(bob.address),
      ]);
      assert.equal(started.code, 0, started.stderr);
      assert.match(started.stdout, new RegExp(`\\n  ${ip} -> ${bob.address}  ports ${httpPort},${earlyPort}\\n$`));
      const base = `http://${ip}:${httpPort}`;

      await t.step("fetch downloads 10 MB byte-exact and uploads 2 MB byte-exact", async () => {
        using client = Deno.createHttpClient({});
        const res = await fetch(`${base}/big`, { client });
        assert.equal(res.status, 200);
        const got = new Uint8Array(await res.arrayBuffer());
        assert.equal(got.length, BIG_BYTES);
        assert.equal(hexDigest(got), hexDigest(big));
        const upload = randomBytes(UPLOAD_BYTES);
        const up = await fetch(`${base}/upload`, { method: "POST", body: upload, client });
        assert.equal(await up.text(), `${UPLOAD_BYTES} ${hexDigest(upload)}`);
      });

      await t.step({
        name: "curl downloads 10 MB byte-exact and uploads 2 MB byte-exact",
        ignore: !hasCurl,
        fn: async () => {
          const file = `${lab.root}/big.bin`;
          const got = await curl(["-o", file, "-w", "%{http_code} %{size_download}", `${base}/big`]);
          assert.equal(got.code, 0, got.stderr);
          assert.equal(dec.decode(got.stdout), `200 ${BIG_BYTES}`);
          assert.equal(hexDigest(await Deno.readFile(file)), hexDigest(big));
          const upload = randomBytes(UPLOAD_BYTES);
          await Deno.writeFile(`${lab.root}/up.bin`, upload);
          const up = await curl(["--data-binary", `@${lab.root}/up.bin`, `${base}/upload`]);
          assert.equal(up.code, 0, up.stderr);
          assert.equal(dec.decode(up.stdout), `${UPLOAD_BYTES} ${hexDigest(upload)}`);
        },
      });

      await t.step("keep-alive carries several requests over one stream", async () => {
        using client = Deno.createHttpClient({});
        const ports = [];
        for (let i = 0; i < KEEPALIVE_REQUESTS; i++) ports.push(await (await fetch(`${base}/conn`, { client })).text());
        assert.equal(new Set(ports).size, 1, `one connection on bob's side: ${ports.join(",")}`);
        if (hasCurl) {
          const out = await curl([`${base}/conn`, `${base}/conn`, `${base}/conn`]);
          assert.equal(out.code, 0, out.stderr);
          assert.equal(new Set(dec.decode(out.stdout).trim().split("\n")).size, 1);
        }
      });

      await t.step(
        "a response ended by the server's close arrives whole; a dropped connection fails cleanly",
        async () => {
          const earlyBase = `http://${ip}:${earlyPort}`;
          using client = Deno.createHttpClient({});
          assert.equal(await (await fetch(`${earlyBase}/eof`, { client })).text(), "body ended by close\n");
          await assert.rejects(() => fetch(`${earlyBase}/drop`, { client }));
          if (hasCurl) {
            const whole = await curl([`${earlyBase}/eof`]);
            assert.equal(whole.code, 0, whole.stderr);
            assert.equal(dec.decode(whole.stdout), "body ended by close\n");
            const dropped = await curl([`${earlyBase}/drop`]);
            assert.equal(dropped.code, 52, `curl: empty reply from server (${dropped.stderr})`);
          }
          // Nothing is left open, and the service still works.
          await waitFor("the early connections to close", async () => {
            const rows = await exposedPorts(b);
            return rows.find((r) => r.port === earlyPort)?.connections === 0 && early.open === 0;
          });
          assert.equal(await (await fetch(`${base}/`, { client })).text(), "hello from bob\n");
        },
      );

      await t.step("expose lists the ports with their open connections", async () => {
        // A client that sent half a request holds one stream open.
        const held = await Deno.connect({ hostname: ip, port: earlyPort });
        try {
          await held.write(enc.encode("GET /eof HTTP/1.1\r\n"));
          await waitFor("the held connection", () => early.open === 1);
          const rows = await exposedPorts(b);
          assert.deepEqual(rows, [
            { port: httpPort, to: `127.0.0.1:${http.port}`, connections: rows[0].connections },
            { port: earlyPort, to: `127.0.0.1:${early.port}`, connections: 1 },
          ]);
          assert.equal((await b.data(["expose"])).total, 2);
          const table = await b.run(["expose"]);
          assert.match(
            table.stdout,
            new RegExp(`^PORT +TO +CONNS\\n${httpPort} +127\\.0\\.0\\.1:${http.port} +\\d+\\n`),
          );
          assert.match(table.stdout, new RegExp(`\\n${earlyPort} +127\\.0\\.0\\.1:${early.port} +1\\n$`));
        } finally {
          held.close();
        }
        await waitFor("the held connection to end", () => early.open === 0);
      });

      await t.step(`${CONCURRENT_REQUESTS} concurrent fetches all get their own answer`, async () => {
        using client = Deno.createHttpClient({});
        const answers = await Promise.all(
          Array.from(
            { length: CONCURRENT_REQUESTS },
            async (_, i) => (await fetch(`${base}/n/${i}`, { client })).text(),
          ),
        );
        assert.deepEqual(answers, Array.from({ length: CONCURRENT_REQUESTS }, (_, i) => `${i}\n`));
      });

      await t.step({
        name: `curl --parallel makes ${CONCURRENT_REQUESTS} concurrent requests that all succeed`,
        ignore: !hasCurl,
        fn: async () => {
          const urls = Array.from({ length: CONCURRENT_REQUESTS }, (_, i) => `${base}/n/${i}`);
          const out = await curl([
            "--parallel",
            "--parallel-immediate",
            "--parallel-max",
            String(CONCURRENT_REQUESTS),
            "--fail",
            ...urls,
          ]);
          assert.equal(out.code, 0, out.stderr);
          const lines = dec.decode(out.stdout).trim().split("\n").map(Number).sort((x, y) => x - y);
          assert.deepEqual(lines, Array.from({ length: CONCURRENT_REQUESTS }, (_, i) => i));
        },
      });

      await t.step("an untrusted third daemon is refused, even with a forged trust file", async () => {
        const m = lab.agent("mallory");
        assert.equal((await m.run(["daemon", "start"])).code, 0);
        const request = "GET / HTTP/1.0\r\n\r\n";
        const plain = await m.run(["connect", String(bob.address), String(httpPort), "--message", request, "--json"]);
        assert.equal(plain.code, 1);
        assert.equal(JSON.parse(plain.stderr).code, "unauthorized");
        // mallory claims trust in bob locally: her daemon sends the SYN and bob answers RST 2.
        assert.equal((await m.run(["daemon", "stop"])).code, 0);
        await Deno.writeTextFile(
          `${m.home}/trust.json`,
          encodeTrustFile([{
            nodeId: Number(bob.node_id),
            state: "trusted",
            publicKey: String(bob.public_key),
            sinceMs: Date.now(),
            origin: "approved",
            lastRxTs: 0,
            lastTxTs: 0,
          }]),
        );
        assert.equal((await m.run(["daemon", "start"])).code, 0);
        const hitsBefore = http.hits;
        const forged = await m.run(["connect", String(bob.address), String(httpPort), "--message", request, "--json"]);
        assert.equal(forged.code, 1);
        const err = JSON.parse(forged.stderr);
        assert.equal(err.code, "unauthorized", forged.stderr);
        assert.equal(err.message, `no mutual trust with ${bob.address}`);
        const peers = (await m.data(["peers"])).peers as { node_id: number }[];
        assert.ok(peers.some((p) => p.node_id === bob.node_id), "the refusal came over a tunnel, from bob");
        assert.equal(http.hits, hitsBefore);
        await m.stop();
      });

      await t.step("unexpose stops the service; expose and unexpose refuse bad input with their codes", async () => {
        const stopped = await b.run(["unexpose", String(earlyPort)]);
        assert.deepEqual([stopped.code, stopped.stdout], [0, `Stopped exposing pilot port ${earlyPort}\n`]);
        await assert.rejects(() => fetch(`http://${ip}:${earlyPort}/eof`));
        const again = await b.run(["unexpose", String(earlyPort), "--json"]);
        assert.equal(again.code, 1);
        assert.equal(JSON.parse(again.stderr).code, "not_found");
        const noTo = await b.run(["expose", "9000"]);
        assert.equal(noTo.code, 2);
        assert.equal(noTo.stderr, "error: missing flag --to\nhint:  pilotctl expose --help\n");
        for (
          const [args, code] of [
            [["expose", "444", "--to", "80"], "already_exists"],
            [["expose", String(httpPort), "--to", "80"], "already_exists"],
            [["expose", "0", "--to", "80"], "invalid_argument"],
            [["expose", "9000", "--to", "nohost"], "invalid_argument"],
            [["unexpose", "x"], "invalid_argument"],
          ] as const
        ) {
          const out = await b.run([...args, "--json"]);
          assert.equal(out.code, 1, `${args.join(" ")}: ${out.stderr}`);
          assert.equal(JSON.parse(out.stderr).code, code, args.join(" "));
        }
        assert.deepEqual((await exposedPorts(b)).map((r) => r.port), [httpPort]);
      });

      await t.step("gateway start --ports 8080 <address>, then curl http://127.4.0.1:8080/", async () => {
        assert.equal((await a.run(["gateway", "stop"])).code, 0);
        assert.equal((await b.run(["expose", "8080", "--to", String(http.port)])).code, 0);
        const readme = await a.run(["gateway", "start", "--ports", "8080", String(bob.address)]);
        assert.equal(readme.code, 0, readme.stderr);
        assert.match(readme.stdout, new RegExp(`\\n  127\\.4\\.0\\.1 -> ${bob.address}  ports 8080\\n$`));
        if (hasCurl) {
          const out = await curl(["http://127.4.0.1:8080/"]);
          assert.equal(out.code, 0, out.stderr);
          assert.equal(dec.decode(out.stdout), "hello from bob\n");
        } else {
          using client = Deno.createHttpClient({});
          assert.equal(await (await fetch("http://127.4.0.1:8080/", { client })).text(), "hello from bob\n");
        }
        assert.equal((await a.run(["gateway", "stop"])).code, 0);
      });
    } finally {
      await lab[Symbol.asyncDispose]();
      await http.shutdown();
    }
  },
});
