// The dashboard's HTML page (CLI.md §3.2 `--dashboard`): one self-contained document — inline CSS and script, no
// external assets — rendered on the server from the same JSON the API serves (so it works without script), then kept
// current by the script, which re-fetches /api/stats and /api/nodes every DASHBOARD_REFRESH_S and applies the tag
// filter and paging in place. Everything from the store is HTML-escaped here and set with textContent in the script.
// The Content-Security-Policy allows only these two inline blocks, by hash.
import { sha256 } from "../crypto/hash.ts";
import { toBase64, utf8 } from "../util/bytes.ts";
import type { NodesJson, StatsJson } from "./dashboard_api.ts";
import { DASHBOARD_SCRIPT, DASHBOARD_STYLE } from "./dashboard_assets.ts";

/** What the page shows: the two API replies (or an error for a bad filter). */
export interface DashboardView {
  readonly stats: StatsJson;
  readonly nodes: NodesJson;
  /** A rejected filter, shown instead of the directory. */
  readonly error: string | null;
  /** The filter as typed, echoed into the input. */
  readonly tagInput: string;
  /** The page size asked for in the URL, kept in links; null for the default. */
  readonly limit: number | null;
}

const STAT_LABELS: readonly (readonly [keyof StatsJson, string])[] = [
  ["nodes", "Nodes"],
  ["online", "Online"],
  ["public", "Public"],
  ["trust_links", "Trust links"],
  ["networks", "Networks"],
  ["tags", "Tags in use"],
];

const HTML_ESCAPES: Readonly<Record<string, string>> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]);
}

function hashSource(text: string): string {
  return `'sha256-${toBase64(sha256(utf8(text)))}'`;
}

/** The page's Content-Security-Policy: its own inline style and script, fetches to itself, nothing else. */
export function dashboardCsp(): string {
  return [
    "default-src 'none'",
    `script-src ${hashSource(DASHBOARD_SCRIPT)}`,
    `style-src ${hashSource(DASHBOARD_STYLE)}`,
    "connect-src 'self'",
    "img-src data:",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join("; ");
}

function filterHref(tag: string | null, limit: number | null, cursor?: string): string {
  const q = new URLSearchParams();
  if (tag !== null) q.set("tag", tag);
  if (cursor !== undefined) q.set("cursor", cursor);
  if (limit !== null) q.set("limit", String(limit));
  const s = q.toString();
  return s === "" ? "/" : `/?${s}`;
}

/** Links that filter by a tag; the current filter's is marked active. */
function tagLink(tag: string, v: DashboardView, count?: number): string {
  const cls = tag === v.nodes.tag ? "tag active" : "tag";
  const suffix = count === undefined ? "" : ` <span class="count">${Number(count)}</span>`;
  return `<a class="${cls}" href="${escapeHtml(filterHref(tag, v.limit))}" data-tag="${escapeHtml(tag)}">${
    escapeHtml(tag)
  }${suffix}</a>`;
}

function statsHtml(s: StatsJson): string {
  return STAT_LABELS.map(([key, label]) =>
    `<div class="stat"><div class="num" id="stat-${key}">${Number(s[key])}</div><div class="label">${label}</div></div>`
  ).join("\n");
}

function rowsHtml(v: DashboardView): string {
  return v.nodes.nodes.map((node) =>
    `<tr data-node-id="${Number(node.node_id)}"><td class="hostname">${escapeHtml(node.hostname ?? "")}</td>` +
    `<td class="address">${escapeHtml(node.address)}</td>` +
    `<td class="tags">${node.tags.map((t) => tagLink(t, v)).join(" ")}</td>` +
    `<td class="online ${node.online ? "yes" : "no"}">${node.online ? "online" : "offline"}</td></tr>`
  ).join("\n");
}

function directorySummary(n: NodesJson): string {
  const what = n.total === 1 ? "public node" : "public nodes";
  return `${n.total} ${what}${n.tag === null ? "" : ` tagged ${n.tag}`}${n.truncated ? " (directory truncated)" : ""}`;
}

export function renderDashboardPage(v: DashboardView): string {
  const n = v.nodes;
  const next = n.next_cursor === undefined ? "" : ` href="${escapeHtml(filterHref(n.tag, v.limit, n.next_cursor))}"`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>pilot registry</title><link rel="icon" href="data:,">
<style>${DASHBOARD_STYLE}</style></head>
<body data-renders="0">
<header><h1>pilot registry</h1><span id="status">updated ${new Date(n.updated_ms).toISOString()}</span></header>
<main>
<section class="stats" aria-label="network stats">
${statsHtml(v.stats)}
</section>
<section class="panel"><h2>Tags on public nodes</h2><div id="top-tags">${
    v.stats.public_tags.map((t) => tagLink(t.tag, v, t.nodes)).join(" ")
  }</div></section>
<section class="panel"><h2>Directory of public nodes</h2>
<form id="filter" method="get" action="/"><label for="tag-input">Tag</label>
<input id="tag-input" name="tag" value="${
    escapeHtml(v.tagInput)
  }" placeholder="e.g. gpu" maxlength="64" autocomplete="off">
<button type="submit">Filter</button> <a id="clear" href="/">clear</a></form>
<p id="error" class="error"${v.error === null ? " hidden" : ""}>${escapeHtml(v.error ?? "")}</p>
<p id="summary">${escapeHtml(directorySummary(n))}</p>
<table id="directory"><thead><tr><th>Hostname</th><th>Address</th><th>Tags</th><th>Status</th></tr></thead>
<tbody>
${rowsHtml(v)}
</tbody></table>
<nav class="pager"><a id="first" href="${escapeHtml(filterHref(n.tag, v.limit))}">first page</a>
<a id="next"${next}${n.next_cursor === undefined ? " hidden" : ""}>next page</a></nav>
</section>
</main>
<script>${DASHBOARD_SCRIPT}</script>
</body></html>
`;
}
