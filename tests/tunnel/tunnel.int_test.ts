// Two tunnels on real loopback UDP sockets (tier 3): a handshake over 127.0.0.1 and 10,000 packets, 5,000 each
// way, with a bounded in-flight window so the socket buffers never overflow.
import assert from "node:assert/strict";
import { generateIdentity } from "../../src/crypto/mod.ts";
import { UdpPacketConn } from "../../src/net/udp.ts";
import { systemClock } from "../../src/util/clock.ts";
import { type PeerKeys, Tunnel } from "../../src/tunnel/mod.ts";
import { keysOf, quietLogger } from "./_support.ts";

const A = 0x101;
const B = 0x102;
const PER_DIRECTION = 5_000;
const WINDOW = 64;
const PAYLOAD_BYTES = 200;
/** A stall this long means packets were lost: fail instead of hanging. */
const STALL_LIMIT_MS = 5_000;

class Receiver {
  readonly seen = new Set<number>();
  #wake: (() => void) | null = null;

  onPacket = (_from: number, data: Uint8Array): void => {
    this.seen.add(new DataView(data.buffer, data.byteOffset).getUint32(1));
    this.#wake?.();
  };

  /** Resolves on the next packet; rejects after STALL_LIMIT_MS without one. */
  next(): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#wake = null;
        reject(new Error(`no packet for ${STALL_LIMIT_MS} ms after ${this.seen.size}`));
      }, STALL_LIMIT_MS);
      this.#wake = () => {
        clearTimeout(timer);
        this.#wake = null;
        resolve();
      };
    });
  }
}

function numbered(i: number): Uint8Array {
  const p = new Uint8Array(PAYLOAD_BYTES);
  p[0] = 0x10;
  new DataView(p.buffer).setUint32(1, i);
  return p;
}

Deno.test("two tunnels on 127.0.0.1 exchange 10,000 packets", async () => {
  const registry = new Map<number, PeerKeys>();
  const ids = new Map([[A, generateIdentity()], [B, generateIdentity()]]);
  for (const [node, id] of ids) registry.set(node, keysOf(id));
  const atA = new Receiver();
  const atB = new Receiver();
  const make = (node: number, rx: Receiver) =>
    new Tunnel({
      conn: UdpPacketConn.listen({ hostname: "127.0.0.1" }),
      nodeId: node,
      identity: ids.get(node)!,
      keyResolver: (n) => registry.get(n) ?? null,
      onPacket: rx.onPacket,
      log: quietLogger(systemClock),
    });
  await using ta = make(A, atA);
  await using tb = make(B, atB);
  const path = await ta.connect(B, [tb.localAddr], 5_000);
  assert.deepEqual(path, { kind: "direct", endpoint: tb.localAddr });

  const pump = async (from: Tunnel, to: number, rx: Receiver) => {
    for (let i = 0; i < PER_DIRECTION; i++) {
      while (i - rx.seen.size >= WINDOW) await rx.next();
      from.send(to, numbered(i));
    }
    while (rx.seen.size < PER_DIRECTION) await rx.next();
  };
  await Promise.all([pump(ta, B, atB), pump(tb, A, atA)]);

  assert.equal(atB.seen.size, PER_DIRECTION);
  assert.equal(atA.seen.size, PER_DIRECTION);
  const [peerB] = ta.peers();
  assert.equal(peerB.pkts_sent, PER_DIRECTION);
  assert.equal(peerB.pkts_recv, PER_DIRECTION);
  assert.deepEqual(ta.drops(), {});
  assert.deepEqual(tb.drops(), {});
});
