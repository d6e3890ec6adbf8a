// The registry dashboard (CLI.md §3.2 `registry run --dashboard host:port`): `/` is the HTML page, `/api/stats` the
// network counts and `/api/nodes?tag=&cursor=&limit=` a page of the directory of public nodes (PROTOCOL-BRIEF §4.3).
// It is unauthenticated, so it shows only what any stranger may know — counts, and public nodes' address, hostname,
// tags and online flag — and bounds its cost: pages of at most DIRECTORY_PAGE_MAX rows, counts read at most once per
// STATS_FRESH_MS, and the directory walk run at most once per max(DIRECTORY_MIN_AGE_MS, 10 × its own duration).
import type { Logger } from "../log/logger.ts";
import type { Clock } from "../util/clock.ts";
import { type NodesJson, nodesJson, parseDirectoryQuery, type StatsJson, statsJson } from "./dashboard_api.ts";
import { SingleFlightCache } from "./dashboard_cache.ts";
import {
  DEFAULT_SCAN_LIMITS,
  DIRECTORY_PAGE_DEFAULT,
  directoryPage,
  type DirectoryQuery,
  type DirectorySnapshot,
  type DirectoryStore,
  type ScanLimits,
  scanPublicDirectory,
} from "./dashboard_directory.ts";
import { dashboardCsp, renderDashboardPage } from "./dashboard_page.ts";
import { ONLINE_EXPIRY_MS } from "./context.ts";
import { type HttpEndpoint, serveHttp } from "./http.ts";
import type { StoreCounts } from "./store.ts";

/** Counts are cheap aggregate queries; one read per second serves any number of viewers. */
export const STATS_FRESH_MS = 1_000;
/** The directory is rebuilt at most this often… */
export const DIRECTORY_MIN_AGE_MS = 5_000;
/** …and no sooner than this many times its own build time, so the walk takes at most ~10% of the store's time. */
export const DIRECTORY_REBUILD_FACTOR = 10;

export interface DashboardDeps {
  readonly store: DirectoryStore;
  readonly clock: Clock;
  /** Failures to read the store are logged here (rate-limited). */
  readonly log?: Logger;
  /** Tests shrink the directory walk. */
  readonly scanLimits?: ScanLimits;
}

const FIRST_PAGE: DirectoryQuery = { tag: null, afterNodeId: 0, limit: DIRECTORY_PAGE_DEFAULT };

const COMMON_HEADERS: Readonly<Record<string, string>> = {
  "cache-control": "no-store",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
};

/** The dashboard's data: shared, bounded reads of the store. */
export class DashboardData {
  readonly #clock: Clock;
  readonly #counts: SingleFlightCache<StoreCounts>;
  readonly #directory: SingleFlightCache<DirectorySnapshot>;

  constructor(deps: DashboardDeps) {
    const { store, clock } = deps;
    this.#clock = clock;
    this.#counts = new SingleFlightCache(
      () => store.read((tx) => tx.counts(clock.now() - ONLINE_EXPIRY_MS)),
      clock,
      { freshForMs: () => STATS_FRESH_MS, serveStale: false },
    );
    const limits = deps.scanLimits ?? DEFAULT_SCAN_LIMITS;
    this.#directory = new SingleFlightCache(
      (signal) => scanPublicDirectory(store, clock, signal, limits),
      clock,
      { freshForMs: (took) => Math.max(DIRECTORY_MIN_AGE_MS, DIRECTORY_REBUILD_FACTOR * took), serveStale: true },
    );
  }

  async stats(): Promise<StatsJson> {
    const [counts, snap] = await Promise.all([this.#counts.get(), this.#directory.get()]);
    return statsJson(counts, snap);
  }

  async nodes(query: DirectoryQuery): Promise<NodesJson> {
    const snap = await this.#directory.get();
    return nodesJson(directoryPage(snap, query, this.#clock.now()), query, snap);
  }

  /** Resolves once no store read is running, background directory rebuilds included. */
  async settled(): Promise<void> {
    await this.#counts.settled();
    await this.#directory.settled();
  }

  async close(): Promise<void> {
    await this.#counts.close();
    await this.#directory.close();
  }
}

function json(body: unknown, status = 200): Response {
  return Response.json(body, { status, headers: COMMON_HEADERS });
}

async function page(data: DashboardData, csp: string, url: URL): Promise<Response> {
  const parsed = parseDirectoryQuery(url.searchParams);
  const query = parsed.ok ? parsed.query : FIRST_PAGE;
  const [stats, nodes] = await Promise.all([data.stats(), data.nodes(query)]);
  const html = renderDashboardPage({
    stats,
    nodes,
    error: parsed.ok ? null : parsed.message,
    tagInput: parsed.ok ? query.tag ?? "" : (url.searchParams.get("tag") ?? "").slice(0, 64),
    limit: parsed.ok && url.searchParams.has("limit") ? query.limit : null,
  });
  return new Response(html, {
    status: parsed.ok ? 200 : 400,
    headers: {
      ...COMMON_HEADERS,
      "content-type": "text/html; charset=utf-8",
      "content-security-policy": csp,
      "x-frame-options": "DENY",
    },
  });
}

async function route(data: DashboardData, csp: string, url: URL): Promise<Response | null> {
  switch (url.pathname) {
    case "/":
      return await page(data, csp, url);
    case "/api/stats":
      return json(await data.stats());
    case "/api/nodes": {
      const parsed = parseDirectoryQuery(url.searchParams);
      if (!parsed.ok) return json({ error: parsed.message, field: parsed.field }, 400);
      return json(await data.nodes(parsed.query));
    }
    default:
      return null;
  }
}

/** Serves the dashboard on hostname:port (0 = any free port); close() stops it and waits for running store reads. */
export async function serveDashboard(hostname: string, port: number, deps: DashboardDeps): Promise<HttpEndpoint> {
  const data = new DashboardData(deps);
  const csp = dashboardCsp();
  let ep: HttpEndpoint;
  try {
    ep = await serveHttp(hostname, port, async (url) => {
      try {
        return await route(data, csp, url);
      } catch (err) {
        deps.log?.limited("warn", "dashboard_read", "cannot read dashboard data", {
          path: url.pathname,
          error: err instanceof Error ? err.message : String(err),
        });
        return new Response("internal error\n", { status: 500, headers: COMMON_HEADERS });
      }
    });
  } catch (err) {
    await data.close();
    throw err;
  }
  return {
    addr: ep.addr,
    // The data first: a directory walk in progress stops at its next batch instead of holding up the shutdown.
    close: async () => {
      await data.close();
      await ep.close();
    },
  };
}
