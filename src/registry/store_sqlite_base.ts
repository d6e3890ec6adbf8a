// Shared plumbing of the SQLite StoreTx (PROTOCOL-BRIEF §4.6): the statement cache, row decoding helpers and the
// guarded run/get/all every operation goes through. UNIQUE violations become StoreConflictError so handlers can
// answer `already_exists`.
import type { DatabaseSync, SQLInputValue, StatementSync } from "node:sqlite";
import { StoreConflictError } from "./store.ts";

export type Row = Record<string, SQLInputValue>;

/** Statements are prepared once per database and reused by every transaction. */
export class StatementCache {
  readonly #db: DatabaseSync;
  readonly #cache = new Map<string, StatementSync>();
  constructor(db: DatabaseSync) {
    this.#db = db;
  }
  get(sql: string): StatementSync {
    let st = this.#cache.get(sql);
    if (st === undefined) {
      st = this.#db.prepare(sql);
      this.#cache.set(sql, st);
    }
    return st;
  }
}

export function bytes(value: SQLInputValue): Uint8Array {
  return value instanceof Uint8Array ? new Uint8Array(value) : new Uint8Array(0);
}

export function num(value: SQLInputValue): number {
  return typeof value === "bigint" ? Number(value) : typeof value === "number" ? value : 0;
}

export function strOrNull(value: SQLInputValue): string | null {
  return typeof value === "string" ? value : null;
}

function conflict(err: unknown): unknown {
  const message = err instanceof Error ? err.message : "";
  if (!message.startsWith("UNIQUE constraint failed")) return err;
  if (message.includes("hostname")) return new StoreConflictError("hostname", message);
  if (message.includes("public_key")) return new StoreConflictError("public_key", message);
  if (message.includes("networks.name")) return new StoreConflictError("network_name", message);
  return new StoreConflictError("other", message);
}

/** A transaction's statements; valid until close(). */
export abstract class SqliteTxBase {
  readonly #st: StatementCache;
  #open = true;

  constructor(statements: StatementCache) {
    this.#st = statements;
  }

  /** Called when the transaction ends; later use is a programming error. */
  close(): void {
    this.#open = false;
  }

  protected run(sql: string, ...params: SQLInputValue[]): number {
    if (!this.#open) throw new Error("store transaction already finished");
    try {
      return num(this.#st.get(sql).run(...params).changes);
    } catch (err) {
      throw conflict(err);
    }
  }

  protected get(sql: string, ...params: SQLInputValue[]): Row | undefined {
    if (!this.#open) throw new Error("store transaction already finished");
    return this.#st.get(sql).get(...params) as Row | undefined;
  }

  protected all(sql: string, ...params: SQLInputValue[]): Row[] {
    if (!this.#open) throw new Error("store transaction already finished");
    return this.#st.get(sql).all(...params) as Row[];
  }
}
