// Larger kernel buffers for real UDP sockets (src/net/socket_buffers.ts): the socket is found by its port, the kernel
// grants at least the default, a port without a socket of ours is left alone, and 0 keeps the system default.
import assert from "node:assert/strict";
import { UdpPacketConn } from "../../src/net/udp.ts";
import { raiseUdpBuffers } from "../../src/net/socket_buffers.ts";

const supported = Deno.build.os === "linux" || Deno.build.os === "darwin";
const LINUX_DEFAULT_BYTES = 212_992;

function sysctl(name: string): number | null {
  try {
    return Number(Deno.readTextFileSync(`/proc/sys/net/core/${name}`).trim());
  } catch {
    return null;
  }
}

Deno.test({
  name: "a UDP socket gets the buffers the kernel allows for a 4 MiB request",
  ignore: !supported,
  async fn() {
    const conn = UdpPacketConn.listen({ hostname: "127.0.0.1" });
    try {
      const got = conn.socketBuffers;
      assert.ok(got !== null, "the socket was found and changed");
      const cap = sysctl("rmem_max");
      if (Deno.build.os === "linux" && cap !== null) {
        // Linux doubles the request (bookkeeping overhead) after capping it at rmem_max.
        assert.equal(got.receiveBytes, 2 * Math.min(4 * 1024 * 1024, cap));
        assert.ok(got.receiveBytes >= LINUX_DEFAULT_BYTES);
      }
      assert.ok(got.sendBytes > 0);
    } finally {
      await conn.close();
    }
  },
});

Deno.test({
  name: "IPv6 (dual-stack) sockets are found as AF_INET6 sockets",
  ignore: !supported,
  async fn() {
    let conn: UdpPacketConn;
    try {
      conn = UdpPacketConn.listen({ hostname: "::" });
    } catch {
      return; // no IPv6 on this machine
    }
    try {
      assert.ok(conn.socketBuffers !== null);
    } finally {
      await conn.close();
    }
  },
});

Deno.test({
  name: "a port with no UDP socket of this process, or of the other family, changes nothing",
  ignore: !supported,
  async fn() {
    const conn = UdpPacketConn.listen({ hostname: "127.0.0.1", socketBufferBytes: 0 });
    try {
      assert.equal(conn.socketBuffers, null, "0 keeps the system default");
      assert.equal(raiseUdpBuffers(conn.localAddr.port, true, 1 << 20), null, "no AF_INET6 socket on that port");
      // A TCP listener's port is not a datagram socket.
      const tcp = Deno.listen({ hostname: "127.0.0.1", port: 0 });
      try {
        assert.equal(raiseUdpBuffers(tcp.addr.port, false, 1 << 20), null);
      } finally {
        tcp.close();
      }
    } finally {
      await conn.close();
    }
  },
});
