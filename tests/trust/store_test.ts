// trust.json (PROTOCOL-BRIEF §6.5): exact shape, round trip, modes, durable replace, and corrupt files left alone.
import assert from "node:assert/strict";
import { InternalError } from "../../src/util/errors.ts";
import { decodeTrustFile, encodeTrustFile, TrustFileStore } from "../../src/trust/store.ts";
import type { PeerRecord } from "../../src/trust/record.ts";
import { makeNode, START_MS } from "./_fixtures.ts";

const IS_POSIX = Deno.build.os !== "windows";
const KEY = makeNode(0x101).publicKeyB64;

const ROWS: PeerRecord[] = [
  {
    nodeId: 0x105,
    state: "trusted",
    publicKey: KEY,
    sinceMs: START_MS,
    justification: "logs",
    origin: "auto",
    network: 7,
    lastRxTs: START_MS - 5,
    lastTxTs: START_MS + 1,
  },
  {
    nodeId: 0x101,
    state: "pending_out",
    publicKey: null,
    sinceMs: START_MS,
    origin: null,
    lastRxTs: 0,
    lastTxTs: START_MS + 1,
    expiresMs: START_MS + 604_800_000,
  },
  {
    nodeId: 0x102,
    state: "pending_in",
    publicKey: KEY,
    sinceMs: 3,
    justification: "",
    origin: null,
    lastRxTs: 9,
    lastTxTs: 0,
  },
  { nodeId: 0x103, state: "none", publicKey: KEY, sinceMs: 4, origin: null, lastRxTs: 12, lastTxTs: 13 },
];

async function withHome(fn: (home: string) => Promise<void>): Promise<void> {
  const base = await Deno.makeTempDir({ prefix: "pilot-trust-" });
  try {
    await fn(`${base}/home`);
  } finally {
    await Deno.remove(base, { recursive: true });
  }
}

async function assertRefused(store: TrustFileStore, pattern: RegExp): Promise<void> {
  await assert.rejects(store.load(), (err: unknown) => {
    assert.ok(err instanceof InternalError, `expected InternalError, got ${err}`);
    assert.equal(err.code, "internal");
    assert.ok(err.message.includes(store.path), `message names the path: ${err.message}`);
    assert.match(err.message, pattern);
    return true;
  });
}

Deno.test("encodeTrustFile() writes version 1 and the §6.5 row keys in order", () => {
  const obj = JSON.parse(encodeTrustFile(ROWS));
  assert.deepEqual(Object.keys(obj), ["version", "peers"]);
  assert.equal(obj.version, 1);
  assert.deepEqual(obj.peers.map((p: { node_id: number }) => p.node_id), [0x101, 0x102, 0x103, 0x105]);
  assert.deepEqual(Object.keys(obj.peers[3]), [
    "node_id",
    "state",
    "public_key",
    "since_ms",
    "justification",
    "origin",
    "network",
    "last_rx_ts",
    "last_tx_ts",
  ]);
  assert.deepEqual(Object.keys(obj.peers[0]), [
    "node_id",
    "state",
    "public_key",
    "since_ms",
    "origin",
    "last_rx_ts",
    "last_tx_ts",
    "expires_ms",
  ]);
  assert.equal(obj.peers[0].public_key, null);
  assert.equal(obj.peers[0].origin, null);
});

Deno.test("decodeTrustFile() round-trips encodeTrustFile()", () => {
  const decoded = decodeTrustFile(encodeTrustFile(ROWS));
  assert.ok(Array.isArray(decoded));
  assert.deepEqual(decoded, [...ROWS].sort((a, b) => a.nodeId - b.nodeId));
});

