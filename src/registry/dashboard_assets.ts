// The dashboard page's inline style and script (CLI.md §3.2 `--dashboard`), kept apart from the HTML template so the
// page can allow exactly these two blocks by hash (dashboard_page.ts). The script reads only the page's own API and
// builds every node with textContent, so nothing from the store is ever parsed as HTML. It must stay free of
// `</script>` and of any per-request content: its hash is fixed.

/** How often the open page re-fetches the stats and its directory page. */
export const DASHBOARD_REFRESH_S = 10;

export const DASHBOARD_STYLE = `
:root{--bg:#f6f7f9;--fg:#1d2430;--muted:#667085;--card:#fff;--line:#e3e6eb;--accent:#2456c7;--ok:#17803d;--off:#98a2b3}
*{box-sizing:border-box}
body{margin:0;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;background:var(--bg);
color:var(--fg)}
header{display:flex;align-items:baseline;gap:1em;padding:.9em 1.5em;background:#1d2430;color:#fff}
header h1{margin:0;font-size:1.25em;font-weight:600}
#status{color:#c5cbd6;font-size:.85em}
main{max-width:1100px;margin:0 auto;padding:1.2em 1.5em}
.stats{display:grid;grid-template-columns:repeat(auto-fit,minmax(140px,1fr));gap:.8em}
.stat,.panel{background:var(--card);border:1px solid var(--line);border-radius:8px}
.stat{padding:.8em 1em}
.stat .num{font-size:1.9em;font-weight:650;font-variant-numeric:tabular-nums}
.stat .label{color:var(--muted);font-size:.85em;text-transform:uppercase;letter-spacing:.04em}
.panel{margin-top:1em;padding:.9em 1.1em}
.panel h2{margin:0 0 .6em;font-size:1em}
.tag{display:inline-block;padding:.05em .55em;margin:.1em .2em .1em 0;border-radius:999px;background:#e8eefc;color:var(--accent);
text-decoration:none;font-size:.85em}
.tag .count{color:var(--muted)}
.tag.active{background:var(--accent);color:#fff}
.tag.active .count{color:#dbe4fb}
form{display:flex;gap:.5em;align-items:center;margin-bottom:.6em}
input{padding:.35em .5em;border:1px solid var(--line);border-radius:6px;font:inherit}
button{padding:.35em .9em;border:0;border-radius:6px;background:var(--accent);color:#fff;font:inherit;cursor:pointer}
.error{color:#b42318}
#summary{color:var(--muted);margin:.3em 0}
table{width:100%;border-collapse:collapse}
th,td{text-align:left;padding:.45em .6em;border-bottom:1px solid var(--line)}
th{color:var(--muted);font-weight:600;font-size:.85em}
td.address{font-family:ui-monospace,"DejaVu Sans Mono",monospace}
td.online.yes{color:var(--ok)}
td.online.no{color:var(--off)}
td.online::before{content:"\\25CF  "}
.pager{display:flex;gap:1em;margin-top:.6em}
.pager a,#clear{color:var(--accent)}
`;

export const DASHBOARD_SCRIPT = `
"use strict";
(() => {
  const REFRESH_MS = ${DASHBOARD_REFRESH_S * 1000};
  const STATS = ["nodes", "online", "public", "trust_links", "networks", "tags"];
  const $ = (id) => document.getElementById(id);
  const start = new URLSearchParams(location.search);
  let tag = (start.get("tag") || "").trim().replace(/^#/, "");
  let cursor = start.get("cursor") || "";
  const limit = start.get("limit") || "";
  let seq = 0;
  let renders = 0;
  let failures = 0;

  function el(name, cls, text) {
    const e = document.createElement(name);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = String(text);
    return e;
  }
  function href(t, c) {
    const q = new URLSearchParams();
    if (t) q.set("tag", t);
    if (c) q.set("cursor", c);
    if (limit) q.set("limit", limit);
    const s = q.toString();
    return s ? "/?" + s : "/";
  }
  function tagLink(t, count) {
    const a = el("a", t === tag ? "tag active" : "tag", t);
    a.href = href(t, "");
    a.dataset.tag = t;
    if (count !== undefined) a.append(" ", el("span", "count", count));
    return a;
  }
  async function getJson(url) {
    const res = await fetch(url, { cache: "no-store", headers: { accept: "application/json" } });
    const body = await res.json();
    if (!res.ok) throw new Error(body.error || "HTTP " + res.status);
    return body;
  }
  function renderStats(s) {
    for (const k of STATS) $("stat-" + k).textContent = String(s[k]);
    $("top-tags").replaceChildren(...s.public_tags.map((t) => tagLink(t.tag, t.nodes)));
  }
  function renderNodes(n) {
    const rows = n.nodes.map((node) => {
      const tr = el("tr");
      tr.dataset.nodeId = String(node.node_id);
      const tags = el("td", "tags");
      node.tags.forEach((t, i) => {
        if (i > 0) tags.append(" ");
        tags.append(tagLink(t));
      });
      const on = node.online === true;
      tr.append(el("td", "hostname", node.hostname || ""), el("td", "address", node.address), tags,
        el("td", "online " + (on ? "yes" : "no"), on ? "online" : "offline"));
      return tr;
    });
    $("directory").tBodies[0].replaceChildren(...rows);
    $("summary").textContent = n.total + (n.total === 1 ? " public node" : " public nodes") +
      (n.tag ? " tagged " + n.tag : "") +
      (n.truncated ? " (directory truncated)" : "");
    const next = $("next");
    next.hidden = !n.next_cursor;
    if (n.next_cursor) next.href = href(n.tag, n.next_cursor);
    else next.removeAttribute("href");
    $("first").href = href(n.tag, "");
  }
  function showError(message) {
    $("error").textContent = message;
    $("error").hidden = message === "";
  }
  async function refresh() {
    const mine = ++seq;
    const q = new URLSearchParams(href(tag, cursor).slice(2));
    try {
      const [s, n] = await Promise.all([getJson("/api/stats"), getJson("/api/nodes?" + q)]);
      if (mine !== seq) return;
      renderStats(s);
      renderNodes(n);
      showError("");
      $("status").textContent = "updated " + new Date().toLocaleTimeString();
      document.body.dataset.tag = n.tag || "";
      document.body.dataset.renders = String(++renders);
    } catch (err) {
      if (mine !== seq) return;
      showError(String((err && err.message) || err));
      $("status").textContent = "refresh failed";
      document.body.dataset.failures = String(++failures);
    }
  }
  function go(t, c) {
    tag = t;
    cursor = c;
    $("tag-input").value = t;
    history.replaceState(null, "", href(t, c));
    void refresh();
  }
  $("filter").addEventListener("submit", (ev) => {
    ev.preventDefault();
    go($("tag-input").value.trim().replace(/^#/, ""), "");
  });
  document.addEventListener("click", (ev) => {
    const a = ev.target instanceof Element ? ev.target.closest("a") : null;
    if (!a) return;
    if (a.dataset.tag !== undefined) go(a.dataset.tag, "");
    else if (a.id === "clear") go("", "");
    else if (a.id === "first") go(tag, "");
    else if (a.id === "next" && a.href) go(tag, new URL(a.href).searchParams.get("cursor") || "");
    else return;
    ev.preventDefault();
  });
  setInterval(() => void refresh(), REFRESH_MS);
  void refresh();
})();
`;
