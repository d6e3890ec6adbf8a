// The receiving end of the events between registry instances (PROTOCOL-BRIEF §4.1, §4.2, §5) over PostgreSQL
// LISTEN on the store's channel: decodes each notification, drops this instance's own, and hands the rest to the
// registry's handlers. The driver re-issues LISTEN on a new connection after a disconnect, but only once: a watchdog
// pings the channel every EVENT_WATCHDOG_INTERVAL_MS and subscribes again when the ping does not come back (the
// server was down longer). Events sent meanwhile are lost, so each (re)subscription catches up from the tables:
// recorded nonces are reloaded and the beacon is told to look for punch jobs (queued trust messages are still
// counted in every heartbeat reply).
import type { Logger } from "../log/logger.ts";
import { randomBytes, toHex } from "../util/bytes.ts";
import { decodeStoreEvent, encodeStoreEvent, type StoreEvent } from "./multi_instance_events.ts";
import type { ReplayEntry, StoreEventHandlers, StoreSubscription } from "./store.ts";
import { errorText, type PgSql, type StoreChannel } from "./store_postgres_base.ts";

/** How long sync() waits for its own ping to come back before giving up. */
export const EVENT_SYNC_TIMEOUT_MS = 5_000;
export const EVENT_WATCHDOG_INTERVAL_MS = 10_000;
const PING_ID_BYTES = 8;

export interface PgEventListenerOptions {
  readonly sql: PgSql;
  readonly channel: StoreChannel;
  readonly handlers: StoreEventHandlers;
  /** Reads the unexpired replay entries, for the catch-up after (re)subscribing. */
  readonly catchUp: () => Promise<ReplayEntry[]>;
  readonly log?: Logger;
  readonly onClose: () => void;
}

export class PgEventListener implements StoreSubscription {
  readonly #opts: PgEventListenerOptions;
  readonly #pings = new Map<string, () => void>();
  /** The running catch-up, awaited by close(); at most one at a time. */
  #catchUp: Promise<void> | null = null;
  #unlisten: (() => Promise<void>) | null = null;
  readonly #abort = new AbortController();
  #watchdog: Promise<void> | null = null;
  #closed = false;

  private constructor(opts: PgEventListenerOptions) {
    this.#opts = opts;
  }

  /** Resolves once LISTEN is active and the first catch-up is done. */
  static async start(opts: PgEventListenerOptions): Promise<PgEventListener> {
    const listener = new PgEventListener(opts);
    await listener.#listen();
    await listener.#catchUp;
    listener.#watchdog = listener.#watch(EVENT_WATCHDOG_INTERVAL_MS);
    return listener;
  }

  async #listen(): Promise<void> {
    const request = await this.#opts.sql.listen(
      this.#opts.channel.channel,
      (payload) => this.#dispatch(payload),
      () => this.#startCatchUp(),
    );
    this.#unlisten = () => request.unlisten();
  }

  async #watch(intervalMs: number): Promise<void> {
    const signal = this.#abort.signal;
    while (!signal.aborted) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, intervalMs);
        signal.addEventListener("abort", done, { once: true });
        function done() {
          clearTimeout(timer);
          signal.removeEventListener("abort", done);
          resolve();
        }
      });
      if (signal.aborted) break;
      try {
        await this.sync();
      } catch (err) {
        if (signal.aborted) break;
        this.#opts.log?.limited("warn", "events_relisten", "lost the registry event channel; subscribing again", {
          error: errorText(err),
        });
        await this.#unlisten?.().catch(() => {});
        await this.#listen().catch(() => {});
      }
    }
  }

  #startCatchUp(): void {
    if (this.#closed || this.#catchUp !== null) return;
    this.#catchUp = (async () => {
      try {
        const entries = await this.#opts.catchUp();
        this.#call("replay", () => this.#opts.handlers.replayRecorded(entries));
        this.#call("punch", () => this.#opts.handlers.punchJobsQueued());
      } catch (err) {
        this.#opts.log?.limited("warn", "events_catch_up", "cannot catch up with other registry instances", {
          error: errorText(err),
        });
      } finally {
        this.#catchUp = null;
      }
    })();
  }

  /** A throwing handler must not break the driver's notification loop. */
  #call(kind: string, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.#opts.log?.limited("warn", "event_handler", "registry event handler failed", {
        kind,
        error: errorText(err),
      });
    }
  }

  #dispatch(payload: string): void {
    const decoded = decodeStoreEvent(payload);
    if (decoded === null) {
      this.#opts.log?.limited("debug", "event_bad", "ignored a malformed registry event");
      return;
    }
    const { origin, event } = decoded;
    if (event.kind === "ping") {
      if (origin === this.#opts.channel.origin) this.#pings.get(event.id)?.();
      return;
    }
    // This instance already acted on its own writes when they committed.
    if (origin === this.#opts.channel.origin || this.#closed) return;
    this.#deliver(event);
  }

  #deliver(event: Exclude<StoreEvent, { kind: "ping" }>): void {
    const h = this.#opts.handlers;
    switch (event.kind) {
      case "inbox":
        return this.#call(event.kind, () => h.inboxQueued(event.node, event.inbox));
      case "punch":
        return this.#call(event.kind, () => h.punchJobsQueued());
      case "forget":
        return this.#call(event.kind, () => h.beaconForget(event.node));
      case "replay":
        return this.#call(event.kind, () => h.replayRecorded(event.entries));
    }
  }

  /** Resolves once every event committed before the call has been dispatched (see PostgresStore.syncEvents). */
  async sync(): Promise<void> {
    if (this.#closed) throw new Error("registry event subscription is closed");
    const id = toHex(randomBytes(PING_ID_BYTES));
    const signal = this.#abort.signal;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let onAbort = () => {};
    const back = new Promise<void>((resolve, reject) => {
      this.#pings.set(id, resolve);
      timer = setTimeout(() => reject(new Error("registry event barrier timed out")), EVENT_SYNC_TIMEOUT_MS);
      // close() must not wait out the timeout of a ping in flight.
      onAbort = () => reject(new Error("registry event subscription is closed"));
      signal.addEventListener("abort", onAbort, { once: true });
    });
    const ping = encodeStoreEvent(this.#opts.channel.origin, { kind: "ping", id });
    try {
      await Promise.all([this.#opts.sql.notify(this.#opts.channel.channel, ping), back]);
    } finally {
      clearTimeout(timer);
      signal.removeEventListener("abort", onAbort);
      this.#pings.delete(id);
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#abort.abort();
    await this.#watchdog;
    await this.#catchUp;
    await this.#unlisten?.().catch(() => {});
    this.#opts.onClose();
  }
}