Deno.test("decodeTrustFile() refuses what is not a valid store", () => {
  const good = JSON.parse(encodeTrustFile(ROWS));
  const row = good.peers[3];
  const cases: [unknown, RegExp][] = [
    [{ ...good, version: 2 }, /unsupported version 2/],
    [{ peers: [] }, /unsupported version/],
    [{ version: 1, peers: {} }, /"peers"/],
    [{ version: 1, peers: [row, row] }, /duplicate node/],
    [{ version: 1, peers: [{ ...row, state: "friend" }] }, /"state"/],
    [{ version: 1, peers: [{ ...row, node_id: 5 }] }, /"node_id"/],
    [{ version: 1, peers: [{ ...row, public_key: "AAAA" }] }, /"public_key"/],
    [{ version: 1, peers: [{ ...row, public_key: null }] }, /"public_key" missing/],
    [{ version: 1, peers: [{ ...row, origin: null }] }, /"origin"/],
    [{ version: 1, peers: [{ ...row, last_rx_ts: -1 }] }, /"last_rx_ts"/],
    [{ version: 1, peers: [{ ...row, network: 0 }] }, /"network"/],
    [{ version: 1, peers: [{ ...row, justification: "x".repeat(1025) }] }, /"justification"/],
    [{ version: 1, peers: [{ ...row, colour: "red" }] }, /unknown field "colour"/],
  ];
  for (const [value, pattern] of cases) {
    const r = decodeTrustFile(JSON.stringify(value));
    assert.equal(typeof r, "string", `accepted ${JSON.stringify(value).slice(0, 80)}`);
    assert.match(r as string, pattern);
  }
  assert.equal(decodeTrustFile("{"), "not valid JSON");
  assert.equal(decodeTrustFile("[]"), "not a JSON object");
});

Deno.test("TrustFileStore: a missing file loads as empty and is not created by a no-op save", async () => {
  await withHome(async (home) => {
    const store = TrustFileStore.inHome(home);
    assert.deepEqual(await store.load(), []);
    await store.save([]);
    await assert.rejects(Deno.stat(store.path), Deno.errors.NotFound);
  });
});

Deno.test("TrustFileStore: save then load in a fresh store round-trips; file 0600, dir 0700", async () => {
  await withHome(async (home) => {
    const store = TrustFileStore.inHome(home);
    await store.load();
    await store.save(ROWS);
    assert.equal(store.path, `${home}/trust.json`);
    const reopened = new TrustFileStore(store.path);
    assert.deepEqual(await reopened.load(), [...ROWS].sort((a, b) => a.nodeId - b.nodeId));
    if (IS_POSIX) {
      assert.equal((await Deno.stat(store.path)).mode! & 0o777, 0o600);
      assert.equal((await Deno.stat(home)).mode! & 0o777, 0o700);
    }
    const leftovers = [...Deno.readDirSync(home)].map((e) => e.name);
    assert.deepEqual(leftovers, ["trust.json"], "no temporary file is left behind");
  });
});

Deno.test("TrustFileStore: the mode stays 0600 under a permissive umask and across rewrites", async () => {
  if (!IS_POSIX) return;
  await withHome(async (home) => {
    const old = Deno.umask(0);
    try {
      const store = TrustFileStore.inHome(home);
      await store.load();
      await store.save(ROWS.slice(0, 1));
      await store.save(ROWS);
      assert.equal((await Deno.stat(store.path)).mode! & 0o777, 0o600);
      assert.equal((await Deno.stat(home)).mode! & 0o777, 0o700);
    } finally {
      Deno.umask(old);
    }
  });
});

Deno.test("TrustFileStore: a corrupt file is refused with an internal error and left byte-identical", async () => {
  await withHome(async (home) => {
    await Deno.mkdir(home, { recursive: true });
    const store = TrustFileStore.inHome(home);
    const samples = [
      new TextEncoder().encode('{"version":1,"peers":[{"node_id":'),
      new TextEncoder().encode('{"version":9,"peers":[]}'),
      new Uint8Array([0xff, 0xfe, 0x00, 0x7b]),
      new Uint8Array(0),
    ];
    for (const bytes of samples) {
      await Deno.writeFile(store.path, bytes);
      await assertRefused(store, /cannot read trust store/);
      await assert.rejects(store.save(ROWS), InternalError, "save after a failed load is refused");
      assert.deepEqual(await Deno.readFile(store.path), bytes);
    }
  });
});

Deno.test("TrustFileStore: an unreadable path is refused naming it", async () => {
  await withHome(async (home) => {
    await Deno.mkdir(`${home}/trust.json`, { recursive: true });
    await assertRefused(TrustFileStore.inHome(home), /not a regular file/);
  });
});

Deno.test("TrustFileStore: save() before load() is refused", async () => {
  await withHome(async (home) => {
    await assert.rejects(TrustFileStore.inHome(home).save(ROWS), /not read successfully/);
  });
});
