// The configured beacon address (PROTOCOL-BRIEF §3.1): the tunnel accepts beacon messages only from it, so a name is
// resolved at start and again every 5 min; an IP literal is used as given (IPv4-mapped IPv6 normalised).
import { parseHostPort } from "../config/mod.ts";
import type { Logger } from "../log/logger.ts";
import { canonicalEndpoint, type Endpoint } from "../tunnel/mod.ts";
import { ipFromText } from "../wire/mod.ts";
import { abortableSleep } from "./timing.ts";

export const BEACON_RESOLVE_INTERVAL_MS = 5 * 60_000;
const LOCALHOST_NAMES = new Set(["localhost", "localhost.localdomain"]);

export class BeaconAddress implements AsyncDisposable {
  readonly text: string;
  readonly #host: string;
  readonly #port: number;
  readonly #log: Logger;
  readonly #abort = new AbortController();
  #current: Endpoint | null = null;
  #loop: Promise<void> | null = null;

  constructor(text: string, log: Logger) {
    const hp = parseHostPort(text);
    this.text = text;
    this.#host = hp.host;
    this.#port = hp.port;
    this.#log = log;
  }

  /** The resolved endpoint, or null while a name does not resolve. */
  current(): Endpoint | null {
    return this.#current;
  }

  /** Resolves once now, then keeps re-resolving a name in the background. */
  async start(): Promise<void> {
    await this.#resolve();
    if (ipFromText(this.#host) === null) this.#loop ??= this.#refresh();
  }

  async close(): Promise<void> {
    this.#abort.abort();
    await this.#loop;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #refresh(): Promise<void> {
    while (!this.#abort.signal.aborted) {
      await abortableSleep(BEACON_RESOLVE_INTERVAL_MS, this.#abort.signal);
      if (!this.#abort.signal.aborted) await this.#resolve();
    }
  }

  async #resolve(): Promise<void> {
    const host = this.#host;
    if (ipFromText(host) !== null) {
      this.#current = canonicalEndpoint({ hostname: host, port: this.#port });
      return;
    }
    if (LOCALHOST_NAMES.has(host.toLowerCase())) {
      this.#current = { hostname: "127.0.0.1", port: this.#port };
      return;
    }
    for (const type of ["A", "AAAA"] as const) {
      try {
        const records = await Deno.resolveDns(host, type);
        if (records.length > 0) {
          this.#current = canonicalEndpoint({ hostname: records[0], port: this.#port });
          return;
        }
      } catch {
        // try the other family
      }
    }
    this.#log.warn("cannot resolve the beacon address; keeping the last one", { beacon: this.text });
  }
}
