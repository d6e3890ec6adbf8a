// The visibility predicate (PROTOCOL-BRIEF §4.3 with the requester's-consent rule): self, public, an edge X → R (X
// asked R for trust, so mutual trust too), a shared non-zero network; punching and relaying accept either direction.
import assert from "node:assert/strict";
import type { NodeRecord, StoreTx } from "../../src/registry/store.ts";
import { visible, visibleEitherWay } from "../../src/registry/visibility.ts";

const R = 256;
const X = 257;

function node(nodeId: number, isPublic = false): NodeRecord {
  return {
    nodeId,
    publicKey: new Uint8Array(32),
    noisePublicKey: new Uint8Array(32),
    noiseIssuedAt: 0,
    noiseSig: new Uint8Array(64),
    owner: null,
    hostname: null,
    tags: [],
    public: isPublic,
    lastSeenMs: 0,
    listenPort: null,
    endpoint: null,
    lanAddrs: [],
    tcpIp: null,
    createdAtMs: 0,
  };
}

/** Only what the predicate reads: trust edges `from→to` and shared networks. */
function tx(edges: string[], shared: number[] = []): StoreTx {
  return {
    hasTrustEdge: (from: number, to: number) => Promise.resolve(edges.includes(`${from}→${to}`)),
    sharedNetworks: () => Promise.resolve(shared),
  } as unknown as StoreTx;
}

Deno.test("visible(): a private node is hidden from a stranger and shown to itself", async () => {
  assert.equal(await visible(tx([]), R, node(X)), false);
  assert.equal(await visible(tx([]), X, node(X)), true);
  assert.equal(await visible(tx([]), R, node(X, true)), true);
});

Deno.test("visible(): X's own edge X → R shows X to R; R's edge R → X alone does not", async () => {
  assert.equal(await visible(tx([`${X}→${R}`]), R, node(X)), true);
  assert.equal(await visible(tx([`${R}→${X}`]), R, node(X)), false);
  assert.equal(await visible(tx([`${R}→${X}`, `${X}→${R}`]), R, node(X)), true);
  assert.equal(await visible(tx([`${X}→999`]), R, node(X)), false, "an edge to someone else reveals nothing to R");
});

Deno.test("visible(): a shared non-zero network shows X", async () => {
  assert.equal(await visible(tx([], [7]), R, node(X)), true);
});

Deno.test("visibleEitherWay(): an edge in either direction lets the pair punch and relay", async () => {
  assert.equal(await visibleEitherWay(tx([]), node(R), node(X)), false);
  assert.equal(await visibleEitherWay(tx([`${X}→${R}`]), node(R), node(X)), true);
  assert.equal(await visibleEitherWay(tx([`${R}→${X}`]), node(R), node(X)), true);
  assert.equal(await visibleEitherWay(tx([], [7]), node(R), node(X)), true);
  assert.equal(await visibleEitherWay(tx([]), node(R, true), node(X)), true);
});
