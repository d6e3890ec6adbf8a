// The real UDP PacketConn on loopback sockets (tier 3).
import assert from "node:assert/strict";
import { UdpPacketConn } from "../../src/net/udp.ts";

const LOOPBACK = "127.0.0.1";

Deno.test("UdpPacketConn exchanges datagrams and reports the sender's address", async () => {
  await using a = UdpPacketConn.listen({ hostname: LOOPBACK });
  await using b = UdpPacketConn.listen({ hostname: LOOPBACK });
  assert.equal(a.localAddr.hostname, LOOPBACK);
  assert.ok(a.localAddr.port > 0, "port 0 resolved to the real port");
  for (let i = 0; i < 3; i++) await a.send(Uint8Array.of(0x10, i), b.localAddr);
  for (let i = 0; i < 3; i++) {
    const d = await b.receive();
    assert.ok(d !== null);
    assert.deepEqual([...d[0]], [0x10, i]);
    assert.deepEqual(d[1], a.localAddr);
  }
  const big = new Uint8Array(60_000).fill(7);
  await b.send(big, a.localAddr);
  const got = await a.receive();
  assert.equal(got?.[0].length, 60_000);
  assert.equal(got?.[0].buffer.byteLength, 60_000, "the datagram is a copy of its own size");
});

Deno.test("close() resolves a waiting receive() with null, is idempotent, and later sends reject", async () => {
  const a = UdpPacketConn.listen({ hostname: LOOPBACK });
  const pending = a.receive();
  await Promise.all([a.close(), a.close()]);
  assert.equal(await pending, null);
  assert.equal(await a.receive(), null);
  await assert.rejects(a.send(Uint8Array.of(1), { hostname: LOOPBACK, port: 9 }), /closed/);
});

Deno.test("datagrams wait in the queue until read", async () => {
  await using a = UdpPacketConn.listen({ hostname: LOOPBACK });
  await using b = UdpPacketConn.listen({ hostname: LOOPBACK });
  for (let i = 0; i < 50; i++) await a.send(Uint8Array.of(i), b.localAddr);
  const seen: number[] = [];
  for (let i = 0; i < 50; i++) seen.push((await b.receive())![0][0]);
  assert.equal(new Set(seen).size, 50);
});

/** Whether this host can bind a dual-stack IPv6 socket (containers without IPv6 cannot). */
function dualStackAvailable(): boolean {
  try {
    Deno.listenDatagram({ transport: "udp", hostname: "::", port: 0 }).close();
    return true;
  } catch {
    return false;
  }
}

Deno.test({
  name: "a dual-stack IPv6 socket sees IPv4 peers in IPv4 form and can answer them",
  ignore: !dualStackAvailable(),
  fn: async () => {
    await using v6 = UdpPacketConn.listen({ hostname: "::" });
    await using v4 = UdpPacketConn.listen({ hostname: LOOPBACK });
    await v4.send(Uint8Array.of(0x42), { hostname: LOOPBACK, port: v6.localAddr.port });
    const d = await v6.receive();
    assert.deepEqual(d?.[1], v4.localAddr, "::ffff:127.0.0.1 is reported as 127.0.0.1");
    await v6.send(Uint8Array.of(0x43), d![1]);
    const back = await v4.receive();
    assert.deepEqual([...back![0]], [0x43]);
  },
});
