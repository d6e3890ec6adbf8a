// The §5.6 connection strategy (PROTOCOL-BRIEF §5.3, §5.4, §5.6) with a filter in front of bob's socket: behind a
// NAT-like filter alice's first PILHs are lost until bob's punch probes open the way, and the session comes up
// direct; with a socket that talks only to the beacon, everything direct is lost and from 4 s the handshake and the
// stream go through the beacon relay.
import assert from "node:assert/strict";
import type { Datagram, NetAddr, PacketConn } from "../../src/net/packet_conn.ts";
import { startNode } from "../../src/daemon/mod.ts";
import {
  beaconText,
  eventually,
  ipc,
  registryText,
  startTestRegistry,
  tempRoot,
  testLogger,
  testSettings,
  VERSION,
} from "./_cluster.ts";
import { makeTrust, readAll, writeAll } from "./_pair.ts";

/** A socket that exchanges datagrams with one address only (everything else is lost both ways). */
class OnlyTo implements PacketConn {
  readonly #inner: PacketConn;
  readonly #peer: NetAddr;

  constructor(inner: PacketConn, peer: NetAddr) {
    this.#inner = inner;
    this.#peer = peer;
  }

  get localAddr(): NetAddr {
    return this.#inner.localAddr;
  }

  #allowed(a: NetAddr): boolean {
    return a.port === this.#peer.port && a.hostname === this.#peer.hostname;
  }

  send(data: Uint8Array, to: NetAddr): Promise<void> {
    return this.#allowed(to) ? this.#inner.send(data, to) : Promise.resolve();
  }

  async receive(): Promise<Datagram | null> {
    for (;;) {
      const d = await this.#inner.receive();
      if (d === null || this.#allowed(d[1])) return d;
    }
  }

  close(): Promise<void> {
    return this.#inner.close();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/** Lets inbound datagrams through only from addresses we sent to before (an address-dependent NAT filter). */
class NatFilter implements PacketConn {
  readonly #inner: PacketConn;
  readonly #open = new Set<string>();

  constructor(inner: PacketConn) {
    this.#inner = inner;
  }

  get localAddr(): NetAddr {
    return this.#inner.localAddr;
  }

  send(data: Uint8Array, to: NetAddr): Promise<void> {
    this.#open.add(`${to.hostname}:${to.port}`);
    return this.#inner.send(data, to);
  }

  async receive(): Promise<Datagram | null> {
    for (;;) {
      const d = await this.#inner.receive();
      if (d === null || this.#open.has(`${d[1].hostname}:${d[1].port}`)) return d;
    }
  }

  close(): Promise<void> {
    return this.#inner.close();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

Deno.test("behind a NAT-like filter the punch at 1 s opens a direct path", async () => {
  await using root = await tempRoot();
  await using reg = await startTestRegistry();
  const settings = (name: string) => testSettings(root.dir, name, registryText(reg), beaconText(reg), { public: true });
  const alice = await startNode(await settings("alice"), { log: testLogger(), version: VERSION });
  const bob = await startNode(await settings("bob"), {
    log: testLogger(),
    version: VERSION,
    wrapSocket: (conn) => new NatFilter(conn),
  });
  try {
    await eventually(() => alice.parts.beacon.status().registered && bob.parts.beacon.status().registered);
    const started = performance.now();
    await alice.parts.dialer.ensurePath(bob.nodeId, 20_000);
    const took = performance.now() - started;
    const row = alice.parts.plane.tunnel.peers().find((r) => r.node_id === bob.nodeId);
    assert.equal(row?.path, "direct");
    assert.ok(took >= 900 && took < 4_000, `direct after the punch, before the relay (${Math.round(took)} ms)`);
  } finally {
    await alice.close();
    await bob.close();
  }
});

Deno.test("without a direct path the handshake and the stream go through the beacon relay", async () => {
  await using root = await tempRoot();
  await using reg = await startTestRegistry();
  const beacon = { hostname: "127.0.0.1", port: reg.beaconAddr!.port };
  const settings = (name: string) => testSettings(root.dir, name, registryText(reg), beaconText(reg));
  const alice = await startNode(await settings("alice"), { log: testLogger(), version: VERSION });
  const bob = await startNode(await settings("bob"), {
    log: testLogger(),
    version: VERSION,
    wrapSocket: (conn) => new OnlyTo(conn, beacon),
  });
  const a = await ipc(alice);
  const b = await ipc(bob);
  try {
    // Trust first (over the registry): relaying needs the two nodes visible to each other (§4.3, §5.4).
    await makeTrust({ name: "alice", node: alice, client: a }, { name: "bob", node: bob, client: b });
    await eventually(() => bob.parts.beacon.status().registered);
    const stream = await a.dialStream({ addr: bob.address, port: 7, timeout_ms: 20_000 });
    await writeAll(stream, new TextEncoder().encode("via the relay"));
    assert.equal(new TextDecoder().decode(await readAll(stream)), "via the relay");
    const row = alice.parts.plane.tunnel.peers().find((r) => r.node_id === bob.nodeId);
    assert.equal(row?.path, "relay");
    assert.equal((await a.request("info")).peer_list[0].path, "relay");
  } finally {
    await a.close();
    await b.close();
    await alice.close();
    await bob.close();
  }
});

/** A filter that can cut everything but the beacon at any time. */
class Switchable implements PacketConn {
  readonly #inner: PacketConn;
  readonly #beacon: NetAddr;
  blocked = false;

  constructor(inner: PacketConn, beacon: NetAddr) {
    this.#inner = inner;
    this.#beacon = beacon;
  }

  get localAddr(): NetAddr {
    return this.#inner.localAddr;
  }

  #allowed(a: NetAddr): boolean {
    return !this.blocked || (a.port === this.#beacon.port && a.hostname === this.#beacon.hostname);
  }

  send(data: Uint8Array, to: NetAddr): Promise<void> {
    return this.#allowed(to) ? this.#inner.send(data, to) : Promise.resolve();
  }

  async receive(): Promise<Datagram | null> {
    for (;;) {
      const d = await this.#inner.receive();
      if (d === null || this.#allowed(d[1])) return d;
    }
  }

  close(): Promise<void> {
    return this.#inner.close();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

Deno.test("a direct path that goes silent fails over to the relay and the stream goes on", async () => {
  await using root = await tempRoot();
  await using reg = await startTestRegistry();
  const beacon = { hostname: "127.0.0.1", port: reg.beaconAddr!.port };
  const settings = (name: string) => testSettings(root.dir, name, registryText(reg), beaconText(reg));
  let filter: Switchable | null = null;
  const alice = await startNode(await settings("alice"), { log: testLogger(), version: VERSION });
  const bob = await startNode(await settings("bob"), {
    log: testLogger(),
    version: VERSION,
    wrapSocket: (conn) => filter = new Switchable(conn, beacon),
  });
  const a = await ipc(alice);
  const b = await ipc(bob);
  try {
    await makeTrust({ name: "alice", node: alice, client: a }, { name: "bob", node: bob, client: b });
    await eventually(() => bob.parts.beacon.status().registered);
    const stream = await a.dialStream({ addr: bob.address, port: 7 });
    const writer = stream.writable.getWriter();
    const reader = stream.readable.getReader();
    const echo = async (text: string) => {
      await writer.write(new TextEncoder().encode(text));
      let got = "";
      while (got.length < text.length) got += new TextDecoder().decode((await reader.read()).value);
      return got;
    };
    assert.equal(await echo("direct"), "direct");
    assert.equal(alice.parts.plane.tunnel.peers()[0].path, "direct");
    filter!.blocked = true;
    // The retransmissions are what alice sends into the silence; the failover then carries them.
    assert.equal(await echo("after the cut"), "after the cut");
    assert.equal(alice.parts.plane.tunnel.peers()[0].path, "relay");
    await writer.close();
  } finally {
    await a.close();
    await b.close();
    await alice.close();
    await bob.close();
  }
});
