// The PostgreSQL store (PROTOCOL-BRIEF §4.6): the shared store contract, each test in a fresh schema; start-up
// refusals (newer, foreign, incomplete schema; left untouched); connection failures; node-id allocation racing
// across two stores; and the events one store's commits deliver to another's subscribers (§4.1, §4.2, §5).
import assert from "node:assert/strict";
import postgres from "postgres";
import { FIRST_ASSIGNED_NODE } from "../../src/wire/address.ts";
import { openPostgresStore, type PostgresStore } from "../../src/registry/store_postgres.ts";
import type { RegistryStore, ReplayEntry, StoreEventHandlers } from "../../src/registry/store.ts";
import { PilotError } from "../../src/util/errors.ts";
import { createTestSchema, postgresTest, probePostgres, type TestSchema, unavailable } from "../_support/postgres.ts";
import { sampleNode, storeSuite } from "./store_suite.ts";

const pg = await probePostgres();
const POOL = 3;

/** Closes the store, then drops its schema; reopen() closes without dropping. */
class SchemaStore implements RegistryStore {
  readonly inner: PostgresStore;
  readonly schema: TestSchema;
  constructor(inner: PostgresStore, schema: TestSchema) {
    this.inner = inner;
    this.schema = schema;
  }
  get kind() {
    return this.inner.kind;
  }
  get location() {
    return this.inner.location;
  }
  transaction: RegistryStore["transaction"] = (fn) => this.inner.transaction(fn);
  read: RegistryStore["read"] = (fn) => this.inner.read(fn);
  async close(): Promise<void> {
    await this.inner.close();
    await this.schema.drop();
  }
}

if (pg.ok) {
  const url = pg.url;
  storeSuite("postgres", {
    async open() {
      const schema = await createTestSchema(url);
      return new SchemaStore(await openPostgresStore(url, { schema: schema.name, poolSize: POOL }), schema);
    },
    async reopen(store) {
      const s = store as SchemaStore;
      await s.inner.close();
      return new SchemaStore(await openPostgresStore(url, { schema: s.schema.name, poolSize: POOL }), s.schema);
    },
  });
} else {
  unavailable(pg.reason, "postgres: the shared store suite");
}

async function assertRefused(url: string, schema: string, pattern: RegExp): Promise<void> {
  await assert.rejects(openPostgresStore(url, { schema, poolSize: 1 }), (err: unknown) => {
    assert.ok(err instanceof PilotError);
    assert.equal(err.code, "internal");
    assert.match(err.message, /^cannot open registry store postgres:\/\/[^:]*@/);
    assert.match(err.message, pattern);
    return true;
  });
}

/** Raw SQL in the test schema, to set up stores the registry must refuse. */
async function rawSql(url: string, schema: string, text: string): Promise<Record<string, unknown>[]> {
  const sql = postgres(url, { max: 1, onnotice: () => {}, connection: { search_path: schema } });
  try {
    return await sql.unsafe(text);
  } finally {
    await sql.end({ timeout: 0 });
  }
}

