// The registry dashboard in a real browser (CLI.md §3.2 `--dashboard`): a registry with public and private nodes,
// trust and a network; headless Chromium loads the page, the test reads the rendered numbers and directory rows over
// CDP and compares them with the registry's store, applies the tag filter in the page, and saves screenshots (the
// paths are printed; PILOT_TEST_ARTIFACTS=<dir> keeps them there). Needs /usr/bin/chromium (.ci/setup-system.sh).
import assert from "node:assert/strict";
import { generateIdentity } from "../../src/crypto/identity.ts";
import { ONLINE_EXPIRY_MS } from "../../src/registry/context.ts";
import type { RegistryClient } from "../../src/registry/client.ts";
import type { RegistryHandle } from "../../src/registry/server.ts";
import { toBase64 } from "../../src/util/bytes.ts";
import { formatAddr } from "../../src/wire/mod.ts";
import { Browser, browserTest, type Page } from "../_support/browser.ts";
import { connectClient, startTestRegistry } from "./int_helpers.ts";

interface Spec {
  readonly hostname: string;
  readonly public: boolean;
  readonly tags: string[];
  readonly online: boolean;
}

const NODES: readonly Spec[] = [
  { hostname: "alpha", public: true, tags: ["gpu", "llm"], online: true },
  { hostname: "bravo", public: true, tags: ["gpu"], online: true },
  { hostname: "charlie", public: true, tags: [], online: true },
  { hostname: "delta", public: true, tags: ["llm"], online: false },
  { hostname: "umbra", public: false, tags: ["gpu", "vault"], online: true },
  { hostname: "nyx", public: false, tags: [], online: true },
];

interface Row {
  readonly id: number;
  readonly hostname: string;
  readonly address: string;
  readonly tags: string[];
  readonly online: string;
}

const READ_ROWS = `[...document.querySelectorAll("#directory tbody tr")].map((tr) => ({
  id: Number(tr.dataset.nodeId),
  hostname: tr.querySelector(".hostname").textContent,
  address: tr.querySelector(".address").textContent,
  tags: [...tr.querySelectorAll(".tags a")].map((a) => a.textContent),
  online: tr.querySelector(".online").textContent,
}))`;

const READ_STATS = `Object.fromEntries([...document.querySelectorAll("[id^=stat-]")]
  .map((e) => [e.id.slice("stat-".length), Number(e.textContent)]))`;

/** Where screenshots go: $PILOT_TEST_ARTIFACTS, or a fresh temp dir that is kept for inspection. */
async function artifactDir(): Promise<string> {
  const dir = Deno.env.get("PILOT_TEST_ARTIFACTS") ?? await Deno.makeTempDir({ prefix: "pilot-dashboard-e2e-" });
  await Deno.mkdir(dir, { recursive: true });
  return dir;
}

/** Registers NODES with e-mails, endpoints and LAN addresses (which must never show), trust and a network. */
async function populate(reg: RegistryHandle, clients: RegistryClient[]): Promise<{ ids: number[]; secrets: string[] }> {
  const ids: number[] = [];
  const secrets: string[] = [];
  for (const [i, spec] of NODES.entries()) {
    const identity = generateIdentity();
    const client = await connectClient(reg);
    clients.push(client);
    const owner = `owner${i}@example.com`;
    const endpoint = `203.0.113.${10 + i}:4${i}00`;
    const lan = `192.168.7.${20 + i}:4000`;
    const ok = await client.register(identity, {
      listenPort: 4000,
      hostname: spec.hostname,
      public: spec.public,
      owner,
      endpoint,
      lanAddrs: [lan],
    });
    if (spec.tags.length > 0) await client.setTags(spec.tags);
    ids.push(ok.node_id);
    secrets.push(owner, endpoint, lan, toBase64(identity.publicKey), toBase64(identity.noisePublicKey));
    if (!spec.public) secrets.push(spec.hostname, formatAddr({ network: 0, node: ok.node_id }));
  }
  // alpha ↔ bravo: one mutual trust link; alpha's network; delta goes offline.
  await clients[0].reportTrust(ids[1]);
  await clients[1].reportTrust(ids[0]);
  await clients[0].networkCreate("lab", "open");
  await clients[3].deregister();
  return { ids, secrets };
}

