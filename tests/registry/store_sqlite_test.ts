// The SQLite store: the shared contract on a file and on :memory:, plus start-up refusals (corrupt, foreign,
// newer-version files are refused and left byte-identical) and file modes (PROTOCOL-BRIEF §4.6).
import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { MEMORY_STORE, openSqliteStore } from "../../src/registry/store_sqlite.ts";
import type { RegistryStore } from "../../src/registry/store.ts";
import { PilotError } from "../../src/util/errors.ts";
import { sampleNode, storeSuite } from "./store_suite.ts";

const paths = new WeakMap<RegistryStore, string>();
/** Every file-backed store of this module lives under one directory, removed when the module unloads. */
const ROOT = Deno.makeTempDirSync({ prefix: "pilot-store-" });
globalThis.addEventListener("unload", () => Deno.removeSync(ROOT, { recursive: true }));
let dirs = 0;
const tempDir = () => {
  const dir = `${ROOT}/${dirs++}`;
  Deno.mkdirSync(dir);
  return dir;
};

storeSuite("sqlite :memory:", { open: () => openSqliteStore(MEMORY_STORE) });

storeSuite("sqlite file", {
  async open() {
    const dir = tempDir();
    const path = `${dir}/registry.db`;
    const store = await openSqliteStore(path);
    paths.set(store, path);
    return store;
  },
  async reopen(store) {
    const path = paths.get(store)!;
    await store.close();
    const again = await openSqliteStore(path);
    paths.set(again, path);
    return again;
  },
});

async function assertRefused(path: string): Promise<void> {
  const before = await Deno.readFile(path);
  await assert.rejects(openSqliteStore(path), (err: unknown) => {
    assert.ok(err instanceof PilotError);
    assert.equal(err.code, "internal");
    assert.match(err.message, /^cannot open registry store /);
    return true;
  });
  assert.deepEqual(await Deno.readFile(path), before, "the refused store must stay byte-identical");
}

Deno.test("openSqliteStore() refuses a file that is not SQLite and leaves it byte-identical", async () => {
  const dir = tempDir();
  const path = `${dir}/registry.db`;
  await Deno.writeFile(path, new TextEncoder().encode("this is not a database, just text\n".repeat(200)));
  await assertRefused(path);
});

Deno.test("openSqliteStore() refuses a store with corrupted pages and leaves it byte-identical", async () => {
  const dir = tempDir();
  const path = `${dir}/registry.db`;
  const store = await openSqliteStore(path);
  await store.transaction(async (tx) => {
    for (let i = 0; i < 200; i++) {
      await tx.insertNode(sampleNode(0x100 + i, i));
      await tx.setTags(0x100 + i, [`tag${i}`]);
    }
  });
  await store.close();
  // Fold the WAL into the main file, then overwrite the middle of the file (index and table pages).
  const db = new DatabaseSync(path);
  db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
  db.exec("PRAGMA journal_mode = DELETE");
  db.close();
  const bytes = await Deno.readFile(path);
  assert.ok(bytes.length >= 4 * 4096, `store too small to corrupt: ${bytes.length}`);
  for (let i = 4096 + 100; i < bytes.length - 100; i += 3) bytes[i] = 0xa5;
  await Deno.writeFile(path, bytes);
  await assertRefused(path);
});

Deno.test("openSqliteStore() refuses a store written by a newer schema version", async () => {
  const dir = tempDir();
  const path = `${dir}/registry.db`;
  const db = new DatabaseSync(path);
  db.exec("PRAGMA user_version = 999");
  db.exec("CREATE TABLE future (x INTEGER)");
  db.close();
  await assertRefused(path);
});

Deno.test("openSqliteStore() creates the file 0600 and a missing directory 0700", async () => {
  if (Deno.build.os === "windows") return;
  const dir = tempDir();
  const path = `${dir}/sub/registry.db`;
  const store = await openSqliteStore(path);
  await store.transaction((tx) => tx.insertNode(sampleNode(0x100, 1)));
  await store.close();
  assert.equal((await Deno.stat(path)).mode! & 0o777, 0o600);
  assert.equal((await Deno.stat(`${dir}/sub`)).mode! & 0o777, 0o700);
});

Deno.test("openSqliteStore() puts file stores in WAL mode", async () => {
  const dir = tempDir();
  const path = `${dir}/registry.db`;
  const store = await openSqliteStore(path);
  await store.close();
  const db = new DatabaseSync(path);
  const mode = db.prepare("PRAGMA journal_mode").get() as { journal_mode: string };
  db.close();
  assert.equal(mode.journal_mode, "wal");
});
