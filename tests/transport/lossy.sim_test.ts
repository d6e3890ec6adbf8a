// Byte-exact delivery under loss, duplication, reordering, long RTT, asymmetric loss and a blackout, in virtual
// time over the simulated network; plus targeted drops of the handshake, the last data segment, the FINs and of
// every first retransmission. A failure prints the seed (set PILOT_TEST_SEED to replay a single seed first).
import assert from "node:assert/strict";
import { baseSeed, CONDITIONS, TRANSFER_DEADLINE_MS, transferOrThrow } from "./matrix.ts";
import { runTransfer, SimPair, testData } from "./sim_pair.ts";
import { FLAG_ACK, FLAG_FIN, FLAG_SYN, type Packet, PROTO_STREAM } from "../../src/wire/mod.ts";

const MIB = 1024 * 1024;
const SMALL_SEEDS = 20;
const LARGE_SEEDS = 5;
/** Conditions that also run 16 MiB × 5 seeds here; the full 16 MiB matrix is in soak/transfer.soak_test.ts. */
const LARGE_HERE = new Set(CONDITIONS.map((c) => c.name));

for (const cond of CONDITIONS) {
  Deno.test(`1 MiB arrives byte-exact under ${cond.name} (${SMALL_SEEDS} seeds)`, () => {
    const first = baseSeed(1000);
    for (let s = 0; s < SMALL_SEEDS; s++) transferOrThrow(cond, MIB, first + s);
  });
}

for (const cond of CONDITIONS.filter((c) => LARGE_HERE.has(c.name))) {
  Deno.test(`16 MiB arrives byte-exact under ${cond.name} (${LARGE_SEEDS} seeds)`, () => {
    const first = baseSeed(2000);
    for (let s = 0; s < LARGE_SEEDS; s++) transferOrThrow(cond, 16 * MIB, first + s);
  });
}

Deno.test("30% loss both ways: delivered bytes are never corrupt, and a failure is only a timeout", () => {
  const first = baseSeed(3000);
  let complete = 0;
  for (let s = 0; s < 10; s++) {
    const pair = new SimPair({ seed: first + s, link: { latencyMs: 20, jitterMs: 2, loss: 0.3 } });
    const r = runTransfer(pair, testData(256 * 1024, first + s), TRANSFER_DEADLINE_MS);
    assert.equal(r.corrupt, false, `seed ${first + s}: ${r.detail}`);
    if (r.ok) {
      complete++;
    } else {
      const reasons = [pair.client.closed, pair.server.closed].filter((c) => c !== null && c.kind !== "normal");
      assert.ok(reasons.length > 0, `seed ${first + s}: stuck: ${r.detail}`);
      for (const c of reasons) {
        assert.ok(c?.kind === "timeout" || c?.kind === "reset", `seed ${first + s}: ${r.detail}`);
      }
    }
  }
  assert.ok(complete >= 5, `only ${complete} of 10 completed`);
});

// ---- targeted drops ----

type Dir = "ab" | "ba";
const isData = (p: Packet) => p.proto === PROTO_STREAM && p.payload.length > 0 && !(p.flags & FLAG_SYN);

function targeted(name: string, makeDrop: () => (p: Packet, dir: Dir) => boolean, extraLoss = 0): void {
  Deno.test(`1 MiB arrives byte-exact when ${name} is dropped`, () => {
    const first = baseSeed(4000);
    for (let s = 0; s < 3; s++) {
      let dropped = 0;
      const drop = makeDrop();
      const pair = new SimPair({
        seed: first + s,
        link: { latencyMs: 20, jitterMs: 2, loss: extraLoss },
        drop: (p, dir) => {
          const d = drop(p, dir);
          if (d) dropped++;
          return d;
        },
      });
      const r = runTransfer(pair, testData(MIB, first + s), TRANSFER_DEADLINE_MS);
      assert.ok(r.ok, `seed ${first + s}: ${r.detail}`);
      assert.ok(dropped > 0, `seed ${first + s}: nothing matched the drop rule`);
    }
  });
}

/** Drops the first packet matching `match`. */
function once(match: (p: Packet, dir: Dir) => boolean): () => (p: Packet, dir: Dir) => boolean {
  return () => {
    let done = false;
    return (p, dir) => {
      if (done || !match(p, dir)) return false;
      done = true;
      return true;
    };
  };
}

targeted("the SYN", once((p, dir) => dir === "ab" && p.flags === FLAG_SYN));
targeted("the SYN-ACK", once((p, dir) => dir === "ba" && p.flags === (FLAG_SYN | FLAG_ACK)));
targeted("the client's FIN", once((p, dir) => dir === "ab" && (p.flags & FLAG_FIN) !== 0));
targeted("the server's FIN", once((p, dir) => dir === "ba" && (p.flags & FLAG_FIN) !== 0));
targeted("the last data segment", () => {
  // The segment holding the last byte is the one with the highest end sequence (relative to the first data seq).
  let firstSeq: number | null = null;
  let done = false;
  return (p, dir) => {
    if (dir !== "ab" || !isData(p) || done) return false;
    firstSeq ??= p.seq;
    const end = (p.seq - firstSeq + p.payload.length) >>> 0;
    if (end !== MIB) return false;
    done = true;
    return true;
  };
});
targeted(
  "every first retransmission",
  () => {
    const seen = new Set<number>();
    const droppedOnce = new Set<number>();
    return (p, dir) => {
      if (dir !== "ab" || !isData(p)) return false;
      if (!seen.has(p.seq)) {
        seen.add(p.seq);
        return false;
      }
      if (droppedOnce.has(p.seq)) return false;
      droppedOnce.add(p.seq);
      return true;
    };
  },
  0.02,
);
