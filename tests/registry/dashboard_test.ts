// The dashboard's data (CLI.md §3.2 `--dashboard`, PROTOCOL-BRIEF §4.3, §4.5): query parsing, paging and the tag
// filter over a directory snapshot, the walk that builds it from the store, the shared cache in front of the store,
// the JSON the API serves, and the HTML page's escaping and Content-Security-Policy. In-process store, manual clock.
import assert from "node:assert/strict";
import { sha256 } from "../../src/crypto/hash.ts";
import { toBase64, utf8 } from "../../src/util/bytes.ts";
import { ManualClock } from "../../src/util/clock.ts";
import { DashboardData, DIRECTORY_MIN_AGE_MS, STATS_FRESH_MS } from "../../src/registry/dashboard.ts";
import { parseDirectoryQuery } from "../../src/registry/dashboard_api.ts";
import { SingleFlightCache } from "../../src/registry/dashboard_cache.ts";
import {
  DEFAULT_SCAN_LIMITS,
  DIRECTORY_SCAN_GAP_IDS,
  type DirectoryEntry,
  directoryPage,
  type DirectorySnapshot,
  type DirectoryStore,
  scanPublicDirectory,
} from "../../src/registry/dashboard_directory.ts";
import type { NodeRecord, StoreTx } from "../../src/registry/store.ts";
import { dashboardCsp, escapeHtml, renderDashboardPage } from "../../src/registry/dashboard_page.ts";
import { Harness } from "./helpers.ts";

const NOW = 1_767_225_600_000;

function snapshot(entries: DirectoryEntry[]): DirectorySnapshot {
  return { takenAtMs: NOW, publicNodes: entries.length, entries, topTags: [], truncated: false };
}

function entry(nodeId: number, tags: string[] = [], lastSeenMs = NOW): DirectoryEntry {
  return { nodeId, hostname: `n${nodeId}`, tags, lastSeenMs };
}

Deno.test("parseDirectoryQuery() defaults to the first page of 50 without a filter", () => {
  assert.deepEqual(parseDirectoryQuery(new URLSearchParams("")), {
    ok: true,
    query: { tag: null, afterNodeId: 0, limit: 50 },
  });
  assert.deepEqual(parseDirectoryQuery(new URLSearchParams("tag=%23gpu&cursor=300&limit=100&x=1")), {
    ok: true,
    query: { tag: "gpu", afterNodeId: 300, limit: 100 },
  });
});

Deno.test("parseDirectoryQuery() rejects bad tags, cursors and limits, naming the field", () => {
  const cases: [string, string][] = [
    ["tag=GPU", "tag"],
    ["tag=a%20b", "tag"],
    ["tag=%3Cscript%3E", "tag"],
    ["cursor=-1", "cursor"],
    ["cursor=01", "cursor"],
    ["cursor=4294967296", "cursor"],
    ["limit=0", "limit"],
    ["limit=101", "limit"],
    ["limit=1e2", "limit"],
  ];
  for (const [qs, field] of cases) {
    const r = parseDirectoryQuery(new URLSearchParams(qs));
    assert.equal(r.ok, false, qs);
    if (!r.ok) assert.equal(r.field, field, qs);
  }
});

Deno.test("directoryPage() pages by node id after the cursor and filters by tag", () => {
  const snap = snapshot([entry(256, ["gpu"]), entry(257), entry(259, ["gpu", "llm"]), entry(300, ["gpu"])]);
  const first = directoryPage(snap, { tag: null, afterNodeId: 0, limit: 3 }, NOW);
  assert.deepEqual(first.rows.map((r) => r.nodeId), [256, 257, 259]);
  assert.equal(first.total, 4);
  assert.equal(first.nextCursor, 259);
  const second = directoryPage(snap, { tag: null, afterNodeId: 259, limit: 3 }, NOW);
  assert.deepEqual(second.rows.map((r) => r.nodeId), [300]);
  assert.equal(second.nextCursor, null);
  const gpu = directoryPage(snap, { tag: "gpu", afterNodeId: 256, limit: 1 }, NOW);
  assert.deepEqual(gpu.rows.map((r) => r.nodeId), [259]);
  assert.equal(gpu.total, 3);
  assert.equal(gpu.nextCursor, 259);
  assert.equal(directoryPage(snap, { tag: "none", afterNodeId: 0, limit: 50 }, NOW).total, 0);
});

