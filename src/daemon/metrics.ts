// The daemon's Prometheus endpoint (CLI.md §3.1 `--metrics host:port`): GET /metrics in the text exposition format
// with the drop counters (`pilot_drops_total{reason}`) and a few gauges and counters of the node.
import { parseHostPort } from "../config/mod.ts";
import type { Logger } from "../log/logger.ts";
import { AlreadyExistsError, InvalidArgumentError } from "../util/errors.ts";

export interface MetricsSource {
  /** Lines of the exposition format, without a trailing newline. */
  lines(): string[];
}

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
  static start(listen: string, source: MetricsSource, log: Logger): MetricsServer {
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
        return new Response(source.lines().join("\n") + "\n", {
          headers: { "content-type": "text/plain; version=0.0.4" },
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
