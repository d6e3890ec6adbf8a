// A value the dashboard (CLI.md §3.2 `--dashboard`) reads from the store and shares between requests: loaded by one
// load at a time however many requests arrive, and reloaded only once it is old enough, so an unauthenticated page
// left open in many browsers cannot turn into store load. Closing aborts the running load and waits for it.
import type { Clock } from "../util/clock.ts";

export interface CacheOptions {
  /** How long a value loaded in `loadMs` stays fresh. */
  readonly freshForMs: (loadMs: number) => number;
  /**
   * When true, a request finding a stale value gets it at once while a reload runs in the background; the first
   * request (no value yet) always waits.
   */
  readonly serveStale: boolean;
}

interface Loaded<T> {
  readonly value: T;
  /** Monotonic ms. */
  readonly freshUntilMs: number;
}

/** A load's outcome; never a rejected promise, so a background reload nobody awaits cannot go unhandled. */
type Outcome<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: unknown };

export class SingleFlightCache<T> {
  readonly #load: (signal: AbortSignal) => Promise<T>;
  readonly #clock: Clock;
  readonly #opts: CacheOptions;
  readonly #abort = new AbortController();
  #loaded: Loaded<T> | null = null;
  #loading: Promise<Outcome<T>> | null = null;

  constructor(load: (signal: AbortSignal) => Promise<T>, clock: Clock, opts: CacheOptions) {
    this.#load = load;
    this.#clock = clock;
    this.#opts = opts;
  }

  /** The cached value, loading or reloading it as the options say; a failed load rejects its waiters. */
  async get(): Promise<T> {
    if (this.#abort.signal.aborted) throw new Error("cannot read dashboard data: the dashboard is closed");
    const loaded = this.#loaded;
    if (loaded !== null && this.#clock.monotonic() < loaded.freshUntilMs) return loaded.value;
    const loading = this.#startLoad();
    if (loaded !== null && this.#opts.serveStale) return loaded.value;
    const outcome = await loading;
    if (!outcome.ok) throw outcome.error;
    return outcome.value;
  }

  #startLoad(): Promise<Outcome<T>> {
    if (this.#loading !== null) return this.#loading;
    // Cleared by the load's own continuation, which runs after the assignment below even when #load throws at once.
    const loading: Promise<Outcome<T>> = this.#run().then((outcome) => {
      if (this.#loading === loading) this.#loading = null;
      return outcome;
    });
    this.#loading = loading;
    return loading;
  }

  async #run(): Promise<Outcome<T>> {
    const startMs = this.#clock.monotonic();
    try {
      const value = await this.#load(this.#abort.signal);
      const endMs = this.#clock.monotonic();
      this.#loaded = { value, freshUntilMs: endMs + this.#opts.freshForMs(endMs - startMs) };
      return { ok: true, value };
    } catch (error) {
      return { ok: false, error };
    }
  }

  /** Resolves once no load is running (a background reload included). */
  async settled(): Promise<void> {
    await this.#loading;
  }

  /** Aborts a running load and waits for it to settle. */
  async close(): Promise<void> {
    this.#abort.abort();
    await this.#loading;
  }
}
