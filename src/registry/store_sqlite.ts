// The SQLite registry store (PROTOCOL-BRIEF §4.6) over node:sqlite: WAL, synchronous=FULL, one transaction at a time,
// an integrity check and versioned migrations at start. A corrupt, foreign or newer-version file is refused with an
// `internal` error and never written to; new files are 0600 in a 0700 directory.
import { DatabaseSync } from "node:sqlite";
import { decodeUtf8Strict } from "../util/bytes.ts";
import { InternalError, PilotError } from "../util/errors.ts";
import { type RegistryStore, StoreConflictError, type StoreTx } from "./store.ts";
import { SQLITE_MIGRATIONS, SQLITE_SCHEMA_VERSION } from "./store_sqlite_schema.ts";
import { StatementCache } from "./store_sqlite_base.ts";
import { SqliteTx } from "./store_sqlite_tx.ts";

export const MEMORY_STORE = ":memory:";
const STORE_FILE_MODE = 0o600;
const STORE_DIR_MODE = 0o700;
/** Every SQLite 3 database file starts with these 16 bytes. */
const SQLITE_HEADER = "SQLite format 3\0";
const SQLITE_HEADER_BYTES = 16;
/** How long a writer waits for a lock held by another process on the same file. */
const BUSY_TIMEOUT_MS = 5_000;

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function refuse(path: string, reason: string, cause?: unknown): InternalError {
  return new InternalError(`cannot open registry store ${path}: ${reason}`, {
    hint: "restore the store from a backup or start with another --store; it is never overwritten",
    cause,
  });
}

/** Refuses a non-empty file that is not SQLite before SQLite itself touches it. */
async function checkExistingFile(path: string): Promise<boolean> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return false;
    throw refuse(path, errorText(err), err);
  }
  if (!info.isFile) throw refuse(path, "not a regular file");
  if (info.size === 0) return true;
  let head: Uint8Array;
  try {
    const file = await Deno.open(path, { read: true });
    try {
      head = new Uint8Array(SQLITE_HEADER_BYTES);
      let got = 0;
      while (got < head.length) {
        const n = await file.read(head.subarray(got));
        if (n === null) break;
        got += n;
      }
      head = head.subarray(0, got);
    } finally {
      file.close();
    }
  } catch (err) {
    throw refuse(path, errorText(err), err);
  }
  if (decodeUtf8Strict(head) !== SQLITE_HEADER) throw refuse(path, "not a SQLite database");
  return true;
}

async function prepareNewFile(path: string): Promise<void> {
  const cut = path.lastIndexOf("/");
  const dir = cut > 0 ? path.slice(0, cut) : cut === 0 ? "/" : ".";
  try {
    await Deno.stat(dir);
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw refuse(path, errorText(err), err);
    await Deno.mkdir(dir, { recursive: true, mode: STORE_DIR_MODE });
    if (Deno.build.os !== "windows") await Deno.chmod(dir, STORE_DIR_MODE);
  }
  // Created empty with the final mode, so SQLite (and its -wal/-shm files, which copy it) never widen access.
  const file = await Deno.open(path, { write: true, createNew: true, mode: STORE_FILE_MODE });
  file.close();
  if (Deno.build.os !== "windows") await Deno.chmod(path, STORE_FILE_MODE);
}

