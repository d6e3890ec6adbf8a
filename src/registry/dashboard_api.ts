// The dashboard's JSON (CLI.md §3.2 `--dashboard`): `/api/stats` (node, online, public, trust-link, network and tag
// counts) and `/api/nodes` (one page of the public directory, §4.3), and the parsing of their query strings. Only
// counts, node ids, addresses, hostnames, tags and online flags leave here — never keys, e-mails or endpoints —
// because these objects are built field by field, never copied from store records.
import { formatAddr, NETWORK_BACKBONE, NODE_MAX } from "../wire/mod.ts";
import {
  DIRECTORY_PAGE_DEFAULT,
  DIRECTORY_PAGE_MAX,
  type DirectoryPage,
  type DirectoryQuery,
  type DirectorySnapshot,
} from "./dashboard_directory.ts";
import { RegistryError } from "./protocol.ts";
import type { StoreCounts } from "./store.ts";
import { normalizeTags } from "./validation.ts";

/** `/api/stats`. */
export interface StatsJson {
  readonly nodes: number;
  readonly online: number;
  readonly public: number;
  readonly trust_links: number;
  readonly networks: number;
  /** Distinct tags in use (public and private nodes). */
  readonly tags: number;
  /** Public nodes per tag, most used first. */
  readonly public_tags: readonly { readonly tag: string; readonly nodes: number }[];
}

export interface NodeJson {
  readonly node_id: number;
  readonly address: string;
  readonly hostname?: string;
  readonly tags: readonly string[];
  readonly online: boolean;
}

/** `/api/nodes`. */
export interface NodesJson {
  readonly nodes: readonly NodeJson[];
  /** Public nodes matching the filter. */
  readonly total: number;
  readonly tag: string | null;
  readonly next_cursor?: string;
  /** Unix ms of the directory snapshot. */
  readonly updated_ms: number;
  /** The directory covers only part of the nodes (DIRECTORY_SCAN_MAX_NODES, DIRECTORY_MAX_ENTRIES). */
  readonly truncated: boolean;
}

export function statsJson(counts: StoreCounts, snap: DirectorySnapshot): StatsJson {
  return {
    nodes: counts.nodes,
    online: counts.online,
    public: snap.publicNodes,
    trust_links: counts.mutualTrustLinks,
    networks: counts.networks,
    tags: counts.tags,
    public_tags: snap.topTags.map((t) => ({ tag: t.tag, nodes: t.nodes })),
  };
}

export function nodesJson(page: DirectoryPage, query: DirectoryQuery, snap: DirectorySnapshot): NodesJson {
  const nodes = page.rows.map((r): NodeJson => ({
    node_id: r.nodeId,
    address: formatAddr({ network: NETWORK_BACKBONE, node: r.nodeId }),
    ...(r.hostname === null ? {} : { hostname: r.hostname }),
    tags: [...r.tags],
    online: r.online,
  }));
  return {
    nodes,
    total: page.total,
    tag: query.tag,
    ...(page.nextCursor === null ? {} : { next_cursor: String(page.nextCursor) }),
    updated_ms: snap.takenAtMs,
    truncated: snap.truncated,
  };
}

export type QueryResult =
  | { readonly ok: true; readonly query: DirectoryQuery }
  | { readonly ok: false; readonly field: string; readonly message: string };

const DECIMAL_RE = /^(0|[1-9][0-9]{0,9})$/;

function bad(field: string, message: string): QueryResult {
  return { ok: false, field, message };
}

/** `tag` (one tag, `#` optional, "" = none), `cursor` (a node id) and `limit` (1–100, default 50). */
export function parseDirectoryQuery(params: URLSearchParams): QueryResult {
  const rawTag = (params.get("tag") ?? "").trim();
  let tag: string | null = null;
  if (rawTag !== "") {
    try {
      tag = normalizeTags([rawTag], "tag")[0];
    } catch (err) {
      if (err instanceof RegistryError) return bad("tag", err.message);
      throw err;
    }
  }
  const rawCursor = params.get("cursor") ?? "";
  let afterNodeId = 0;
  if (rawCursor !== "") {
    if (!DECIMAL_RE.test(rawCursor) || Number(rawCursor) > NODE_MAX) {
      return bad("cursor", `invalid cursor ${JSON.stringify(rawCursor.slice(0, 32))}: want a node id`);
    }
    afterNodeId = Number(rawCursor);
  }
  const rawLimit = params.get("limit") ?? "";
  let limit = DIRECTORY_PAGE_DEFAULT;
  if (rawLimit !== "") {
    const n = DECIMAL_RE.test(rawLimit) ? Number(rawLimit) : NaN;
    if (!(n >= 1 && n <= DIRECTORY_PAGE_MAX)) {
      return bad("limit", `invalid limit ${JSON.stringify(rawLimit.slice(0, 32))}: want 1-${DIRECTORY_PAGE_MAX}`);
    }
    limit = n;
  }
  return { ok: true, query: { tag, afterNodeId, limit } };
}
