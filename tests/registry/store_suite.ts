// The shared RegistryStore contract (PROTOCOL-BRIEF §4.6): every backend (SQLite and PostgreSQL) registers
// these tests with its own factory.
import assert from "node:assert/strict";
import { FIRST_ASSIGNED_NODE } from "../../src/wire/address.ts";
import type { NewNode, RegistryStore } from "../../src/registry/store.ts";
import { StoreConflictError } from "../../src/registry/store.ts";
import { InternalError } from "../../src/util/errors.ts";

export interface StoreFactory {
  /** A fresh, empty store. */
  open(): Promise<RegistryStore>;
  /** Closes `store` and opens the same storage again; omitted for throw-away backends. */
  reopen?(store: RegistryStore): Promise<RegistryStore>;
}

function key(seed: number): Uint8Array {
  return new Uint8Array(32).fill(seed);
}

export function sampleNode(nodeId: number, seed: number, extra: Partial<NewNode> = {}): NewNode {
  return {
    nodeId,
    publicKey: key(seed),
    noisePublicKey: key(seed + 100),
    noiseIssuedAt: 1_000,
    noiseSig: new Uint8Array(64).fill(seed),
    owner: null,
    hostname: null,
    public: false,
    lastSeenMs: 5_000,
    listenPort: 4000,
    endpoint: null,
    lanAddrs: [],
    tcpIp: "127.0.0.1",
    createdAtMs: 1_000,
    ...extra,
  };
}

async function withStore(factory: StoreFactory, fn: (s: RegistryStore) => Promise<void>): Promise<void> {
  const store = await factory.open();
  try {
    await fn(store);
  } finally {
    await store.close();
  }
}

