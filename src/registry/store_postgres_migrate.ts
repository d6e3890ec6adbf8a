// Start-up of the PostgreSQL registry store (PROTOCOL-BRIEF §4.6): under a transaction-scoped advisory lock (several
// instances may start at once) read the schema version, refuse a schema that is newer than this build, foreign
// (our table names without our version table) or incomplete, and run the pending migrations and the version bump in
// that same transaction. A refused store is never written to.
import { InternalError } from "../util/errors.ts";
import { num, type PgSql, type PgTxSql } from "./store_postgres_base.ts";
import {
  POSTGRES_MIGRATIONS,
  POSTGRES_SCHEMA_VERSION,
  POSTGRES_TABLES,
  POSTGRES_VERSION_TABLE,
} from "./store_postgres_schema.ts";

/** Namespaces the advisory lock key so it cannot collide with another application's locks on the database. */
const MIGRATION_LOCK_PREFIX = "pilotctl-registry-migrate:";

function refuse(location: string, reason: string): InternalError {
  return new InternalError(`cannot open registry store ${location}: ${reason}`, {
    hint: "restore the database from a backup or use another database or schema; it is never overwritten",
  });
}

async function presentTables(tx: PgTxSql): Promise<Set<string>> {
  const rows = await tx`SELECT tablename FROM pg_tables
    WHERE schemaname = current_schema() AND tablename = ANY(${[...POSTGRES_TABLES, POSTGRES_VERSION_TABLE]}::text[])`;
  return new Set(rows.map((r) => String(r.tablename)));
}

async function readVersion(tx: PgTxSql, location: string): Promise<number> {
  const rows = await tx.unsafe(`SELECT version FROM ${POSTGRES_VERSION_TABLE}`);
  if (rows.length !== 1) throw refuse(location, `${POSTGRES_VERSION_TABLE} holds ${rows.length} rows, not 1`);
  return num(rows[0].version);
}

export async function migratePostgres(sql: PgSql, schema: string, location: string): Promise<void> {
  await sql.begin(async (tx) => {
    await tx`SELECT pg_advisory_xact_lock(hashtext(${MIGRATION_LOCK_PREFIX + schema}))`;
    const current = await tx`SELECT current_schema() AS s`;
    if (current[0]?.s !== schema) throw refuse(location, `schema "${schema}" does not exist`);
    const tables = await presentTables(tx);
    let version = 0;
    if (tables.has(POSTGRES_VERSION_TABLE)) {
      version = await readVersion(tx, location);
    } else if (tables.size > 0) {
      throw refuse(location, `schema "${schema}" holds tables that are not a pilot registry store`);
    }
    if (version > POSTGRES_SCHEMA_VERSION) {
      throw refuse(location, `schema version ${version} is newer than this build's ${POSTGRES_SCHEMA_VERSION}`);
    }
    if (version === POSTGRES_SCHEMA_VERSION) {
      const missing = POSTGRES_TABLES.filter((t) => !tables.has(t));
      if (missing.length > 0) throw refuse(location, `integrity check failed: table ${missing[0]} is missing`);
      return;
    }
    for (let v = version; v < POSTGRES_SCHEMA_VERSION; v++) await tx.unsafe(POSTGRES_MIGRATIONS[v]);
    await tx.unsafe(`DELETE FROM ${POSTGRES_VERSION_TABLE}`);
    await tx.unsafe(`INSERT INTO ${POSTGRES_VERSION_TABLE}(version) VALUES (${POSTGRES_SCHEMA_VERSION})`);
  });
}
