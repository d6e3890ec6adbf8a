// The node's standing with the registry (PROTOCOL-BRIEF §4.2, §4.5): connect and register with backoff (0.5, 1, 2,
// 4, 8… s, at most 30 s) until registered; heartbeat every 30 s; a `notify` push or any heartbeat triggers a trust
// inbox poll; a lost connection (registry restart) or 3 failed heartbeats reconnect and re-register with the same
// key. After `deregister` the node stays offline (no heartbeats, no re-registration) until `register`.
import type { Identity } from "../crypto/mod.ts";
import type { Logger } from "../log/logger.ts";
import {
  reconnectDelayMs,
  type RegisterArgs,
  type RegisterOk,
  RegistryClient,
  RegistryRequestError,
} from "../registry/mod.ts";
import { ConnectionFailedError, type PilotError, toPilotError } from "../util/errors.ts";
import { Wakeable, withDeadline } from "./timing.ts";

export const HEARTBEAT_INTERVAL_MS = 30_000;
/** After a failed heartbeat the next one comes sooner, so 3 failures do not take 90 s. */
export const HEARTBEAT_RETRY_MS = 5_000;
export const HEARTBEAT_FAILURES_BEFORE_RECONNECT = 3;
/** Shutdown does not wait longer than this for the registry to take the node offline. */
export const DEREGISTER_TIMEOUT_MS = 3_000;
/** Failures worth retrying with backoff; anything else refuses a first registration at once. */
const RETRYABLE_CODES: ReadonlySet<string> = new Set(["connection_failed", "timeout", "internal"]);
export const REGISTRY_HINT = "start one with: pilotctl registry run, or set PILOT_REGISTRY";

export interface RegistrySessionOptions {
  readonly address: string;
  readonly caCerts?: readonly string[];
  /** The current identity (rotate_key replaces it). */
  readonly identity: () => Identity;
  /** What to announce at each registration (hostname, visibility, ports) as of now. */
  readonly registerArgs: () => RegisterArgs;
  readonly log: Logger;
  /** Every successful registration, in order. */
  readonly onRegistered?: (ok: RegisterOk) => void;
  /** Trust messages may be waiting: a `notify` push or a heartbeat. */
  readonly onInbox?: () => void;
}

export class RegistrySession implements AsyncDisposable {
  readonly address: string;
  readonly #opts: RegistrySessionOptions;
  readonly #abort = new AbortController();
  readonly #wakeable = new Wakeable(this.#abort.signal);
  readonly #first: Promise<RegisterOk>;
  readonly #loop: Promise<void>;
  #resolveFirst!: (ok: RegisterOk) => void;
  #rejectFirst!: (err: PilotError) => void;
  /** The live connection (registered, or authenticated while deregistered). */
  #conn: RegistryClient | null = null;
  #paused = false;
  #lastError: PilotError | null = null;
  #nodeId: number | null = null;
  #closing: Promise<void> | null = null;

