// The dashboard over real HTTP (CLI.md §3.2 `registry run --dashboard`): routes, status codes and headers, and the
// rule that it never shows keys, e-mails, endpoints or private nodes — nodes registered over TCP with all of those,
// then every response grepped for them.
import assert from "node:assert/strict";
import { generateIdentity } from "../../src/crypto/identity.ts";
import type { RegistryClient } from "../../src/registry/client.ts";
import type { RegistryHandle } from "../../src/registry/server.ts";
import { toBase64 } from "../../src/util/bytes.ts";
import { formatAddr } from "../../src/wire/mod.ts";
import { connectClient, startTestRegistry } from "./int_helpers.ts";

async function get(base: string, path: string, init?: RequestInit): Promise<{ res: Response; body: string }> {
  const res = await fetch(new URL(path, base), init);
  return { res, body: await res.text() };
}

interface Registered {
  readonly client: RegistryClient;
  readonly nodeId: number;
  /** Strings that must never appear in a dashboard response. */
  readonly secrets: string[];
}

async function register(reg: RegistryHandle, i: number, hostname: string, isPublic: boolean): Promise<Registered> {
  const identity = generateIdentity();
  const client = await connectClient(reg);
  const owner = `agent${i}@corp.example`;
  const endpoint = `198.51.100.${i}:${41000 + i}`;
  const lan = `10.9.8.${i}:${42000 + i}`;
  const ok = await client.register(identity, {
    listenPort: 43000 + i,
    hostname,
    public: isPublic,
    owner,
    endpoint,
    lanAddrs: [lan],
  });
  const secrets = [owner, endpoint, lan, "198.51.100.", "10.9.8.", `127.0.0.1:${43000 + i}`];
  secrets.push(toBase64(identity.publicKey), toBase64(identity.noisePublicKey), toBase64(identity.noiseSig));
  if (!isPublic) secrets.push(hostname, formatAddr({ network: 0, node: ok.node_id }), `"node_id":${ok.node_id}`);
  return { client, nodeId: ok.node_id, secrets };
}

Deno.test("dashboard serves the page, /api/stats and /api/nodes with safe headers and bounded pages", async () => {
  await using reg = await startTestRegistry({ dashboardListen: "127.0.0.1:0" });
  const nodes = [
    await register(reg, 1, "alpha", true),
    await register(reg, 2, "bravo", true),
    await register(reg, 3, "charlie", true),
  ];
  try {
    await nodes[0].client.setTags(["gpu"]);
    const base = reg.readyData().dashboard!;

    const stats = await get(base, "/api/stats");
    assert.equal(stats.res.status, 200);
    assert.match(stats.res.headers.get("content-type")!, /^application\/json/);
    assert.equal(stats.res.headers.get("cache-control"), "no-store");
    assert.equal(stats.res.headers.get("x-content-type-options"), "nosniff");
    assert.deepEqual(JSON.parse(stats.body), {
      nodes: 3,
      online: 3,
      public: 3,
      trust_links: 0,
      networks: 0,
      tags: 1,
      public_tags: [{ tag: "gpu", nodes: 1 }],
    });

    const first = JSON.parse((await get(base, "/api/nodes?limit=2")).body);
    assert.deepEqual(first.nodes.map((n: { hostname: string }) => n.hostname), ["alpha", "bravo"]);
    assert.equal(first.total, 3);
    const rest = JSON.parse((await get(base, `/api/nodes?limit=2&cursor=${first.next_cursor}`)).body);
    assert.deepEqual(rest.nodes.map((n: { hostname: string }) => n.hostname), ["charlie"]);
    assert.equal(rest.next_cursor, undefined);
    const gpu = JSON.parse((await get(base, "/api/nodes?tag=gpu")).body);
    assert.deepEqual(gpu.nodes, [
      { node_id: nodes[0].nodeId, address: "0:0000.0000.0100", hostname: "alpha", tags: ["gpu"], online: true },
    ]);

    const bad = await get(base, "/api/nodes?limit=500");
    assert.equal(bad.res.status, 400);
    assert.deepEqual(JSON.parse(bad.body), { error: 'invalid limit "500": want 1-100', field: "limit" });

    const page = await get(base, "/");
    assert.equal(page.res.status, 200);
    assert.match(page.res.headers.get("content-type")!, /^text\/html/);
    assert.match(page.res.headers.get("content-security-policy")!, /^default-src 'none'; script-src 'sha256-/);
    assert.equal(page.res.headers.get("x-frame-options"), "DENY");
    assert.match(page.body, /<td class="hostname">charlie<\/td>/);
    assert.ok(!/<(link|img|script) [^>]*(src|href)="https?:/.test(page.body), "an external asset");

    const badPage = await get(base, "/?tag=%3Cb%3E");
    assert.equal(badPage.res.status, 400);
    assert.ok(badPage.body.includes("invalid tag &quot;&lt;b&gt;&quot;"), "the escaped error");
    assert.ok(!badPage.body.includes("<b>"));

    assert.equal((await get(base, "/nope")).res.status, 404);
    assert.equal((await get(base, "/api/stats", { method: "POST", body: "{}" })).res.status, 405);
    const head = await get(base, "/api/stats", { method: "HEAD" });
    assert.deepEqual([head.res.status, head.body], [200, ""]);
  } finally {
    for (const n of nodes) await n.client.close();
  }
});

Deno.test("dashboard responses never contain keys, e-mails, endpoints, ports or private nodes", async () => {
  await using reg = await startTestRegistry({ dashboardListen: "127.0.0.1:0" });
  const nodes: Registered[] = [];
  try {
    for (let i = 1; i <= 6; i++) nodes.push(await register(reg, i, `node-${i}`, i % 2 === 0));
    await nodes[0].client.setTags(["private-only"]);
    await nodes[1].client.setTags(["shared"]);
    await nodes[2].client.setTags(["shared"]);
    await nodes[0].client.reportTrust(nodes[1].nodeId);
    await nodes[1].client.reportTrust(nodes[0].nodeId);
    const base = reg.readyData().dashboard!;
    const paths = ["/", "/?tag=shared", "/api/stats", "/api/nodes", "/api/nodes?tag=shared"];
    for (let cursor = 0, guard = 0; guard < 10; guard++) {
      const path = `/api/nodes?limit=1&cursor=${cursor}`;
      paths.push(path);
      const next = JSON.parse((await get(base, path)).body).next_cursor;
      if (next === undefined) break;
      cursor = Number(next);
    }
    const secrets = [
      ...nodes.flatMap((n) => n.secrets),
      "private-only",
      "owner",
      "endpoint",
      "lan_addrs",
      "public_key",
    ];
    let shown = 0;
    for (const path of paths) {
      const { res, body } = await get(base, path);
      assert.equal(res.status, 200, path);
      for (const s of secrets) assert.ok(!body.includes(s), `${path} shows ${JSON.stringify(s)}`);
      shown += (body.match(/node-[246]/g) ?? []).length;
    }
    assert.ok(shown > 0, "the public nodes are shown");
    const hiddenTag = JSON.parse((await get(base, "/api/nodes?tag=private-only")).body);
    assert.deepEqual([hiddenTag.nodes, hiddenTag.total], [[], 0]);
    const stats = JSON.parse((await get(base, "/api/stats")).body);
    assert.deepEqual([stats.nodes, stats.public, stats.trust_links, stats.tags], [6, 3, 1, 2]);
  } finally {
    for (const n of nodes) await n.client.close();
  }
});