Deno.test("directoryPage() shows a node online only while its last heartbeat is under 180 s old", () => {
  const snap = snapshot([entry(256, [], NOW - 179_999), entry(257, [], NOW - 180_000), entry(258, [], 0)]);
  const rows = directoryPage(snap, { tag: null, afterNodeId: 0, limit: 50 }, NOW).rows;
  assert.deepEqual(rows.map((r) => r.online), [true, false, false]);
});

async function populated(h: Harness) {
  const a = await h.register({ hostname: "alpha", public: true });
  const b = await h.register({ hostname: "bravo", public: true });
  const c = await h.register({ hostname: "covert", public: false });
  const d = await h.register({ public: true });
  await h.call(a, "set_tags", { tags: ["gpu", "llm"] });
  await h.call(b, "set_tags", { tags: ["gpu"] });
  await h.call(c, "set_tags", { tags: ["gpu", "vault"] });
  await h.call(a, "report_trust", { peer: b.nodeId });
  await h.call(b, "report_trust", { peer: a.nodeId });
  await h.call(a, "network_create", { name: "lab", join_rule: "open" });
  return { a, b, c, d };
}

Deno.test("scanPublicDirectory() keeps the public nodes only and counts their tags", async () => {
  const h = await Harness.create();
  try {
    const { a, b, d } = await populated(h);
    const snap = await scanPublicDirectory(h.store, h.clock, new AbortController().signal);
    assert.equal(snap.publicNodes, 3);
    assert.equal(snap.truncated, false);
    assert.equal(snap.takenAtMs, h.clock.now());
    assert.deepEqual(snap.entries, [
      { nodeId: a.nodeId, hostname: "alpha", tags: ["gpu", "llm"], lastSeenMs: h.clock.now() },
      { nodeId: b.nodeId, hostname: "bravo", tags: ["gpu"], lastSeenMs: h.clock.now() },
      { nodeId: d.nodeId, hostname: null, tags: [], lastSeenMs: h.clock.now() },
    ]);
    assert.deepEqual(snap.topTags, [{ tag: "gpu", nodes: 2 }, { tag: "llm", nodes: 1 }]);
  } finally {
    await h.close();
  }
});

Deno.test("scanPublicDirectory() reads in batches and marks the snapshot truncated at its limits", async () => {
  const h = await Harness.create();
  try {
    await populated(h);
    const signal = new AbortController().signal;
    const small = { ...DEFAULT_SCAN_LIMITS, batchNodes: 1 };
    assert.equal((await scanPublicDirectory(h.store, h.clock, signal, small)).publicNodes, 3);
    const fewNodes = await scanPublicDirectory(h.store, h.clock, signal, { ...small, maxScanNodes: 2 });
    assert.deepEqual([fewNodes.publicNodes, fewNodes.truncated], [2, true]);
    const fewEntries = await scanPublicDirectory(h.store, h.clock, signal, { ...small, maxEntries: 1 });
    assert.deepEqual([fewEntries.publicNodes, fewEntries.entries.length, fewEntries.truncated], [3, 1, true]);
    const aborted = new AbortController();
    aborted.abort();
    await assert.rejects(scanPublicDirectory(h.store, h.clock, aborted.signal));
  } finally {
    await h.close();
  }
});