export function storeSuite(name: string, factory: StoreFactory): void {
  const t = (title: string, fn: (s: RegistryStore) => Promise<void>) =>
    Deno.test(`${name}: ${title}`, () => withStore(factory, fn));

  t("allocateNodeId() starts at 0x100 and counts up", async (s) => {
    const ids = await s.transaction(async (tx) => [await tx.allocateNodeId(), await tx.allocateNodeId()]);
    assert.deepEqual(ids, [FIRST_ASSIGNED_NODE, FIRST_ASSIGNED_NODE + 1]);
  });

  t("a rolled-back transaction applies nothing and does not consume the counter", async (s) => {
    await assert.rejects(
      s.transaction(async (tx) => {
        const id = await tx.allocateNodeId();
        await tx.insertNode(sampleNode(id, 1));
        throw new InternalError("boom");
      }),
      InternalError,
    );
    const [found, next] = await s.transaction(async (
      tx,
    ) => [await tx.nodeByPublicKey(key(1)), await tx.allocateNodeId()]);
    assert.equal(found, null);
    assert.equal(next, FIRST_ASSIGNED_NODE);
  });

  t("insertNode() round-trips every column and updateNode() patches only given fields", async (s) => {
    await s.transaction((tx) => tx.insertNode(sampleNode(0x100, 1, { hostname: "alpha", owner: "a@example.com" })));
    await s.transaction((tx) =>
      tx.updateNode(0x100, { public: true, lanAddrs: ["10.0.0.1:4000"], endpoint: "1.2.3.4:5" })
    );
    const n = await s.read((tx) => tx.nodeById(0x100));
    assert.ok(n);
    assert.deepEqual(n.publicKey, key(1));
    assert.deepEqual(n.noisePublicKey, key(101));
    assert.equal(n.hostname, "alpha");
    assert.equal(n.owner, "a@example.com");
    assert.equal(n.public, true);
    assert.deepEqual(n.lanAddrs, ["10.0.0.1:4000"]);
    assert.equal(n.endpoint, "1.2.3.4:5");
    assert.equal(n.listenPort, 4000);
    assert.equal(n.lastSeenMs, 5_000);
    assert.deepEqual(await s.read((tx) => tx.nodeByHostname("alpha")).then((x) => x?.nodeId), 0x100);
  });

  t("a second node with the same public key is a public_key conflict", async (s) => {
    await s.transaction((tx) => tx.insertNode(sampleNode(0x100, 1)));
    await assert.rejects(s.transaction((tx) => tx.insertNode(sampleNode(0x101, 1))), (err: unknown) => {
      assert.ok(err instanceof StoreConflictError);
      assert.equal(err.constraint, "public_key");
      return true;
    });
  });

  t("hostnames are unique across nodes", async (s) => {
    await s.transaction(async (tx) => {
      await tx.insertNode(sampleNode(0x100, 1, { hostname: "alpha" }));
      await tx.insertNode(sampleNode(0x101, 2));
    });
    await assert.rejects(s.transaction((tx) => tx.updateNode(0x101, { hostname: "alpha" })), (err: unknown) => {
      assert.ok(err instanceof StoreConflictError);
      assert.equal(err.constraint, "hostname");
      return true;
    });
  });

  t("setTags() replaces tags and nodesByTag() pages by node id", async (s) => {
    await s.transaction(async (tx) => {
      for (let i = 0; i < 5; i++) {
        await tx.insertNode(sampleNode(0x100 + i, i + 1));
        await tx.setTags(0x100 + i, ["gpu", `n${i}`]);
      }
      await tx.setTags(0x102, ["cpu"]);
    });
    const page1 = await s.read((tx) => tx.nodesByTag("gpu", 0, 2));
    assert.deepEqual(page1.map((n) => n.nodeId), [0x100, 0x101]);
    const page2 = await s.read((tx) => tx.nodesByTag("gpu", 0x101, 10));
    assert.deepEqual(page2.map((n) => n.nodeId), [0x103, 0x104]);
    assert.deepEqual(page2[0].tags, ["gpu", "n3"]);
  });

  t("rotateKey() installs the new key and records the old one as retired", async (s) => {
    await s.transaction((tx) => tx.insertNode(sampleNode(0x100, 1)));
    await s.transaction((tx) =>
      tx.rotateKey(0x100, { publicKey: key(1), rotatedAtMs: 7, rotationSig: new Uint8Array(64).fill(9) }, {
        publicKey: key(2),
        noisePublicKey: key(3),
        noiseIssuedAt: 8,
        noiseSig: new Uint8Array(64).fill(4),
      })
    );
    const [n, chain, retired, byOld] = await s.read(async (tx) =>
      [
        await tx.nodeById(0x100),
        await tx.keyChain(0x100),
        await tx.isRetiredKey(key(1)),
        await tx.nodeByPublicKey(key(1)),
      ] as const
    );
    assert.deepEqual(n?.publicKey, key(2));
    assert.equal(n?.noiseIssuedAt, 8);
    assert.equal(chain.length, 1);
    assert.equal(chain[0].rotatedAtMs, 7);
    assert.equal(retired, true);
    assert.equal(byOld, null);
  });

  t("networks: ids from 1, names unique, members, shared networks and invites", async (s) => {
    await s.transaction(async (tx) => {
      await tx.insertNode(sampleNode(0x100, 1));
      await tx.insertNode(sampleNode(0x101, 2));
      const id = await tx.allocateNetworkId();
      assert.equal(id, 1);
      await tx.insertNetwork({
        networkId: 1,
        name: "lab",
        joinRule: "token",
        tokenSha256: key(7),
        createdBy: 0x100,
        createdAtMs: 1,
      });
      await tx.addMember(1, 0x100, true, 1);
      await tx.addMember(1, 0x101, false, 2);
      await tx.putInvite(1, 0x102, 99);
    });
    await assert.rejects(
      s.transaction((tx) =>
        tx.insertNetwork({
          networkId: 2,
          name: "lab",
          joinRule: "open",
          tokenSha256: null,
          createdBy: 1,
          createdAtMs: 1,
        })
      ),
      (err: unknown) => err instanceof StoreConflictError && err.constraint === "network_name",
    );
    await s.read(async (tx) => {
      assert.equal((await tx.networkByName("lab"))?.networkId, 1);
      assert.deepEqual((await tx.networkById(1))?.tokenSha256, key(7));
      assert.equal(await tx.countMembers(1), 2);
      assert.deepEqual(await tx.member(1, 0x100), { nodeId: 0x100, admin: true });
      assert.deepEqual(await tx.sharedNetworks(0x100, 0x101), [1]);
      assert.deepEqual(await tx.networksOf(0x101), [1]);
      assert.deepEqual((await tx.listMembers(1, 0x100, 10)).map((m) => m.nodeId), [0x101]);
      assert.equal(await tx.inviteExpiry(1, 0x102), 99);
      assert.equal((await tx.listNetworks(10)).length, 1);
    });
    await s.transaction(async (tx) => {
      await tx.removeMember(1, 0x101);
      await tx.deleteInvite(1, 0x102);
    });
    await s.read(async (tx) => {
      assert.deepEqual(await tx.sharedNetworks(0x100, 0x101), []);
      assert.equal(await tx.inviteExpiry(1, 0x102), null);
    });
  });

  t("trust edges are directed and listed per peer", async (s) => {
    await s.transaction(async (tx) => {
      await tx.putTrustEdge(0x100, 0x101, 1);
      await tx.putTrustEdge(0x101, 0x100, 1);
      await tx.putTrustEdge(0x102, 0x100, 1);
      await tx.putTrustEdge(0x100, 0x101, 2);
    });
    await s.read(async (tx) => {
      assert.equal(await tx.hasTrustEdge(0x100, 0x102), false);
      assert.deepEqual(await tx.trustEdgesOf(0x100), [
        { peer: 0x101, outgoing: true, incoming: true },
        { peer: 0x102, outgoing: false, incoming: true },
      ]);
      assert.equal((await tx.counts(0)).mutualTrustLinks, 1);
    });
    await s.transaction((tx) => tx.deleteTrustEdgesOf(0x100));
    assert.deepEqual(await s.read((tx) => tx.trustEdgesOf(0x101)), []);
  });

  t("trust inbox: seq order, expiry, ack, replace by kind", async (s) => {
    const base = { to: 0x101, queuedAtMs: 10, expiresAtMs: 1_000 };
    const seqs = await s.transaction(async (tx) => [
      await tx.enqueueInbox({ ...base, from: 0x100, kind: "trust_request", message: '{"a":1}' }),
      await tx.enqueueInbox({ ...base, from: 0x102, kind: "trust_request", message: '{"a":2}' }),
      await tx.enqueueInbox({ ...base, from: 0x103, kind: "trust_request", message: '{"a":3}', expiresAtMs: 50 }),
    ]);
    assert.ok(seqs[0] < seqs[1] && seqs[1] < seqs[2]);
    await s.read(async (tx) => {
      assert.equal(await tx.countInbox(0x101, 100), 2);
      const polled = await tx.pollInbox(0x101, 100, 1);
      assert.equal(polled.length, 1);
      assert.equal(polled[0].message, '{"a":1}');
      assert.equal(polled[0].from, 0x100);
    });
    await s.transaction(async (tx) => {
      await tx.deleteInbox(0x100, 0x101, "trust_request");
      await tx.ackInbox(0x999, [seqs[1]]); // someone else's ack is a no-op
      await tx.pruneInbox(100);
    });
    const left = await s.read((tx) => tx.pollInbox(0x101, 0, 10));
    assert.deepEqual(left.map((e) => e.seq), [seqs[1]]);
    await s.transaction((tx) => tx.ackInbox(0x101, [seqs[1]]));
    assert.equal(await s.read((tx) => tx.countInbox(0x101, 0)), 0);
  });

  t("replay entries load only while unexpired", async (s) => {
    await s.transaction((tx) =>
      tx.putReplayEntries([
        { nodeId: 0x100, nonce: key(1).subarray(0, 16), expiresAtMs: 100 },
        { nodeId: 0x100, nonce: key(2).subarray(0, 16), expiresAtMs: 300 },
      ])
    );
    const live = await s.read((tx) => tx.loadReplayEntries(200));
    assert.equal(live.length, 1);
    assert.deepEqual(live[0].nonce, key(2).subarray(0, 16));
    await s.transaction((tx) => tx.pruneReplay(400));
    assert.equal((await s.read((tx) => tx.loadReplayEntries(0))).length, 0);
  });

  t("beacon endpoints expire and punch jobs are taken once", async (s) => {
    await s.transaction(async (tx) => {
      await tx.putBeaconEndpoint({ nodeId: 0x100, ip: "1.2.3.4", port: 5, expiresAtMs: 100 });
      await tx.insertPunchJob({
        punchId: "00000000000000aa",
        nodeA: 0x101,
        nodeB: 0x100,
        endpointA: "1.1.1.1:1",
        endpointB: "2.2.2.2:2",
        createdAtMs: 50,
      });
    });
    await s.read(async (tx) => {
      assert.equal((await tx.beaconEndpoint(0x100, 99))?.port, 5);
      assert.equal(await tx.beaconEndpoint(0x100, 100), null);
      assert.equal((await tx.recentPunchJob(0x100, 0x101, 40))?.punchId, "00000000000000aa");
      assert.equal(await tx.recentPunchJob(0x100, 0x101, 60), null);
    });
    const taken = await s.transaction((tx) => tx.takePunchJobs(10));
    assert.equal(taken.length, 1);
    assert.equal(taken[0].nodeA, 0x101);
    assert.equal((await s.transaction((tx) => tx.takePunchJobs(10))).length, 0);
  });

  t("counts() reports nodes, online nodes and distinct tags", async (s) => {
    await s.transaction(async (tx) => {
      await tx.insertNode(sampleNode(0x100, 1, { lastSeenMs: 10 }));
      await tx.insertNode(sampleNode(0x101, 2, { lastSeenMs: 500 }));
      await tx.setTags(0x100, ["a", "b"]);
      await tx.setTags(0x101, ["b"]);
    });
    const c = await s.read((tx) => tx.counts(100));
    assert.equal(c.nodes, 2);
    assert.equal(c.online, 1);
    assert.equal(c.tags, 2);
  });

  if (factory.reopen) {
    const reopen = factory.reopen.bind(factory);
    Deno.test(`${name}: data and the node-id counter survive a reopen`, async () => {
      let s = await factory.open();
      try {
        await s.transaction(async (tx) => {
          const id = await tx.allocateNodeId();
          await tx.insertNode(sampleNode(id, 1, { hostname: "keep" }));
          await tx.allocateNodeId(); // consumed without a row: must never come back
        });
        s = await reopen(s);
        const [n, next] = await s.transaction(async (
          tx,
        ) => [await tx.nodeByHostname("keep"), await tx.allocateNodeId()]);
        assert.equal(n?.nodeId, FIRST_ASSIGNED_NODE);
        assert.equal(next, FIRST_ASSIGNED_NODE + 2);
      } finally {
        await s.close();
      }
    });
  }
}