/** Opens (creating when absent) and migrates a SQLite store; `:memory:` gives a throw-away one. */
export async function openSqliteStore(path: string): Promise<RegistryStore> {
  const memory = path === MEMORY_STORE;
  if (!memory) {
    const exists = await checkExistingFile(path);
    if (!exists) {
      try {
        await prepareNewFile(path);
      } catch (err) {
        if (err instanceof PilotError) throw err;
        throw refuse(path, errorText(err), err);
      }
    } else if (Deno.build.os !== "windows") {
      await Deno.chmod(path, STORE_FILE_MODE).catch(() => {});
    }
  }
  let db: DatabaseSync;
  try {
    db = new DatabaseSync(path);
  } catch (err) {
    throw refuse(path, errorText(err), err);
  }
  try {
    checkIntegrity(db, path);
    const version = readVersion(db);
    if (version > SQLITE_SCHEMA_VERSION) {
      throw refuse(path, `schema version ${version} is newer than this build's ${SQLITE_SCHEMA_VERSION}`);
    }
    if (!memory) db.exec("PRAGMA journal_mode = WAL");
    db.exec("PRAGMA synchronous = FULL");
    db.exec(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`);
    migrate(db, version, path);
  } catch (err) {
    db.close();
    if (err instanceof PilotError) throw err;
    throw refuse(path, errorText(err), err);
  }
  return new SqliteStore(db, path);
}

function checkIntegrity(db: DatabaseSync, path: string): void {
  const rows = db.prepare("PRAGMA integrity_check").all() as { integrity_check?: unknown }[];
  const first = rows[0]?.integrity_check;
  if (rows.length !== 1 || first !== "ok") {
    throw refuse(path, `integrity check failed: ${String(first ?? "no result")}`);
  }
}

function readVersion(db: DatabaseSync): number {
  const row = db.prepare("PRAGMA user_version").get() as { user_version?: unknown } | undefined;
  return Number(row?.user_version ?? 0);
}

function migrate(db: DatabaseSync, from: number, path: string): void {
  if (from === SQLITE_SCHEMA_VERSION) return;
  db.exec("BEGIN IMMEDIATE");
  try {
    for (let v = from; v < SQLITE_SCHEMA_VERSION; v++) db.exec(SQLITE_MIGRATIONS[v]);
    db.exec(`PRAGMA user_version = ${SQLITE_SCHEMA_VERSION}`);
    db.exec("COMMIT");
  } catch (err) {
    db.exec("ROLLBACK");
    throw refuse(path, `migration to version ${SQLITE_SCHEMA_VERSION} failed: ${errorText(err)}`, err);
  }
}

/** Storage failures reach the client as `internal` with nothing applied; rule failures pass through unchanged. */
function storageError(err: unknown): unknown {
  if (err instanceof PilotError || err instanceof StoreConflictError) return err;
  const code = (err as { code?: unknown } | null)?.code;
  if (code === "ERR_SQLITE_ERROR") {
    return new InternalError(`storage write failed: ${errorText(err)}`, { cause: err });
  }
  return err;
}

class SqliteStore implements RegistryStore {
  readonly kind = "sqlite";
  readonly location: string;
  readonly #db: DatabaseSync;
  readonly #statements: StatementCache;
  /** Tail of the queue that runs transactions one at a time over the single connection. */
  #tail: Promise<void> = Promise.resolve();
  #closed = false;

  constructor(db: DatabaseSync, location: string) {
    this.#db = db;
    this.location = location;
    this.#statements = new StatementCache(db);
  }

  #exclusive<T>(work: () => Promise<T>): Promise<T> {
    if (this.#closed) return Promise.reject(new PilotError("internal", "registry store is closed"));
    const result = this.#tail.then(work);
    this.#tail = result.then(() => {}, () => {});
    return result;
  }

  transaction<T>(fn: (tx: StoreTx) => Promise<T>): Promise<T> {
    return this.#exclusive(async () => {
      const tx = new SqliteTx(this.#statements);
      try {
        this.#db.exec("BEGIN IMMEDIATE");
      } catch (err) {
        tx.close();
        throw storageError(err);
      }
      try {
        const result = await fn(tx);
        this.#db.exec("COMMIT");
        return result;
      } catch (err) {
        try {
          if (this.#db.isTransaction) this.#db.exec("ROLLBACK");
        } catch {
          // the connection already rolled back (e.g. after a disk error)
        }
        throw storageError(err);
      } finally {
        tx.close();
      }
    });
  }

  read<T>(fn: (tx: StoreTx) => Promise<T>): Promise<T> {
    return this.#exclusive(async () => {
      const tx = new SqliteTx(this.#statements);
      try {
        return await fn(tx);
      } catch (err) {
        throw storageError(err);
      } finally {
        tx.close();
      }
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    const drained = this.#tail;
    this.#closed = true;
    await drained;
    this.#db.close();
  }
}
