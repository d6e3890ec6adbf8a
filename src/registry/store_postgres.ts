// The PostgreSQL registry store (PROTOCOL-BRIEF §4.6, CLI.md §3.2 `--postgres`): the same contract as the SQLite
// store, shared by several `registry run` instances. A bounded connection pool; every transaction() is SERIALIZABLE
// and re-run on a serialization failure or deadlock, so concurrent instances behave as if they took turns (as SQLite
// does in one process); read() is a REPEATABLE READ READ ONLY snapshot. Start-up checks the schema and runs
// versioned migrations in one transaction under an advisory lock; a newer, incomplete or foreign schema is refused
// and never touched. Other instances' writes reach this one through LISTEN/NOTIFY (subscribe()).
import postgres from "postgres";
import type { Logger } from "../log/logger.ts";
import { randomBytes, toHex } from "../util/bytes.ts";
import { type Clock, systemClock } from "../util/clock.ts";
import { ConnectionFailedError, InternalError, InvalidArgumentError, PilotError } from "../util/errors.ts";
import { PgEventListener } from "./multi_instance_listener.ts";
import {
  type RegistryStore,
  StoreConflictError,
  type StoreEventHandlers,
  type StoreSubscription,
  type StoreTx,
} from "./store.ts";
import {
  errorText,
  INT8_AS_NUMBER,
  isRetryable,
  pgError,
  type PgSql,
  type StoreChannel,
} from "./store_postgres_base.ts";
import { migratePostgres } from "./store_postgres_migrate.ts";
import { PgTx } from "./store_postgres_tx.ts";

export const DEFAULT_POSTGRES_POOL_SIZE = 10;
export const DEFAULT_POSTGRES_SCHEMA = "public";
const CONNECT_TIMEOUT_S = 10;
/** Pooled connections idle this long are closed; the pool reopens them on demand. */
const IDLE_TIMEOUT_S = 60;
/** Ending the pool waits this long for running queries before cutting connections. */
const END_TIMEOUT_S = 5;
/** A transaction that keeps losing serialization races gives up after this many runs. */
const TX_MAX_ATTEMPTS = 30;
const RETRY_BASE_MS = 2;
const RETRY_MAX_MS = 200;
/** Lower-case identifiers short enough that `pilot:<schema>` stays a valid 63-byte channel name. */
const SCHEMA_NAME_RE = /^[a-z_][a-z0-9_]{0,47}$/;
const APPLICATION_NAME = "pilotctl-registry";
const INSTANCE_ID_BYTES = 8;
/** Driver and socket failures carry upper-case codes (ECONNREFUSED, CONNECT_TIMEOUT, CONNECTION_CLOSED, …). */
const DRIVER_CODE_RE = /^[A-Z][A-Z0-9_]+$/;

export interface PostgresStoreOptions {
  /** The schema holding the tables; it must exist. Default `public`. */
  readonly schema?: string;
  /** Upper bound of pooled connections (the LISTEN connection is one more). Default 10. */
  readonly poolSize?: number;
  readonly connectTimeoutS?: number;
  readonly logger?: Logger;
  readonly clock?: Clock;
}

/** The URL without its password, for the ready block and messages. */
export function redactPostgresUrl(url: string): string {
  return url.replace(/^([a-z]+:\/\/[^/@:]*):[^@/]*@/i, "$1@");
}

function validateUrl(url: string): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new InvalidArgumentError(`invalid PostgreSQL URL "${redactPostgresUrl(url)}": not a URL`, {
      hint: "use postgres://user:pass@host:5432/db",
    });
  }
  if (parsed.protocol !== "postgres:" && parsed.protocol !== "postgresql:") {
    throw new InvalidArgumentError(
      `invalid PostgreSQL URL "${redactPostgresUrl(url)}": the scheme must be postgres:// or postgresql://`,
      { hint: "use postgres://user:pass@host:5432/db" },
    );
  }
}

function isDriverError(err: unknown): boolean {
  if (err instanceof PilotError || err instanceof StoreConflictError) return false;
  if (pgError(err) !== null) return true;
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === "string" && DRIVER_CODE_RE.test(code);
}

/** Storage failures reach the client as `internal` with nothing applied; rule failures pass through unchanged. */
function storageError(err: unknown, what: "write" | "read"): unknown {
  return isDriverError(err) ? new InternalError(`storage ${what} failed: ${errorText(err)}`, { cause: err }) : err;
}

/** Failures of the first contact that mean "no usable server there", as opposed to a broken store. */
function isUnreachable(err: unknown): boolean {
  const pg = pgError(err);
  if (pg === null) return isDriverError(err);
  // 08: connection exception, 28: authentication, 3D000: no such database, 57P03: starting up / shutting down.
  return pg.code.startsWith("08") || pg.code.startsWith("28") || pg.code === "3D000" || pg.code === "57P03";
}

function retryDelayMs(attempt: number): number {
  const cap = Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** Math.min(attempt, 10));
  return Math.floor(Math.random() * cap) + 1;
}

