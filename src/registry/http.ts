// The registry's HTTP side-doors (CLI.md §3.2): the shared server for `--metrics` and `--dashboard` (GET and HEAD
// only, 404 for unknown paths, a plain 500 that never echoes the error) and `--metrics` itself, Prometheus text on
// /metrics. The dashboard's routes are in dashboard.ts. Neither ever shows keys, e-mails or endpoints.
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

/** Answers a GET/HEAD request, or null for 404. */
export type HttpRoute = (url: URL) => Promise<Response | null>;

/** Serves `route` on hostname:port (0 = any free port); resolves once listening. */
export function serveHttp(hostname: string, port: number, route: HttpRoute): Promise<HttpEndpoint> {
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
        if (req.method !== "GET" && req.method !== "HEAD") {
          return new Response("method not allowed\n", { status: 405, headers: { allow: "GET, HEAD" } });
        }
        const res = await route(new URL(req.url));
        return res ?? new Response("not found\n", { status: 404 });
      });
    } catch (err) {
      reject(err);
    }
  });
}

export function serveMetrics(hostname: string, port: number, source: HttpSource): Promise<HttpEndpoint> {
  return serveHttp(hostname, port, async (url) => {
    if (url.pathname !== "/metrics") return null;
    return new Response(await source.metricsText(), {
      headers: { "content-type": "text/plain; version=0.0.4; charset=utf-8" },
    });
  });
}
