// Path MTU probing of loopback paths (PROTOCOL-BRIEF §3.5) with two tunnels on real 127.0.0.1 sockets (tier 3): the
// limit rises to the largest probe the receiver acknowledges (16 KiB by default, 64 KiB where its socket buffer was
// raised), a packet of the raised size crosses, and the peer's BYE brings the limit back to the default.
import assert from "node:assert/strict";
import { generateIdentity } from "../../src/crypto/mod.ts";
import { UdpPacketConn } from "../../src/net/udp.ts";
import { systemClock } from "../../src/util/clock.ts";
import { type PeerKeys, Tunnel } from "../../src/tunnel/mod.ts";
import {
  isLoopbackHost,
  LOOPBACK_PATH_LIMIT_BYTES,
  LOOPBACK_PROBE_DATAGRAM_BYTES,
  maxProbeAckDatagramBytes,
  pathLimitOf,
  SMALL_PROBE_DATAGRAM_BYTES,
} from "../../src/tunnel/mtu.ts";
import { DEFAULT_PAYLOAD_LIMIT_BYTES, HEADER_BYTES } from "../../src/wire/mod.ts";
import { keysOf, quietLogger } from "./_support.ts";

const A = 0x101;
const B = 0x102;
const WAIT_MS = 5_000;

/** Resolves when `check` holds, polling every 10 ms; rejects after WAIT_MS. */
async function until(what: string, check: () => boolean): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${WAIT_MS} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

Deno.test("isLoopbackHost() accepts 127.0.0.0/8 and ::1 only", () => {
  for (const host of ["127.0.0.1", "127.1.2.3", "::1"]) assert.equal(isLoopbackHost(host), true, host);
  for (const host of ["10.0.0.1", "128.0.0.1", "::2", "192.168.1.127", "b"]) assert.equal(isLoopbackHost(host), false);
});

/**
 * Two tunnels on real loopback sockets; `ackBytes` is the largest probe each acknowledges (undefined: the default).
 * The limit rises to `expected`, a packet of that size crosses in order, and the peer's BYE resets the limit.
 */
async function probeScenario(ackBytes: ((conn: UdpPacketConn) => number) | undefined, expected: number) {
  const registry = new Map<number, PeerKeys>();
  const ids = new Map([[A, generateIdentity()], [B, generateIdentity()]]);
  for (const [node, id] of ids) registry.set(node, keysOf(id));
  const limits: [number, number, number][] = [];
  const received: Uint8Array[] = [];
  const make = (node: number) => {
    const conn = UdpPacketConn.listen({ hostname: "127.0.0.1" });
    return new Tunnel({
      conn,
      nodeId: node,
      identity: ids.get(node)!,
      keyResolver: (n) => registry.get(n) ?? null,
      onPacket: (_from, plaintext) => received.push(plaintext),
      onPathLimit: (peer, bytes) => limits.push([node, peer, bytes]),
      ...(ackBytes === undefined ? {} : { maxProbeAckDatagramBytes: ackBytes(conn) }),
      log: quietLogger(systemClock),
    });
  };
  await using ta = make(A);
  const tb = make(B);
  try {
    assert.equal(ta.pathLimit(B), DEFAULT_PAYLOAD_LIMIT_BYTES);
    await ta.connect(B, [tb.localAddr], WAIT_MS);
    await until("both limits raised", () => ta.pathLimit(B) === expected && tb.pathLimit(A) === expected);
    assert.deepEqual(limits.sort(), [[A, B, expected], [B, A, expected]]);

    const big = crypto.getRandomValues(new Uint8Array(HEADER_BYTES + expected));
    big[0] = 0x10;
    const small = Uint8Array.of(0x10, 1, 2, 3);
    ta.send(B, big);
    ta.send(B, small);
    await until("both packets delivered", () => received.length >= 2);
    assert.deepEqual(received, [big, small], "in order");
  } finally {
    await tb.close();
  }
  await until("A's limit back to the default after B's BYE", () => ta.pathLimit(B) === DEFAULT_PAYLOAD_LIMIT_BYTES);
  assert.deepEqual(limits.at(-1), [A, B, DEFAULT_PAYLOAD_LIMIT_BYTES]);
}

Deno.test("a loopback path is probed: receivers with the default socket buffer acknowledge 16 KiB", async () => {
  await probeScenario(undefined, pathLimitOf(SMALL_PROBE_DATAGRAM_BYTES));
});

Deno.test({
  name: "receivers whose socket buffer was raised acknowledge the largest datagram: 64 KiB packets cross",
  ignore: !(Deno.build.os === "linux" || Deno.build.os === "darwin"),
  async fn() {
    const ack = (conn: UdpPacketConn) => maxProbeAckDatagramBytes(conn.receiveBufferBytes);
    const probe = UdpPacketConn.listen({ hostname: "127.0.0.1" });
    const raised = maxProbeAckDatagramBytes(probe.receiveBufferBytes) >= LOOPBACK_PROBE_DATAGRAM_BYTES;
    await probe.close();
    // A kernel that capped the buffers low (net.core.rmem_max) keeps 16 KiB: that is the rule being tested too.
    await probeScenario(ack, raised ? LOOPBACK_PATH_LIMIT_BYTES : pathLimitOf(SMALL_PROBE_DATAGRAM_BYTES));
  },
});

Deno.test("maxProbeAckDatagramBytes() accepts 16 KiB always and larger sizes a buffer holds 32 of", () => {
  assert.equal(maxProbeAckDatagramBytes(null), SMALL_PROBE_DATAGRAM_BYTES);
  assert.equal(maxProbeAckDatagramBytes(212_992), SMALL_PROBE_DATAGRAM_BYTES);
  assert.equal(maxProbeAckDatagramBytes(8 * 1024 * 1024), 262_144);
  assert.ok(maxProbeAckDatagramBytes(8 * 1024 * 1024) >= LOOPBACK_PROBE_DATAGRAM_BYTES);
  assert.ok(maxProbeAckDatagramBytes(1024 * 1024) < LOOPBACK_PROBE_DATAGRAM_BYTES);
});
