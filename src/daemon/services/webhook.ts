// Webhook delivery (PROTOCOL-BRIEF §9.5): `emit()` only queues (bounded at 1024, the oldest dropped and counted), and
// one owned loop POSTs the queue in order to the configured URL, signing when a secret is set, with a 5 s timeout
// and 3 retries after 1, 2 and 4 s on network errors and 5xx. URL and secret can change while running (set-webhook
// through the daemon's `config_set`); an empty URL turns delivery off and drops what was queued.
import type { Logger } from "../../log/logger.ts";
import { type Clock, systemClock } from "../../util/clock.ts";
import type { WebhookEmitter } from "./service_stream.ts";
import {
  buildDelivery,
  deliveryHeaders,
  isRetryableStatus,
  isSuccessStatus,
  type WebhookDelivery,
  type WebhookSelf,
} from "./webhook_payload.ts";

export const WEBHOOK_QUEUE_MAX = 1024;
export const WEBHOOK_TIMEOUT_MS = 5_000;
/** Waits before the 1st, 2nd and 3rd retry. */
export const WEBHOOK_RETRY_DELAYS_MS: readonly number[] = [1_000, 2_000, 4_000];

export interface WebhookTarget {
  /** `http(s)://…`; `""` = off. */
  readonly url: string;
  /** `""` = unsigned. */
  readonly secret: string;
}

export type FetchFn = (input: string, init: RequestInit) => Promise<Response>;

export interface WebhookDispatcherOptions {
  readonly target: WebhookTarget;
  /** This node; read per event, since the node id is known only once registered. */
  readonly self: () => WebhookSelf;
  readonly clock?: Clock;
  readonly log?: Logger;
  /** Replaces the built-in HTTP client (tests). */
  readonly fetch?: FetchFn;
  readonly queueMax?: number;
  readonly timeoutMs?: number;
  readonly retryDelaysMs?: readonly number[];
}

export interface WebhookStats {
  readonly queued: number;
  readonly delivered: number;
  /** Given up: a final non-2xx answer, or every retry failed. */
  readonly failed: number;
  /** Dropped from a full queue. */
  readonly dropped: number;
  readonly retries: number;
}

type Outcome = "delivered" | "failed" | "retry";

export class WebhookDispatcher implements WebhookEmitter, AsyncDisposable {
  readonly #options: WebhookDispatcherOptions;
  readonly #abort = new AbortController();
  readonly #client: Deno.HttpClient | null;
  readonly #fetch: FetchFn;
  readonly #queue: WebhookDelivery[] = [];
  readonly #loop: Promise<void>;
  #target: WebhookTarget;
  #wake: (() => void) | null = null;
  #idleWaiters: (() => void)[] = [];
  #busy = false;
  #delivered = 0;
  #failed = 0;
  #dropped = 0;
  #retries = 0;

  constructor(options: WebhookDispatcherOptions) {
    this.#options = options;
    this.#target = options.target;
    if (options.fetch !== undefined) {
      this.#client = null;
      this.#fetch = options.fetch;
    } else {
      const client = Deno.createHttpClient({});
      this.#client = client;
      this.#fetch = (input, init) => fetch(input, { ...init, client });
    }
    this.#loop = this.#run();
  }

  get target(): WebhookTarget {
    return this.#target;
  }

  /** Applies a new URL or secret to every later attempt; an empty URL also empties the queue. */
  configure(target: WebhookTarget): void {
    this.#target = target;
    if (target.url === "") this.#queue.length = 0;
    this.#notifyIdle();
  }

  /** Queues one event; never blocks. Nothing is queued while no URL is set. */
  emit(event: string, data: Readonly<Record<string, unknown>>): void {
    if (this.#target.url === "" || this.#abort.signal.aborted) return;
    const clock = this.#options.clock ?? systemClock;
    if (this.#queue.length >= (this.#options.queueMax ?? WEBHOOK_QUEUE_MAX)) {
      this.#queue.shift();
      this.#dropped++;
    }
    this.#queue.push(buildDelivery(event, data, this.#options.self(), clock.now()));
    const wake = this.#wake;
    this.#wake = null;
    wake?.();
  }

  stats(): WebhookStats {
    return {
      queued: this.#queue.length,
      delivered: this.#delivered,
      failed: this.#failed,
      dropped: this.#dropped,
      retries: this.#retries,
    };
  }

  /** Resolves once the queue is empty and nothing is being sent. */
  idle(): Promise<void> {
    if (this.#queue.length === 0 && !this.#busy) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /** Stops the loop (an attempt in flight is cancelled); what is queued is dropped. */
  async close(): Promise<void> {
    this.#abort.abort();
    const wake = this.#wake;
    this.#wake = null;
    wake?.();
    await this.#loop;
    this.#client?.close();
    this.#queue.length = 0;
    this.#notifyIdle();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #notifyIdle(): void {
    if (this.#queue.length > 0 || this.#busy) return;
    for (const w of this.#idleWaiters.splice(0)) w();
  }

  async #run(): Promise<void> {
    const signal = this.#abort.signal;
    while (!signal.aborted) {
      const delivery = this.#queue.shift();
      if (delivery === undefined) {
        this.#notifyIdle();
        await new Promise<void>((resolve) => this.#wake = resolve);
        continue;
      }
      this.#busy = true;
      try {
        await this.#deliver(delivery, signal);
      } finally {
        this.#busy = false;
      }
    }
  }

  async #deliver(delivery: WebhookDelivery, signal: AbortSignal): Promise<void> {
    const delays = this.#options.retryDelaysMs ?? WEBHOOK_RETRY_DELAYS_MS;
    for (let attempt = 0;; attempt++) {
      const target = this.#target;
      if (target.url === "" || signal.aborted) return;
      const outcome = await this.#attempt(delivery, target, signal);
      if (signal.aborted) return;
      if (outcome === "delivered") {
        this.#delivered++;
        return;
      }
      if (outcome === "failed" || attempt >= delays.length) {
        this.#failed++;
        this.#options.log?.warn("webhook delivery failed", { event: delivery.event, delivery: delivery.id });
        return;
      }
      this.#retries++;
      await sleep(delays[attempt], signal);
    }
  }

  async #attempt(delivery: WebhookDelivery, target: WebhookTarget, signal: AbortSignal): Promise<Outcome> {
    const controller = new AbortController();
    const stop = () => controller.abort();
    signal.addEventListener("abort", stop, { once: true });
    const timer = setTimeout(stop, this.#options.timeoutMs ?? WEBHOOK_TIMEOUT_MS);
    try {
      const response = await this.#fetch(target.url, {
        method: "POST",
        headers: deliveryHeaders(delivery, target.secret),
        body: delivery.body,
        redirect: "manual",
        signal: controller.signal,
      });
      await response.body?.cancel().catch(() => {});
      if (isSuccessStatus(response.status)) return "delivered";
      this.#options.log?.debug("webhook answered", { status: response.status, delivery: delivery.id });
      return isRetryableStatus(response.status) ? "retry" : "failed";
    } catch (err) {
      // network errors and the timeout
      this.#options.log?.debug("webhook attempt failed", {
        delivery: delivery.id,
        error: err instanceof Error ? err.message : String(err),
      });
      return "retry";
    } finally {
      clearTimeout(timer);
      signal.removeEventListener("abort", stop);
    }
  }
}

/** Resolves after `ms`, or at once when `signal` aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}
