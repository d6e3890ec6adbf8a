// The registry's HTTP side-doors (CLI.md §3.2): `--metrics` serves Prometheus text on /metrics; `--dashboard` serves
// an HTML page on / and counts on /api/stats (nodes, online, trust links, tags, networks). Neither ever shows keys,
// e-mails or endpoints.
import type { StoreCounts } from "./store.ts";

export interface HttpSource {
  /** Prometheus text. */
  metricsText(): Promise<string>;
  counts(): Promise<StoreCounts>;
}

export interface HttpEndpoint {
  readonly addr: Deno.NetAddr;
  close(): Promise<void>;
}

function esc(text: string): string {
  return text.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

function dashboardHtml(c: StoreCounts): string {
  const rows: [string, number][] = [
    ["Nodes", c.nodes],
    ["Online", c.online],
    ["Trust links", c.mutualTrustLinks],
    ["Tags", c.tags],
    ["Networks", c.networks],
  ];
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>pilot registry</title>
<style>body{font-family:sans-serif;margin:2em}td{padding:.2em 1em}td:last-child{text-align:right}</style></head>
<body><h1>pilot registry</h1><table>
${rows.map(([k, v]) => `<tr><td>${esc(k)}</td><td>${v}</td></tr>`).join("\n")}
</table><p><a href="/api/stats">/api/stats</a></p></body></html>
`;
}

function serve(
  hostname: string,
  port: number,
  route: (path: string) => Promise<Response | null>,
): Promise<HttpEndpoint> {
  const abort = new AbortController();
  return new Promise((resolve, reject) => {
    try {
      const server = Deno.serve({
        hostname,
        port,
        signal: abort.signal,
        onListen: (addr) => {
          resolve({
            addr: addr as Deno.NetAddr,
            close: async () => {
              abort.abort();
              await server.finished;
            },
          });
        },
        onError: () => new Response("internal error\n", { status: 500 }),
      }, async (req) => {
        if (req.method !== "GET" && req.method !== "HEAD") return new Response("method not allowed\n", { status: 405 });
        const res = await route(new URL(req.url).pathname);
        return res ?? new Response("not found\n", { status: 404 });
      });
    } catch (err) {
      reject(err);
    }
  });
}

export function serveMetrics(hostname: string, port: number, source: HttpSource): Promise<HttpEndpoint> {
  return serve(hostname, port, async (path) => {
    if (path !== "/metrics") return null;
    return new Response(await source.metricsText(), {
      headers: { "content-type": "text/plain; version=0.0.4; charset=utf-8" },
    });
  });
}

export function serveDashboard(hostname: string, port: number, source: HttpSource): Promise<HttpEndpoint> {
  return serve(hostname, port, async (path) => {
    if (path === "/api/stats") {
      const c = await source.counts();
      return Response.json({
        nodes: c.nodes,
        online: c.online,
        trust_links: c.mutualTrustLinks,
        tags: c.tags,
        networks: c.networks,
      });
    }
    if (path === "/") {
      return new Response(dashboardHtml(await source.counts()), {
        headers: { "content-type": "text/html; charset=utf-8" },
      });
    }
    return null;
  });
}