/** A store holding nodes at the given ids only: enough StoreTx for the walk. */
function sparseStore(ids: readonly number[]): DirectoryStore {
  const tx = {
    counts: () => Promise.resolve({ nodes: ids.length, online: 0, mutualTrustLinks: 0, tags: 0, networks: 0 }),
    nodeById: (id: number) =>
      Promise.resolve(
        ids.includes(id)
          ? { nodeId: id, hostname: null, tags: [], public: true, lastSeenMs: 0 } as unknown as NodeRecord
          : null,
      ),
  } as unknown as StoreTx;
  return { read: (fn) => fn(tx) };
}

Deno.test("scanPublicDirectory() walks past gaps in the id range and stops after DIRECTORY_SCAN_GAP_IDS empty ids", async () => {
  const signal = new AbortController().signal;
  const spread = [256, 300, 300 + DIRECTORY_SCAN_GAP_IDS, 300 + 2 * DIRECTORY_SCAN_GAP_IDS];
  const all = await scanPublicDirectory(sparseStore(spread), new ManualClock(), signal);
  assert.deepEqual(all.entries.map((e) => e.nodeId), spread);
  assert.equal(all.truncated, false);
  const far = [256, 300, 300 + DIRECTORY_SCAN_GAP_IDS + 1];
  const cut = await scanPublicDirectory(sparseStore(far), new ManualClock(), signal);
  assert.deepEqual(cut.entries.map((e) => e.nodeId), [256, 300]);
  assert.equal(cut.truncated, true);
});

Deno.test("SingleFlightCache runs one load for concurrent readers and reloads only once stale", async () => {
  const clock = new ManualClock();
  let loads = 0;
  const cache = new SingleFlightCache(() => Promise.resolve(++loads), clock, {
    freshForMs: () => 1_000,
    serveStale: false,
  });
  assert.deepEqual(await Promise.all([cache.get(), cache.get(), cache.get()]), [1, 1, 1]);
  clock.advance(999);
  assert.equal(await cache.get(), 1);
  clock.advance(1);
  assert.equal(await cache.get(), 2);
  await cache.close();
  await assert.rejects(cache.get(), /dashboard is closed/);
});

Deno.test("SingleFlightCache serves a stale value during a reload and hands a failed first load to its waiter", async () => {
  const clock = new ManualClock();
  let fail = true;
  let loads = 0;
  const cache = new SingleFlightCache(
    () => {
      if (fail) return Promise.reject(new Error("store down"));
      return Promise.resolve(++loads);
    },
    clock,
    { freshForMs: () => 1_000, serveStale: true },
  );
  await assert.rejects(cache.get(), /store down/);
  fail = false;
  assert.equal(await cache.get(), 1);
  clock.advance(1_000);
  assert.equal(await cache.get(), 1, "the stale value, while the reload runs");
  await cache.settled();
  assert.equal(await cache.get(), 2, "the reloaded value");
  await cache.close();
});

Deno.test("DashboardData serves the store's counts with the public directory and caches both", async () => {
  const h = await Harness.create();
  const data = new DashboardData({ store: h.store, clock: h.clock });
  try {
    const { a, b, d } = await populated(h);
    assert.deepEqual(await data.stats(), {
      nodes: 4,
      online: 4,
      public: 3,
      trust_links: 1,
      networks: 1,
      tags: 3,
      public_tags: [{ tag: "gpu", nodes: 2 }, { tag: "llm", nodes: 1 }],
    });
    const page = await data.nodes({ tag: null, afterNodeId: 0, limit: 2 });
    assert.deepEqual(page, {
      nodes: [
        { node_id: a.nodeId, address: "0:0000.0000.0100", hostname: "alpha", tags: ["gpu", "llm"], online: true },
        { node_id: b.nodeId, address: "0:0000.0000.0101", hostname: "bravo", tags: ["gpu"], online: true },
      ],
      total: 3,
      tag: null,
      next_cursor: String(b.nodeId),
      updated_ms: h.clock.now(),
      truncated: false,
    });
    const rest = await data.nodes({ tag: null, afterNodeId: b.nodeId, limit: 2 });
    assert.deepEqual(rest.nodes.map((n) => n.node_id), [d.nodeId]);
    assert.equal(rest.next_cursor, undefined);
    assert.equal(rest.nodes[0].hostname, undefined);

    // A new public node shows in the counts after STATS_FRESH_MS and in the directory after DIRECTORY_MIN_AGE_MS.
    await h.register({ hostname: "echo", public: true });
    assert.equal((await data.stats()).nodes, 4);
    h.clock.advance(STATS_FRESH_MS);
    assert.deepEqual([(await data.stats()).nodes, (await data.stats()).public], [5, 3]);
    h.clock.advance(DIRECTORY_MIN_AGE_MS);
    assert.equal((await data.stats()).public, 3, "the old snapshot, while the rebuild runs");
    await data.settled();
    assert.equal((await data.stats()).public, 4);
    // Three minutes without a heartbeat: offline in the directory.
    h.clock.advance(180_000);
    assert.equal((await data.nodes({ tag: "gpu", afterNodeId: 0, limit: 50 })).nodes[0].online, false);
  } finally {
    await data.close();
    await h.close();
  }
});