async function expectedRows(reg: RegistryHandle, ids: number[], tag: string | null): Promise<Row[]> {
  const rows: Row[] = [];
  for (const id of ids) {
    const node = await reg.store.read((tx) => tx.nodeById(id));
    assert.ok(node !== null);
    if (!node.public || (tag !== null && !node.tags.includes(tag))) continue;
    const online = node.lastSeenMs > 0 && Date.now() - node.lastSeenMs < ONLINE_EXPIRY_MS;
    rows.push({
      id,
      hostname: node.hostname ?? "",
      address: formatAddr({ network: 0, node: id }),
      tags: [...node.tags],
      online: online ? "online" : "offline",
    });
  }
  return rows;
}

async function screenshot(page: Page, dir: string, name: string): Promise<void> {
  const path = `${dir}/${name}`;
  await page.screenshot(path);
  console.log(`dashboard screenshot: ${path}`);
}

browserTest("dashboard e2e: chromium renders the store's counts and public directory, and filters by tag", async () => {
  await using reg = await startTestRegistry({ dashboardListen: "127.0.0.1:0" });
  const clients: RegistryClient[] = [];
  const artifacts = await artifactDir();
  try {
    const { ids, secrets } = await populate(reg, clients);
    const counts = await reg.store.read((tx) => tx.counts(Date.now() - ONLINE_EXPIRY_MS));

    await using browser = await Browser.launch();
    const page = await browser.newPage();
    await page.goto(reg.readyData().dashboard!);
    // The script's first refresh replaces the server-rendered page: from here on, what we read is its rendering.
    await page.waitFor("Number(document.body.dataset.renders) >= 1");

    assert.deepEqual(await page.evaluate(READ_STATS), {
      nodes: counts.nodes,
      online: counts.online,
      public: NODES.filter((n) => n.public).length,
      trust_links: counts.mutualTrustLinks,
      networks: counts.networks,
      tags: counts.tags,
    });
    assert.deepEqual([counts.nodes, counts.online, counts.mutualTrustLinks, counts.networks], [6, 5, 1, 1]);
    const all = await page.evaluate<Row[]>(READ_ROWS);
    assert.deepEqual(all, await expectedRows(reg, ids, null));
    assert.deepEqual(all.map((r) => [r.hostname, r.online]), [
      ["alpha", "online"],
      ["bravo", "online"],
      ["charlie", "online"],
      ["delta", "offline"],
    ]);
    assert.equal(await page.evaluate("document.getElementById('summary').textContent"), "4 public nodes");
    await screenshot(page, artifacts, "dashboard.png");

    // The filter, as a user applies it: type a tag and submit the form.
    await page.evaluate(`(() => {
      document.getElementById("tag-input").value = "#gpu";
      document.getElementById("filter").requestSubmit();
      return true;
    })()`);
    await page.waitFor(`document.body.dataset.tag === "gpu"`);
    const gpu = await page.evaluate<Row[]>(READ_ROWS);
    assert.deepEqual(gpu, await expectedRows(reg, ids, "gpu"));
    assert.deepEqual(gpu.map((r) => r.hostname), ["alpha", "bravo"]);
    assert.equal(await page.evaluate("location.search"), "?tag=gpu");
    await screenshot(page, artifacts, "dashboard-tag-gpu.png");

    // A tag chip in a row filters too.
    await page.evaluate(`(document.querySelector('#directory a[data-tag="llm"]').click(), true)`);
    await page.waitFor(`document.body.dataset.tag === "llm"`);
    assert.deepEqual((await page.evaluate<Row[]>(READ_ROWS)).map((r) => r.hostname), ["alpha", "delta"]);

    // Paging, two rows at a time: the next link carries the cursor and the filter.
    await page.goto(`${reg.readyData().dashboard!}?limit=2`);
    await page.waitFor("Number(document.body.dataset.renders) >= 1");
    assert.deepEqual((await page.evaluate<Row[]>(READ_ROWS)).map((r) => r.hostname), ["alpha", "bravo"]);
    await page.evaluate(`(document.getElementById("next").click(), true)`);
    await page.waitFor(`document.querySelector("#directory tbody tr")?.dataset.nodeId === "${ids[2]}"`);
    assert.deepEqual((await page.evaluate<Row[]>(READ_ROWS)).map((r) => r.hostname), ["charlie", "delta"]);
    assert.equal(await page.evaluate("document.getElementById('next').hidden"), true);
    assert.equal(await page.evaluate("location.search"), `?cursor=${ids[1]}&limit=2`);

    const html = await page.evaluate<string>("document.documentElement.outerHTML");
    for (const s of secrets) assert.ok(!html.includes(s), `the page shows ${s}`);
    assert.ok(!html.includes("vault"), "the page shows a private node's tag");
    assert.deepEqual(page.errors, [], `page errors:\n${page.errors.join("\n")}`);
  } finally {
    for (const c of clients) await c.close();
  }
});
