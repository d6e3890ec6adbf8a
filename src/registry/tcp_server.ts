// The registry's TCP (or TLS) listener (PROTOCOL-BRIEF §4.1, §4.5): accepts connections, applies the per-IP limits
// (new connections per minute, open connections) before any byte is read, and owns every connection task so close()
// can end them all and wait.
import { encodeRegistryFrame, ipFromText, ipToText } from "../wire/mod.ts";
import type { RegistryContext } from "./context.ts";
import { RegistryConnection } from "./connection.ts";
import type { Dispatcher } from "./dispatch.ts";
import { errorReply, RegistryError } from "./protocol.ts";

export interface TcpServerOptions {
  readonly ctx: RegistryContext;
  readonly dispatcher: Dispatcher;
  readonly idleTimeoutMs: number;
}

/** The canonical text of a peer IP (IPv4-mapped IPv6 folded to IPv4). */
export function canonicalIp(hostname: string): string {
  const ip = ipFromText(hostname);
  return ip === null ? hostname : ipToText(ip);
}

export class RegistryTcpServer {
  readonly #listener: Deno.Listener;
  readonly #opts: TcpServerOptions;
  readonly #conns = new Set<RegistryConnection>();
  readonly #tasks = new Set<Promise<void>>();
  readonly #openPerIp = new Map<string, number>();
  #nextId = 1;
  #loop: Promise<void> | null = null;
  #closed = false;

  constructor(listener: Deno.Listener, opts: TcpServerOptions) {
    this.#listener = listener;
    this.#opts = opts;
  }

  get addr(): Deno.NetAddr {
    return this.#listener.addr as Deno.NetAddr;
  }

  get openConnections(): number {
    return this.#conns.size;
  }

  start(): void {
    if (this.#loop === null) this.#loop = this.#acceptLoop();
  }

  async #acceptLoop(): Promise<void> {
    const { ctx } = this.#opts;
    while (!this.#closed) {
      let conn: Deno.Conn;
      try {
        conn = await this.#listener.accept();
      } catch (err) {
        if (this.#closed || err instanceof Deno.errors.BadResource) return;
        ctx.log.limited("warn", "accept", "accept failed", { error: err instanceof Error ? err.message : String(err) });
        continue;
      }
      const ip = canonicalIp((conn.remoteAddr as Deno.NetAddr).hostname ?? "");
      const refusal = this.#admit(ip);
      if (refusal !== null) {
        ctx.metrics.connectionRejected();
        this.#track(this.#refuse(conn, refusal));
        continue;
      }
      ctx.metrics.connectionOpened();
      this.#openPerIp.set(ip, (this.#openPerIp.get(ip) ?? 0) + 1);
      const rc = new RegistryConnection(conn, this.#nextId++, ip, this.#opts);
      this.#conns.add(rc);
      this.#track(
        rc.run().finally(() => {
          this.#conns.delete(rc);
          const left = (this.#openPerIp.get(ip) ?? 1) - 1;
          if (left <= 0) this.#openPerIp.delete(ip);
          else this.#openPerIp.set(ip, left);
        }),
      );
    }
  }

  /** Null when the IP may open another connection, else the error to send before closing. */
  #admit(ip: string): RegistryError | null {
    const { ctx } = this.#opts;
    if (!ctx.limits.enabled) return null;
    if ((this.#openPerIp.get(ip) ?? 0) >= ctx.limits.ipOpenConns) {
      return new RegistryError("rate_limited", `too many open connections from ${ip}`, { retryAfterMs: 1000 });
    }
    const retry = ctx.rates.ipConnect(ip, ctx.clock.now());
    if (retry > 0) {
      return new RegistryError("rate_limited", `too many new connections from ${ip}`, { retryAfterMs: retry });
    }
    return null;
  }

  async #refuse(conn: Deno.Conn, err: RegistryError): Promise<void> {
    try {
      const frame = encodeRegistryFrame(errorReply(err, ""));
      let off = 0;
      while (off < frame.length) off += await conn.write(frame.subarray(off));
    } catch {
      // the client is gone; nothing to tell
    } finally {
      try {
        conn.close();
      } catch {
        // already closed
      }
    }
  }

  #track(task: Promise<void>): void {
    const t = task.catch(() => {}).finally(() => this.#tasks.delete(t));
    this.#tasks.add(t);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#listener.close();
    } catch {
      // already closed
    }
    await this.#loop;
    for (const c of this.#conns) c.close();
    await Promise.all([...this.#tasks]);
  }
}
