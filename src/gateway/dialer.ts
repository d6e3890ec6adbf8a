// How the gateway reaches agents (CLI.md §3.9): every accepted TCP connection becomes a `dial` over the daemon's IPC
// (PROTOCOL-BRIEF §8.3) on one shared client connection. If the daemon restarts, the next dial reconnects. A burst of
// TCP clients (a browser, `curl --parallel`) can exceed the agent's 10 SYNs/s per peer (§7.9, §10): a dial it refuses
// with RST 3 (detail `limit`) is retried after a short pause, within the dial's time bound.
import type { IpcClient } from "../ipc/mod.ts";
import type { Logger } from "../log/logger.ts";
import { toPilotError } from "../util/errors.ts";
import type { BridgeStream } from "./bridge.ts";

/** Bound on one dial (handshake, trust check, SYN); the daemon's own default. */
export const GATEWAY_DIAL_TIMEOUT_MS = 20_000;
/** First pause before retrying a dial refused for the agent's SYN rate; doubles up to the max (the rate window). */
export const DIAL_LIMIT_RETRY_MS = 100;
export const DIAL_LIMIT_RETRY_MAX_MS = 1_000;

/** Opens a pilot stream to `port` on the agent at `address`. */
export interface PilotDialer {
  dial(address: string, port: number, signal: AbortSignal): Promise<BridgeStream>;
  close(): Promise<void>;
}

/** Connects a fresh IPC client to the daemon (with `hello`); throws not_running when it is down. */
export type DaemonConnector = () => Promise<IpcClient>;

export class DaemonDialer implements PilotDialer {
  readonly #connect: DaemonConnector;
  readonly #log: Logger;
  #client: Promise<IpcClient> | null;
  #closed = false;

  private constructor(connect: DaemonConnector, log: Logger, first: IpcClient) {
    this.#connect = connect;
    this.#log = log;
    const current = Promise.resolve(first);
    this.#client = current;
    this.#watch(first, current);
  }

  /** Connects once now, so a daemon that is down fails the gateway's start-up. */
  static async open(connect: DaemonConnector, log: Logger): Promise<DaemonDialer> {
    return new DaemonDialer(connect, log, await connect());
  }

  async dial(address: string, port: number, signal: AbortSignal): Promise<BridgeStream> {
    const deadline = performance.now() + GATEWAY_DIAL_TIMEOUT_MS;
    for (let pause = DIAL_LIMIT_RETRY_MS;; pause = Math.min(2 * pause, DIAL_LIMIT_RETRY_MAX_MS)) {
      const client = await this.#current();
      const timeoutMs = Math.max(1, Math.round(deadline - performance.now()));
      try {
        return await client.dialStream({ addr: address, port, timeout_ms: timeoutMs }, { signal });
      } catch (err) {
        // Jitter spreads the retries of one burst over the agent's next rate window.
        const wait = pause / 2 + Math.random() * pause / 2;
        if (toPilotError(err).detail !== "limit" || performance.now() + wait >= deadline) throw err;
        await pauseFor(wait, signal);
      }
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    const client = await this.#client?.catch(() => null);
    this.#client = null;
    await client?.close();
  }

  #current(): Promise<IpcClient> {
    if (this.#client === null) {
      const next = this.#connect();
      this.#client = next;
      next.then((client) => this.#watch(client, next), () => {
        // the daemon is still down: the next dial tries again
        if (this.#client === next) this.#client = null;
      });
    }
    return this.#client;
  }

  /** When the daemon goes away the client is dropped, and the next dial reconnects. */
  #watch(client: IpcClient, current: Promise<IpcClient>): void {
    client.closed.then((reason) => {
      if (this.#closed || this.#client !== current) return;
      this.#log.warn("daemon connection lost", { error: reason.message });
      this.#client = null;
    }, () => {});
  }
}

/** Resolves after `ms`, or rejects when `signal` aborts. */
function pauseFor(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}