postgresTest(pg, "openPostgresStore() refuses a schema written by a newer version and leaves it alone", async (url) => {
  await using schema = await createTestSchema(url);
  const store = await openPostgresStore(url, { schema: schema.name, poolSize: 1 });
  await store.transaction((tx) => tx.insertNode(sampleNode(0x100, 1)));
  await store.close();
  await rawSql(url, schema.name, "UPDATE pilot_schema_version SET version = 999");
  await assertRefused(url, schema.name, /schema version 999 is newer than this build's 1$/);
  const rows = await rawSql(
    url,
    schema.name,
    "SELECT (SELECT version FROM pilot_schema_version) AS v, COUNT(*) AS n FROM nodes",
  );
  assert.deepEqual(rows.map((r) => [Number(r.v), Number(r.n)]), [[999, 1]]);
});

postgresTest(pg, "openPostgresStore() refuses a foreign schema and an incomplete one", async (url) => {
  await using foreign = await createTestSchema(url);
  await rawSql(url, foreign.name, "CREATE TABLE nodes (x INTEGER)");
  await assertRefused(url, foreign.name, /holds tables that are not a pilot registry store$/);
  assert.equal((await rawSql(url, foreign.name, "SELECT to_regclass('counters') AS c"))[0].c, null);

  await using broken = await createTestSchema(url);
  await (await openPostgresStore(url, { schema: broken.name, poolSize: 1 })).close();
  await rawSql(url, broken.name, "DROP TABLE punch_jobs");
  await assertRefused(url, broken.name, /integrity check failed: table punch_jobs is missing$/);
});

postgresTest(pg, "openPostgresStore() refuses a schema that does not exist", async (url) => {
  await assertRefused(url, "pilot_no_such_schema", /schema "pilot_no_such_schema" does not exist$/);
});

postgresTest(pg, "two stores starting at once migrate the schema once", async (url) => {
  await using schema = await createTestSchema(url);
  const stores = await Promise.all([1, 2, 3].map(() => openPostgresStore(url, { schema: schema.name, poolSize: 1 })));
  try {
    const rows = await rawSql(url, schema.name, "SELECT version FROM pilot_schema_version");
    assert.deepEqual(rows.map((r) => Number(r.version)), [1]);
  } finally {
    for (const s of stores) await s.close();
  }
});

postgresTest(pg, "node ids allocated concurrently through two stores are unique and gapless", async (url) => {
  await using schema = await createTestSchema(url);
  const a = await openPostgresStore(url, { schema: schema.name, poolSize: 4 });
  const b = await openPostgresStore(url, { schema: schema.name, poolSize: 4 });
  try {
    const PER_STORE = 12;
    const allocate = (s: PostgresStore, seed: number) =>
      s.transaction(async (tx) => {
        const id = await tx.allocateNodeId();
        await tx.insertNode(sampleNode(id, seed));
        return id;
      });
    const ids = await Promise.all(
      Array.from({ length: PER_STORE * 2 }, (_, i) => allocate(i % 2 === 0 ? a : b, i + 1)),
    );
    const sorted = [...ids].sort((x, y) => x - y);
    assert.deepEqual(sorted, Array.from({ length: PER_STORE * 2 }, (_, i) => FIRST_ASSIGNED_NODE + i));
    assert.equal((await b.read((tx) => tx.counts(0))).nodes, PER_STORE * 2);
  } finally {
    await a.close();
    await b.close();
  }
});

postgresTest(pg, "the pool is bounded: many concurrent transactions share poolSize connections", async (url) => {
  await using schema = await createTestSchema(url);
  const store = await openPostgresStore(url, { schema: schema.name, poolSize: 2 });
  try {
    const done = await Promise.all(
      Array.from({ length: 20 }, (_, i) => store.transaction((tx) => tx.putTrustEdge(0x100, 0x200 + i, i))),
    );
    assert.equal(done.length, 20);
    const used = await rawSql(
      url,
      schema.name,
      "SELECT COUNT(*) AS n FROM pg_stat_activity WHERE application_name = 'pilotctl-registry' " +
        "AND datname = current_database() AND query NOT ILIKE 'listen%'",
    );
    assert.ok(Number(used[0].n) <= 2, `pooled connections: ${used[0].n}`);
    assert.equal((await store.read((tx) => tx.trustEdgesOf(0x100))).length, 20);
  } finally {
    await store.close();
  }
});

Deno.test("openPostgresStore() fails with connection_failed when nothing listens, without the password", async () => {
  await assert.rejects(
    openPostgresStore("postgres://pilot:secret-pw@127.0.0.1:1/pilot", { connectTimeoutS: 2 }),
    (err: unknown) => {
      assert.ok(err instanceof PilotError);
      assert.equal(err.code, "connection_failed");
      assert.match(err.message, /^cannot connect to PostgreSQL at postgres:\/\/pilot@127\.0\.0\.1:1\/pilot: /);
      assert.doesNotMatch(err.message, /secret-pw/);
      return true;
    },
  );
});

Deno.test("openPostgresStore() rejects a URL that is not postgres:// as invalid_argument", async () => {
  for (const bad of ["mysql://u:p@h/db", "not a url", "/var/run/registry.db"]) {
    await assert.rejects(openPostgresStore(bad), (err: unknown) => {
      assert.ok(err instanceof PilotError);
      assert.equal(err.code, "invalid_argument");
      assert.match(err.message, /^invalid PostgreSQL URL "/);
      return true;
    }, bad);
  }
  await assert.rejects(openPostgresStore("postgres://h/db", { schema: "Bad-Name" }), /invalid PostgreSQL schema name/);
});

/** Records what a subscription delivers. */
function recorder() {
  const seen = {
    inbox: [] as [number, number][],
    punch: 0,
    forget: [] as number[],
    replay: [] as ReplayEntry[],
  };
  const handlers: StoreEventHandlers = {
    inboxQueued: (node, inbox) => seen.inbox.push([node, inbox]),
    punchJobsQueued: () => seen.punch++,
    beaconForget: (node) => seen.forget.push(node),
    replayRecorded: (entries) => seen.replay.push(...entries),
  };
  return { seen, handlers };
}

postgresTest(
  pg,
  "committed writes reach the other store's subscriber; rolled-back ones and echoes do not",
  async (url) => {
    await using schema = await createTestSchema(url);
    const a = await openPostgresStore(url, { schema: schema.name, poolSize: 2 });
    const b = await openPostgresStore(url, { schema: schema.name, poolSize: 2 });
    try {
      const ra = recorder();
      const rb = recorder();
      const subA = await a.subscribe(ra.handlers);
      await b.subscribe(rb.handlers);
      const punchesAfterCatchUp = ra.seen.punch;
      const inbox = { from: 0x101, to: 0x100, kind: "trust_request", message: "{}", queuedAtMs: 10, expiresAtMs: 99 };
      await b.transaction(async (tx) => {
        await tx.enqueueInbox(inbox);
        await tx.enqueueInbox({ ...inbox, from: 0x102 });
      });
      await assert.rejects(b.transaction(async (tx) => {
        await tx.enqueueInbox({ ...inbox, to: 0x200 });
        throw new Error("roll back");
      }));
      await b.transaction(async (tx) => {
        await tx.insertPunchJob({
          punchId: "00000000000000ab",
          nodeA: 0x100,
          nodeB: 0x101,
          endpointA: "1.1.1.1:1",
          endpointB: "2.2.2.2:2",
          createdAtMs: 5,
        });
        await tx.deleteBeaconEndpoint(0x101);
        await tx.putReplayEntries([{ nodeId: 0x100, nonce: new Uint8Array(16).fill(7), expiresAtMs: 9e12 }]);
      });
      await a.syncEvents();
      await b.syncEvents();
      assert.deepEqual(ra.seen.inbox, [[0x100, 1], [0x100, 2]]);
      assert.equal(ra.seen.punch - punchesAfterCatchUp, 1);
      assert.deepEqual(ra.seen.forget, [0x101]);
      assert.deepEqual(ra.seen.replay.map((e) => [e.nodeId, e.nonce[0]]), [[0x100, 7]]);
      assert.deepEqual(rb.seen.inbox, [], "a store does not hear its own writes");
      assert.deepEqual(rb.seen.forget, []);

      await subA.close();
      await b.transaction((tx) => tx.enqueueInbox({ ...inbox, from: 0x103 }));
      await b.syncEvents();
      assert.equal(ra.seen.inbox.length, 2, "nothing after the subscription closed");
    } finally {
      await a.close();
      await b.close();
    }
  },
);

postgresTest(pg, "subscribe() catches up with nonces recorded before it started", async (url) => {
  await using schema = await createTestSchema(url);
  const a = await openPostgresStore(url, { schema: schema.name, poolSize: 2 });
  try {
    await a.transaction((tx) =>
      tx.putReplayEntries([{ nodeId: 0x100, nonce: new Uint8Array(16).fill(3), expiresAtMs: Date.now() + 60_000 }])
    );
    const r = recorder();
    await a.subscribe(r.handlers);
    assert.deepEqual(r.seen.replay.map((e) => e.nonce[0]), [3]);
    assert.ok(r.seen.punch >= 1, "the beacon is told to look for jobs missed while not listening");
  } finally {
    await a.close();
  }
});

postgresTest(pg, "events keep flowing after the listening connection is killed", async (url) => {
  await using schema = await createTestSchema(url);
  const a = await openPostgresStore(url, { schema: schema.name, poolSize: 2 });
  const b = await openPostgresStore(url, { schema: schema.name, poolSize: 2 });
  try {
    const r = recorder();
    await a.subscribe(r.handlers);
    const listeners = `SELECT pid FROM pg_stat_activity WHERE application_name = 'pilotctl-registry'
      AND datname = current_database() AND state = 'idle' AND query = 'listen "pilot:${schema.name}"'`;
    const [before] = await rawSql(url, schema.name, listeners);
    assert.ok(before, "the LISTEN connection is visible");
    await rawSql(url, schema.name, `SELECT pg_terminate_backend(${Number(before.pid)})`);
    const deadline = Date.now() + 5_000;
    for (;;) {
      const now = await rawSql(url, schema.name, listeners);
      if (now.length === 1 && now[0].pid !== before.pid) break;
      assert.ok(Date.now() < deadline, "the driver did not listen again");
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await b.transaction((tx) =>
      tx.enqueueInbox({ from: 0x101, to: 0x100, kind: "trust_request", message: "{}", queuedAtMs: 1, expiresAtMs: 9 })
    );
    await a.syncEvents();
    assert.deepEqual(r.seen.inbox, [[0x100, 1]]);
  } finally {
    await a.close();
    await b.close();
  }
});