  constructor(opts: RegistrySessionOptions) {
    this.address = opts.address;
    this.#opts = opts;
    this.#first = new Promise((resolve, reject) => {
      this.#resolveFirst = resolve;
      this.#rejectFirst = reject;
    });
    this.#first.catch(() => {});
    this.#loop = this.#run();
  }

  /** The first registration; rejects if the session closes before it. */
  registered(): Promise<RegisterOk> {
    return this.#first;
  }

  get connected(): boolean {
    return this.#conn !== null && !this.#conn.isClosed;
  }

  /** Why the last connect or register attempt failed (null after a success). */
  get lastError(): PilotError | null {
    return this.#lastError;
  }

  /** The connection for signed requests, or `connection_failed` while the registry is unreachable. */
  require(): RegistryClient {
    const conn = this.#conn;
    if (conn === null || conn.isClosed) {
      throw new ConnectionFailedError(`cannot reach registry at ${this.address}`, {
        hint: REGISTRY_HINT,
        detail: "registry_unreachable",
      });
    }
    return conn;
  }

  /** `register` now (IPC `register`): proves the key again and resumes heartbeats after a deregister. */
  async register(): Promise<RegisterOk> {
    const conn = this.require();
    const ok = await conn.register(this.#opts.identity(), this.#opts.registerArgs());
    this.#paused = false;
    this.#registeredOk(ok);
    return ok;
  }

  /** `deregister` (IPC): the node goes offline and stays so, without heartbeats, until register(). */
  async deregister(options: { release?: boolean; purge?: boolean } = {}): Promise<{ offline: true }> {
    const ok = await this.require().deregister(options);
    this.#paused = true;
    return ok;
  }

  /** Whether the node is offline by request (`deregister`). */
  get paused(): boolean {
    return this.#paused;
  }

  /** Stops the loops; with `deregister`, first marks the node offline (keeping id, hostname and tags). */
  close(options: { deregister?: boolean } = {}): Promise<void> {
    this.#closing ??= this.#shutdown(options.deregister === true);
    return this.#closing;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #shutdown(deregister: boolean): Promise<void> {
    const conn = this.#conn;
    if (deregister && conn !== null && !conn.isClosed && !this.#paused) {
      try {
        await withDeadline(conn.deregister({}), DEREGISTER_TIMEOUT_MS, () => new Error("deregister timed out"));
      } catch (err) {
        this.#opts.log.warn("cannot mark the node offline", { error: toPilotError(err).message });
      }
    }
    this.#abort.abort();
    this.#rejectFirst(new ConnectionFailedError("registry session closed before registration"));
    await this.#conn?.close().catch(() => {});
    await this.#loop;
  }

  async #run(): Promise<void> {
    const signal = this.#abort.signal;
    while (!signal.aborted) {
      const conn = await this.#connect();
      if (conn === null) return;
      await this.#heartbeats(conn);
      if (this.#conn === conn) this.#conn = null;
      await conn.close().catch(() => {});
    }
  }

  /** Connects and registers (or, while deregistered, only authenticates) with backoff; null once aborted. */
  async #connect(): Promise<RegistryClient | null> {
    const log = this.#opts.log;
    for (let attempt = 0; !this.#abort.signal.aborted; attempt++) {
      let conn: RegistryClient | null = null;
      try {
        conn = await RegistryClient.connect({
          address: this.address,
          caCerts: this.#opts.caCerts,
          onNotify: () => this.#opts.onInbox?.(),
          onClose: () => this.#wakeable.wake(),
        });
        let ok: RegisterOk | null = null;
        if (this.#paused && this.#nodeId !== null) conn.authenticateAs(this.#nodeId, this.#opts.identity());
        else ok = await conn.register(this.#opts.identity(), this.#opts.registerArgs());
        if (this.#abort.signal.aborted) {
          await conn.close();
          return null;
        }
        this.#conn = conn;
        this.#lastError = null;
        if (ok !== null) this.#registeredOk(ok);
        return conn;
      } catch (err) {
        await conn?.close().catch(() => {});
        const e = toPilotError(err);
        this.#lastError = e;
        // A refusal (a retired key, a bad argument) will not change by retrying: the first registration fails.
        if (this.#nodeId === null && !RETRYABLE_CODES.has(e.code)) {
          log.error("the registry refused the registration", { error: e.message });
          this.#rejectFirst(e);
          return null;
        }
        const delay = reconnectDelayMs(attempt);
        const fields = { error: e.message, retry_in_ms: delay };
        if (attempt === 0) log.warn("cannot register with the registry", fields);
        else log.debug("registry retry failed", fields);
        await this.#wakeable.sleep(delay);
      }
    }
    return null;
  }

  async #heartbeats(conn: RegistryClient): Promise<void> {
    let failures = 0;
    const log = this.#opts.log;
    while (!this.#abort.signal.aborted && !conn.isClosed) {
      await this.#wakeable.sleep(failures > 0 ? HEARTBEAT_RETRY_MS : HEARTBEAT_INTERVAL_MS);
      if (this.#abort.signal.aborted || conn.isClosed) break;
      if (this.#paused) continue;
      try {
        await conn.heartbeat({ listenPort: this.#opts.registerArgs().listenPort });
        failures = 0;
        this.#opts.onInbox?.();
      } catch (err) {
        // The registry lost our registration (e.g. a restore): register again on a fresh connection.
        if (err instanceof RegistryRequestError && err.registryCode === "unauthenticated") return;
        failures++;
        log.warn("registry heartbeat failed", { error: toPilotError(err).message, failures });
        if (failures >= HEARTBEAT_FAILURES_BEFORE_RECONNECT) return;
      }
    }
    if (!this.#abort.signal.aborted) log.warn("registry connection lost; reconnecting");
  }

  #registeredOk(ok: RegisterOk): void {
    this.#nodeId ??= ok.node_id;
    this.#resolveFirst(ok);
    try {
      this.#opts.onRegistered?.(ok);
    } catch (err) {
      this.#opts.log.error("registration handler failed", { error: toPilotError(err).message });
    }
  }
}
