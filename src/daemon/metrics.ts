// The daemon's Prometheus endpoint (CLI.md §3.1 `--metrics host:port`): GET /metrics answers with the text exposition
// format (version 0.0.4) that NodeMetrics renders (metrics_node.ts); every other request is a 404.
import { parseHostPort } from "../config/mod.ts";
import type { Logger } from "../log/logger.ts";
import { AlreadyExistsError, InvalidArgumentError } from "../util/errors.ts";

/** Renders the whole exposition text, ending in a newline. */
export type MetricsRender = () => string;

export class MetricsServer implements AsyncDisposable {
  readonly url: string;
  readonly #server: Deno.HttpServer<Deno.NetAddr>;

  private constructor(server: Deno.HttpServer<Deno.NetAddr>) {
    this.#server = server;
    const a = server.addr;
    const host = a.hostname.includes(":") ? `[${a.hostname}]` : a.hostname;
    this.url = `http://${host}:${a.port}/metrics`;
  }

  /** Listens on `host:port` (port 0: any); a port in use is `already_exists`. */
  static start(listen: string, render: MetricsRender, log: Logger): MetricsServer {
    const hp = parseHostPort(listen, { listen: true, allowEmptyHost: true });
    try {
      const server = Deno.serve({
        hostname: hp.host === "" ? "0.0.0.0" : hp.host,
        port: hp.port,
        onListen: () => {},
        onError: () => new Response("internal error\n", { status: 500 }),
      }, (req) => {
        const path = new URL(req.url).pathname;
        if (req.method !== "GET" || path !== "/metrics") return new Response("not found\n", { status: 404 });
        return new Response(render(), {
          headers: { "content-type": "text/plain; version=0.0.4; charset=utf-8" },
        });
      });
      log.info("metrics listening", { on: listen });
      return new MetricsServer(server);
    } catch (err) {
      if (err instanceof Deno.errors.AddrInUse) {
        throw new AlreadyExistsError(`cannot listen on ${listen} (metrics): address already in use`, {
          detail: "port_bound",
        });
      }
      throw new InvalidArgumentError(`cannot listen on ${listen} (metrics): ${(err as Error).message}`);
    }
  }

  async close(): Promise<void> {
    await this.#server.shutdown();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
