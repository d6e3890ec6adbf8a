// Shared plumbing of the PostgreSQL StoreTx (PROTOCOL-BRIEF §4.6): row decoding, the guarded query every operation
// goes through (UNIQUE violations become StoreConflictError so handlers can answer `already_exists`), and the error
// classification that the store's retry loop and start-up rely on.
import type postgres from "postgres";
import { StoreConflictError } from "./store.ts";

export type Row = Record<string, unknown>;
export type PgSql = postgres.Sql;
export type PgTxSql = postgres.TransactionSql;
type Param = postgres.ParameterOrFragment<never>;
export type UnsafeParam = postgres.ParameterOrJSON<never>;

/** SQLSTATEs after which re-running the whole transaction is the documented remedy. */
const RETRYABLE_SQLSTATES: readonly string[] = ["40001", "40P01"];
const UNIQUE_VIOLATION = "23505";

/** int8 columns (ids, unix-ms times, counts) arrive as JS numbers: every value we store is ≤ 2^53 − 1. */
export const INT8_AS_NUMBER: postgres.PostgresType<number> = {
  to: 20,
  from: [20],
  serialize: (x: number) => String(x),
  parse: (x: string) => Number(x),
};

/** What a PostgresError carries that we use; other errors (sockets, DNS, timeouts) have no SQLSTATE. */
export interface PgErrorFields {
  readonly name: string;
  readonly code: string;
  readonly constraint_name?: string;
  readonly message: string;
}

export function pgError(err: unknown): PgErrorFields | null {
  if (!(err instanceof Error) || err.name !== "PostgresError") return null;
  const code = (err as { code?: unknown }).code;
  return typeof code === "string" ? (err as unknown as PgErrorFields) : null;
}

export function isRetryable(err: unknown): boolean {
  const pg = pgError(err);
  return pg !== null && RETRYABLE_SQLSTATES.includes(pg.code);
}

export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function conflict(err: unknown): unknown {
  const pg = pgError(err);
  if (pg === null || pg.code !== UNIQUE_VIOLATION) return err;
  const name = pg.constraint_name ?? "";
  if (name.includes("hostname")) return new StoreConflictError("hostname", pg.message);
  if (name.includes("public_key")) return new StoreConflictError("public_key", pg.message);
  if (name === "networks_name_key") return new StoreConflictError("network_name", pg.message);
  return new StoreConflictError("other", pg.message);
}

export function bytes(value: unknown): Uint8Array {
  // The driver hands out Buffers; callers compare with plain Uint8Arrays.
  return value instanceof Uint8Array ? new Uint8Array(value) : new Uint8Array(0);
}

export function num(value: unknown): number {
  return typeof value === "number" ? value : typeof value === "string" ? Number(value) : 0;
}

export function strOrNull(value: unknown): string | null {
  return typeof value === "string" ? value : null;
}

/** Where a transaction publishes events for the other registry instances (multi_instance_events.ts). */
export interface StoreChannel {
  readonly channel: string;
  readonly origin: string;
}

/** A transaction's queries; valid until close(). */
export abstract class PgTxBase {
  readonly #sql: PgTxSql;
  protected readonly events: StoreChannel;
  #open = true;

  constructor(sql: PgTxSql, events: StoreChannel) {
    this.#sql = sql;
    this.events = events;
  }

  /** Called when the transaction ends; later use is a programming error. */
  close(): void {
    this.#open = false;
  }

  #check(): void {
    if (!this.#open) throw new Error("store transaction already finished");
  }

  /** A tagged-template query (prepared once per connection). */
  protected async q(strings: TemplateStringsArray, ...values: readonly Param[]): Promise<Row[]> {
    this.#check();
    try {
      return await this.#sql<Row[]>(strings, ...values);
    } catch (err) {
      throw conflict(err);
    }
  }

  /** A query whose text is built at run time from fixed column names only (never from input). */
  protected async qText(text: string, params: UnsafeParam[]): Promise<Row[]> {
    this.#check();
    try {
      return await this.#sql.unsafe<Row[]>(text, params, { prepare: true });
    } catch (err) {
      throw conflict(err);
    }
  }

  /** NOTIFY on the store's channel; delivered to the listeners only if this transaction commits. */
  protected async publish(payload: string): Promise<void> {
    await this.q`SELECT pg_notify(${this.events.channel}, ${payload})`;
  }
}