/** Opens the pool, checks the server answers, and migrates the schema; throws a PilotError on any failure. */
export async function openPostgresStore(url: string, opts: PostgresStoreOptions = {}): Promise<PostgresStore> {
  validateUrl(url);
  const schema = opts.schema ?? DEFAULT_POSTGRES_SCHEMA;
  if (!SCHEMA_NAME_RE.test(schema)) throw new InvalidArgumentError(`invalid PostgreSQL schema name "${schema}"`);
  const poolSize = opts.poolSize ?? DEFAULT_POSTGRES_POOL_SIZE;
  if (!Number.isSafeInteger(poolSize) || poolSize < 1) throw new InvalidArgumentError(`invalid pool size ${poolSize}`);
  const location = redactPostgresUrl(url) + (schema === DEFAULT_POSTGRES_SCHEMA ? "" : ` (schema ${schema})`);
  const sql = postgres(url, {
    max: poolSize,
    idle_timeout: IDLE_TIMEOUT_S,
    connect_timeout: opts.connectTimeoutS ?? CONNECT_TIMEOUT_S,
    onnotice: () => {},
    types: { int8: INT8_AS_NUMBER },
    connection: { application_name: APPLICATION_NAME, search_path: schema },
  }) as unknown as PgSql;
  try {
    await sql`SELECT 1`;
  } catch (err) {
    await sql.end({ timeout: 0 }).catch(() => {});
    if (isUnreachable(err)) {
      throw new ConnectionFailedError(`cannot connect to PostgreSQL at ${location}: ${errorText(err)}`, {
        hint: "check --postgres (or PILOT_POSTGRES_URL) and that the server accepts connections",
        cause: err,
      });
    }
    throw new InternalError(`cannot open registry store ${location}: ${errorText(err)}`, { cause: err });
  }
  try {
    await migratePostgres(sql, schema, location);
  } catch (err) {
    await sql.end({ timeout: 0 }).catch(() => {});
    if (err instanceof PilotError) throw err;
    throw new InternalError(`cannot open registry store ${location}: ${errorText(err)}`, { cause: err });
  }
  return new PostgresStore(sql, location, schema, opts);
}

export class PostgresStore implements RegistryStore {
  readonly kind = "postgres";
  readonly location: string;
  readonly #sql: PgSql;
  readonly #channel: StoreChannel;
  readonly #clock: Clock;
  readonly #log: Logger | undefined;
  readonly #running = new Set<Promise<unknown>>();
  readonly #listeners = new Set<PgEventListener>();
  #closing: Promise<void> | null = null;

  constructor(sql: PgSql, location: string, schema: string, opts: PostgresStoreOptions) {
    this.#sql = sql;
    this.location = location;
    this.#channel = { channel: `pilot:${schema}`, origin: toHex(randomBytes(INSTANCE_ID_BYTES)) };
    this.#clock = opts.clock ?? systemClock;
    this.#log = opts.logger;
  }

  /** Runs `work` unless closing, and lets close() wait for it. */
  #track<T>(work: () => Promise<T>): Promise<T> {
    if (this.#closing !== null) return Promise.reject(new PilotError("internal", "registry store is closed"));
    const p = work();
    this.#running.add(p);
    const done = () => this.#running.delete(p);
    p.then(done, done);
    return p;
  }

  transaction<T>(fn: (tx: StoreTx) => Promise<T>): Promise<T> {
    return this.#track(async () => {
      for (let attempt = 1;; attempt++) {
        try {
          return await this.#sql.begin("isolation level serializable", async (sql) => {
            const tx = new PgTx(sql, this.#channel);
            try {
              return await fn(tx);
            } finally {
              tx.close();
            }
          }) as T;
        } catch (err) {
          if (!isRetryable(err) || attempt >= TX_MAX_ATTEMPTS) throw storageError(err, "write");
          await new Promise((resolve) => setTimeout(resolve, retryDelayMs(attempt)));
        }
      }
    });
  }

  read<T>(fn: (tx: StoreTx) => Promise<T>): Promise<T> {
    return this.#track(async () => {
      try {
        return await this.#sql.begin("isolation level repeatable read read only", async (sql) => {
          const tx = new PgTx(sql, this.#channel);
          try {
            return await fn(tx);
          } finally {
            tx.close();
          }
        }) as T;
      } catch (err) {
        throw storageError(err, "read");
      }
    });
  }

  async subscribe(handlers: StoreEventHandlers): Promise<StoreSubscription> {
    if (this.#closing !== null) throw new PilotError("internal", "registry store is closed");
    const listener = await PgEventListener.start({
      sql: this.#sql,
      channel: this.#channel,
      handlers,
      catchUp: () => this.read((tx) => tx.loadReplayEntries(this.#clock.now())),
      log: this.#log,
      onClose: () => this.#listeners.delete(listener),
    });
    this.#listeners.add(listener);
    return listener;
  }

  /**
   * Resolves once every event committed by any instance before this call has been handed to this store's
   * subscribers (a NOTIFY round trip: notifications arrive in commit order). Requires a subscription.
   */
  async syncEvents(): Promise<void> {
    const listener = this.#listeners.values().next().value;
    if (listener === undefined) throw new Error("syncEvents() needs an active subscription");
    await listener.sync();
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      for (const listener of [...this.#listeners]) await listener.close();
      await Promise.allSettled([...this.#running]);
      await this.#sql.end({ timeout: END_TIMEOUT_S });
    })();
    return this.#closing;
  }
}
