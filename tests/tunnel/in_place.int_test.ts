// Frames read from a real socket are decrypted in place (src/tunnel/keyset.ts, with the libcrypto accelerator): a
// forged or replayed copy sent to the real UDP port is still refused (auth_fail, replay) and the session goes on.
// A's socket is wrapped so the test sees the genuine frames A sends and can forge copies of them.
import assert from "node:assert/strict";
import { generateIdentity } from "../../src/crypto/mod.ts";
import type { NetAddr, PacketConn } from "../../src/net/packet_conn.ts";
import { UdpPacketConn } from "../../src/net/udp.ts";
import { systemClock } from "../../src/util/clock.ts";
import { type PeerKeys, Tunnel } from "../../src/tunnel/mod.ts";
import { ForwardingConn, keysOf, quietLogger } from "./_support.ts";

const A = 0x101;
const B = 0x102;
const WAIT_MS = 5_000;
const PILS_MAGIC = "PILS";

/** A real socket that also keeps a copy of every datagram it sends. */
class RecordingConn extends ForwardingConn {
  readonly sent: Uint8Array[] = [];
  readonly #inner: UdpPacketConn;

  constructor(inner: UdpPacketConn) {
    super();
    this.#inner = inner;
  }

  protected get inner(): PacketConn {
    return this.#inner;
  }

  override send(data: Uint8Array, to: NetAddr): Promise<void> {
    this.sent.push(data.slice());
    return this.#inner.send(data, to);
  }
}

async function until(what: string, check: () => boolean): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${WAIT_MS} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

Deno.test("forged and replayed PILS frames on the real socket are refused; genuine traffic continues", async () => {
  const registry = new Map<number, PeerKeys>();
  const ids = new Map([[A, generateIdentity()], [B, generateIdentity()]]);
  for (const [node, id] of ids) registry.set(node, keysOf(id));
  const received: Uint8Array[] = [];
  const recording = new RecordingConn(UdpPacketConn.listen({ hostname: "127.0.0.1" }));
  await using ta = new Tunnel({
    conn: recording,
    nodeId: A,
    identity: ids.get(A)!,
    keyResolver: (n) => registry.get(n) ?? null,
    onPacket: () => {},
    log: quietLogger(systemClock),
  });
  await using tb = new Tunnel({
    conn: UdpPacketConn.listen({ hostname: "127.0.0.1" }),
    nodeId: B,
    identity: ids.get(B)!,
    keyResolver: (n) => registry.get(n) ?? null,
    onPacket: (_from, plaintext) => received.push(plaintext.slice()),
    log: quietLogger(systemClock),
  });
  await ta.connect(B, [tb.localAddr], WAIT_MS);
  const packet = Uint8Array.of(0x10, 1, 2, 3, 4, 5, 6, 7);
  ta.send(B, packet);
  await until("the genuine packet", () => received.length === 1);
  const frame = recording.sent.filter((d) => new TextDecoder().decode(d.subarray(0, 4)) === PILS_MAGIC).at(-1)!;

  const raw = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  try {
    const to: Deno.NetAddr = { transport: "udp", hostname: "127.0.0.1", port: tb.localAddr.port };
    // A counter B has not seen yet (bytes 8–15 of the PILS header; the header is the AAD), so only the tag can
    // refuse it, after the ciphertext was decrypted over in place.
    const forged = frame.slice();
    const header = new DataView(forged.buffer, 8, 8);
    header.setBigUint64(0, header.getBigUint64(0) + 100n);
    forged[forged.length - 20] ^= 0x01;
    await raw.send(forged, to);
    await until("auth_fail counted", () => tb.dropCount("auth_fail") === 1);
    await raw.send(frame, to); // the genuine frame again
    await until("replay counted", () => tb.dropCount("replay") === 1);
  } finally {
    raw.close();
  }
  ta.send(B, packet);
  await until("traffic after the attacks", () => received.length === 2);
  assert.deepEqual(received, [packet, packet]);
});
