// The dashboard's directory of public nodes (CLI.md §3.2 `--dashboard`; PROTOCOL-BRIEF §4.3: a public node is visible
// to everyone, a private one to nobody here). The store interface has no "list nodes" query, so the directory is a
// snapshot built by walking the node-id range — ids are handed out one after another from FIRST_ASSIGNED_NODE and
// never reused (§4.6) — in small read transactions, so registry requests interleave with the walk. Only what a
// stranger may see is kept: node id, hostname, tags, last-seen time. Paging and the tag filter work on the snapshot.
import type { Clock } from "../util/clock.ts";
import { FIRST_ASSIGNED_NODE, NODE_MAX } from "../wire/mod.ts";
import { ONLINE_EXPIRY_MS } from "./context.ts";
import type { NodeRecord, StoreTx } from "./store.ts";

/** Node ids read per read transaction. */
export const DIRECTORY_SCAN_BATCH_NODES = 256;
/**
 * Consecutive ids without a node after which the walk ends early: ids are dense today, but a store that allocates
 * them outside the registering transaction could leave gaps.
 */
export const DIRECTORY_SCAN_GAP_IDS = 4096;
/** Most nodes one walk reads; beyond it the directory is marked truncated. */
export const DIRECTORY_SCAN_MAX_NODES = 250_000;
/** Most public nodes kept in memory (about 200 bytes each). */
export const DIRECTORY_MAX_ENTRIES = 50_000;
export const DIRECTORY_PAGE_DEFAULT = 50;
export const DIRECTORY_PAGE_MAX = 100;
/** Tags listed with their counts in the stats. */
export const DIRECTORY_TOP_TAGS = 20;

/** The store as the directory uses it: read-only transactions. */
export interface DirectoryStore {
  read<T>(fn: (tx: StoreTx) => Promise<T>): Promise<T>;
}

export interface ScanLimits {
  readonly batchNodes: number;
  readonly maxScanNodes: number;
  readonly maxEntries: number;
}

export const DEFAULT_SCAN_LIMITS: ScanLimits = {
  batchNodes: DIRECTORY_SCAN_BATCH_NODES,
  maxScanNodes: DIRECTORY_SCAN_MAX_NODES,
  maxEntries: DIRECTORY_MAX_ENTRIES,
};

export interface DirectoryEntry {
  readonly nodeId: number;
  readonly hostname: string | null;
  readonly tags: readonly string[];
  /** Unix ms of the last register/heartbeat the store holds; 0 = offline. */
  readonly lastSeenMs: number;
}

export interface TagCount {
  readonly tag: string;
  readonly nodes: number;
}

export interface DirectorySnapshot {
  /** Unix ms when the walk started. */
  readonly takenAtMs: number;
  /** Public nodes among the nodes read. */
  readonly publicNodes: number;
  /** Public nodes by ascending node id, at most ScanLimits.maxEntries. */
  readonly entries: readonly DirectoryEntry[];
  /** Public nodes per tag, most used first (ties by tag), at most DIRECTORY_TOP_TAGS. */
  readonly topTags: readonly TagCount[];
  /** The walk stopped at a limit: the directory and its counts cover only part of the nodes. */
  readonly truncated: boolean;
}

export interface DirectoryQuery {
  /** A normalized tag, or null for every public node. */
  readonly tag: string | null;
  /** Rows start after this node id (the cursor); 0 for the first page. */
  readonly afterNodeId: number;
  readonly limit: number;
}

export interface DirectoryRow {
  readonly nodeId: number;
  readonly hostname: string | null;
  readonly tags: readonly string[];
  readonly online: boolean;
}

export interface DirectoryPage {
  readonly rows: readonly DirectoryRow[];
  /** Public nodes matching the filter. */
  readonly total: number;
  /** The cursor of the next page, or null on the last one. */
  readonly nextCursor: number | null;
}

/** PROTOCOL-BRIEF §4.5: online while the last register/heartbeat is less than 180 s old. */
export function isOnline(lastSeenMs: number, nowMs: number): boolean {
  return lastSeenMs > 0 && nowMs - lastSeenMs < ONLINE_EXPIRY_MS;
}

function entryOf(node: NodeRecord): DirectoryEntry {
  return { nodeId: node.nodeId, hostname: node.hostname, tags: [...node.tags], lastSeenMs: node.lastSeenMs };
}

function topTags(counts: ReadonlyMap<string, number>): TagCount[] {
  return [...counts]
    .map(([tag, nodes]) => ({ tag, nodes }))
    .sort((a, b) => b.nodes - a.nodes || (a.tag < b.tag ? -1 : a.tag > b.tag ? 1 : 0))
    .slice(0, DIRECTORY_TOP_TAGS);
}

/** Walks the node-id range and keeps the public nodes; checks `signal` between transactions. */
export async function scanPublicDirectory(
  store: DirectoryStore,
  clock: Clock,
  signal: AbortSignal,
  limits: ScanLimits = DEFAULT_SCAN_LIMITS,
): Promise<DirectorySnapshot> {
  const takenAtMs = clock.now();
  const expected = (await store.read((tx) => tx.counts(takenAtMs - ONLINE_EXPIRY_MS))).nodes;
  const entries: DirectoryEntry[] = [];
  const tagCounts = new Map<string, number>();
  let read = 0;
  let publicNodes = 0;
  let missing = 0;
  let nextId = FIRST_ASSIGNED_NODE;
  while (read < expected && read < limits.maxScanNodes && missing < DIRECTORY_SCAN_GAP_IDS && nextId <= NODE_MAX) {
    signal.throwIfAborted();
    const ids: number[] = [];
    for (; ids.length < limits.batchNodes && nextId <= NODE_MAX; nextId++) ids.push(nextId);
    const nodes = await store.read((tx) => Promise.all(ids.map((id) => tx.nodeById(id))));
    for (const node of nodes) {
      if (missing >= DIRECTORY_SCAN_GAP_IDS) break;
      if (node === null) {
        missing++;
        continue;
      }
      missing = 0;
      read++;
      if (!node.public) continue;
      publicNodes++;
      for (const tag of node.tags) tagCounts.set(tag, (tagCounts.get(tag) ?? 0) + 1);
      if (entries.length < limits.maxEntries) entries.push(entryOf(node));
    }
  }
  return {
    takenAtMs,
    publicNodes,
    entries,
    topTags: topTags(tagCounts),
    truncated: read < expected || publicNodes > entries.length,
  };
}

/** Index of the first entry with a node id above `afterNodeId` (entries are sorted by node id). */
function firstAfter(entries: readonly DirectoryEntry[], afterNodeId: number): number {
  let lo = 0;
  let hi = entries.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (entries[mid].nodeId <= afterNodeId) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** One page of the snapshot, filtered by tag, with `online` as of `nowMs`. */
export function directoryPage(snap: DirectorySnapshot, q: DirectoryQuery, nowMs: number): DirectoryPage {
  const tag = q.tag;
  const matching = tag === null ? snap.entries : snap.entries.filter((e) => e.tags.includes(tag));
  const start = firstAfter(matching, q.afterNodeId);
  const slice = matching.slice(start, start + q.limit);
  const rows = slice.map((e) => ({
    nodeId: e.nodeId,
    hostname: e.hostname,
    tags: e.tags,
    online: isOnline(e.lastSeenMs, nowMs),
  }));
  const more = start + q.limit < matching.length;
  return { rows, total: matching.length, nextCursor: more ? slice[slice.length - 1].nodeId : null };
}