Deno.test("DashboardData.close() stops a directory walk between batches and fails its waiters", async () => {
  let reads = 0;
  let release: () => void = () => {};
  let reached: () => void = () => {};
  const gate = new Promise<void>((resolve) => release = resolve);
  const blocked = new Promise<void>((resolve) => reached = resolve);
  const inner = sparseStore(Array.from({ length: 1000 }, (_, i) => 256 + i));
  const store: DirectoryStore = {
    read: async (fn) => {
      // The counts, one batch, then the walk's second batch waits here.
      if (++reads === 3) {
        reached();
        await gate;
      }
      return await inner.read(fn);
    },
  };
  const data = new DashboardData({ store, clock: new ManualClock() });
  const nodes = data.nodes({ tag: null, afterNodeId: 0, limit: 10 });
  await blocked;
  const closing = data.close();
  release();
  await closing;
  await assert.rejects(nodes, (err: Error) => err.name === "AbortError");
  assert.equal(reads, 3, "no batch read after close()");
  await assert.rejects(data.stats(), /dashboard is closed/);
});

Deno.test("escapeHtml() escapes the five HTML metacharacters", () => {
  assert.equal(
    escapeHtml(`<a href="x" title='y'>&</a>`),
    "&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;",
  );
});

Deno.test("renderDashboardPage() escapes store text and its CSP admits exactly its inline style and script", () => {
  const hostile = `<img src=x onerror="alert(1)">`;
  const html = renderDashboardPage({
    stats: {
      nodes: 1,
      online: 1,
      public: 1,
      trust_links: 0,
      networks: 0,
      tags: 1,
      public_tags: [{ tag: hostile, nodes: 1 }],
    },
    nodes: {
      nodes: [{ node_id: 256, address: "0:0000.0000.0100", hostname: hostile, tags: [hostile], online: true }],
      total: 1,
      tag: null,
      updated_ms: NOW,
      truncated: false,
    },
    error: `invalid tag "</p><script>x</script>"`,
    tagInput: `"><script>`,
    limit: null,
  });
  assert.ok(!html.includes("<img"), "an unescaped tag from the store");
  assert.ok(html.includes("&lt;img src=x onerror=&quot;alert(1)&quot;&gt;"));
  assert.equal(html.split("<script>").length, 2, "exactly one script element: the page's own");
  assert.ok(html.includes(`value="&quot;&gt;&lt;script&gt;"`));
  const hash = (open: string, close: string) => {
    const body = html.slice(html.indexOf(open) + open.length, html.indexOf(close));
    return `'sha256-${toBase64(sha256(utf8(body)))}'`;
  };
  const csp = dashboardCsp();
  assert.ok(csp.includes(`script-src ${hash("<script>", "</script>")};`), csp);
  assert.ok(csp.includes(`style-src ${hash("<style>", "</style>")};`), csp);
  assert.ok(csp.startsWith("default-src 'none'"));
});
