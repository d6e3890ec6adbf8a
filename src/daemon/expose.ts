// The daemon's exposed ports (CLI.md §3.9 `expose` / `unexpose`, PROTOCOL-BRIEF §8.3): a pilot port served by a local
// TCP service. Exposed ports belong to the daemon, not to the IPC client that asked, and stay (in memory) until
// `unexpose` or the daemon stops. The built-in ports and any port already bound (by an application or by another
// expose) are refused with `already_exists`.
import type { Logger } from "../log/logger.ts";
import type { ExposedPort as ExposedPortInfo } from "../ipc/mod.ts";
import { LISTEN_BACKLOG_MAX, type Listener } from "../transport/mod.ts";
import { AlreadyExistsError, NotFoundError, NotRunningError } from "../util/errors.ts";
import { connectTcp, ExposedPort, type TcpConnector } from "./expose_port.ts";
import { parseExposeTarget } from "./expose_target.ts";
import type { PortTable } from "./port_table.ts";

export interface ExposerDeps {
  /** Binds a stream port; throws `already_exists` when it has a listener. */
  readonly listen: (port: number, backlog: number) => Listener;
  readonly ports: PortTable;
  readonly isTrusted: (node: number) => boolean;
  /** Default: Deno.connect, bounded. */
  readonly connect?: TcpConnector;
  readonly log: Logger;
}

export class Exposer implements AsyncDisposable {
  readonly #d: ExposerDeps;
  readonly #connect: TcpConnector;
  readonly #exposed = new Map<number, ExposedPort>();
  readonly #closing = new Set<Promise<void>>();
  #closed = false;

  constructor(deps: ExposerDeps) {
    this.#d = deps;
    this.#connect = deps.connect ?? connectTcp;
  }

  /** Starts serving `port` (1–65535) with connections to `to`; returns the canonical target. */
  expose(port: number, to: string): { port: number; to: string } {
    const target = parseExposeTarget(to);
    const d = this.#d;
    d.ports.checkBindable(port);
    if (this.#exposed.has(port)) {
      throw new AlreadyExistsError(`port ${port} is already exposed`, {
        hint: `pilotctl unexpose ${port}`,
        detail: "port_bound",
      });
    }
    if (this.#closed) throw new NotRunningError(`cannot expose port ${port}: the daemon is stopping`);
    const listener = d.listen(port, LISTEN_BACKLOG_MAX);
    d.ports.add("stream", port);
    this.#exposed.set(
      port,
      new ExposedPort(listener, target, { connect: this.#connect, isTrusted: d.isTrusted, log: d.log }),
    );
    d.log.info("port exposed", { port, to: target.text });
    return { port, to: target.text };
  }

  /** Stops serving `port`: its listener closes and its connections are reset. */
  async unexpose(port: number): Promise<{ port: number }> {
    const exposed = this.#exposed.get(port);
    if (exposed === undefined) {
      throw new NotFoundError(`port ${port} is not exposed`, { hint: "pilotctl expose", detail: "port" });
    }
    await this.#release(exposed);
    this.#d.log.info("port unexposed", { port });
    return { port };
  }

  /** Exposed ports in port order, with the connections each is serving now. */
  list(): ExposedPortInfo[] {
    return [...this.#exposed.values()]
      .sort((a, b) => a.port - b.port)
      .map((e) => ({ port: e.port, to: e.target.text, connections: e.connections }));
  }

  /** Unexposes everything (daemon shutdown). */
  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all([...this.#exposed.values()].map((e) => this.#release(e)));
    await Promise.all([...this.#closing]);
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** The port is free again at once (the listener closes synchronously); the connections are awaited. */
  async #release(exposed: ExposedPort): Promise<void> {
    if (this.#exposed.get(exposed.port) !== exposed) return;
    this.#exposed.delete(exposed.port);
    this.#d.ports.remove("stream", exposed.port);
    const done: Promise<void> = exposed.close().finally(() => this.#closing.delete(done));
    this.#closing.add(done);
    await done;
  }
}
