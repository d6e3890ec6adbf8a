// Tunnels on the simulated network in virtual time (tier 2): handshakes under heavy loss, rekeys under continuous
// traffic, roaming to a new address, three nodes at once. Datagrams are delivered synchronously at their arrival
// instant, so one synchronous clock.run() drives everything; the seed is printed on failure.
import assert from "node:assert/strict";
import { generateIdentity } from "../../src/crypto/mod.ts";
import type { NetAddr, PacketConn } from "../../src/net/packet_conn.ts";
import { type PeerKeys, type Scheduler, Tunnel, type TunnelEvent } from "../../src/tunnel/mod.ts";
import { type Prng, withSeed } from "../_support/prng.ts";
import { SimClock } from "../_support/sim_clock.ts";
import { type LinkConfig, SimNetwork, type SimPacketConn } from "../_support/sim_net.ts";
import { ForwardingConn, keysOf, packet, quietLogger } from "./_support.ts";

const PORT = 7000;

function simScheduler(clock: SimClock): Scheduler {
  return {
    after(delayMs, fn) {
      const t = clock.after(delayMs, fn);
      return { cancel: () => clock.cancel(t) };
    },
  };
}

/** A socket that can move to a new port, like a NAT rebinding: the old port stops receiving. */
class RoamingConn extends ForwardingConn {
  readonly #net: SimNetwork;
  readonly #deliver: (data: Uint8Array, from: NetAddr) => void;
  #inner: SimPacketConn;

  constructor(net: SimNetwork, host: string, deliver: (data: Uint8Array, from: NetAddr) => void) {
    super();
    this.#net = net;
    this.#deliver = deliver;
    this.#inner = net.bind(host, PORT, deliver);
  }

  protected get inner(): PacketConn {
    return this.#inner;
  }

  async roam(): Promise<void> {
    const old = this.#inner;
    this.#inner = this.#net.bind(old.localAddr.hostname, 0, this.#deliver);
    await old.close();
  }
}

interface SimNode {
  readonly node: number;
  readonly host: string;
  readonly conn: RoamingConn;
  readonly tunnel: Tunnel;
  readonly received: Map<number, number>;
  readonly events: TunnelEvent[];
}

class Sim {
  readonly clock = new SimClock();
  readonly net: SimNetwork;
  readonly registry = new Map<number, PeerKeys>();
  readonly nodes: SimNode[] = [];

  constructor(rng: Prng, link: LinkConfig) {
    this.net = new SimNetwork(this.clock, rng, link);
  }

  add(node: number, host: string): SimNode {
    const id = generateIdentity(this.clock);
    this.registry.set(node, keysOf(id));
    let tunnel: Tunnel | null = null;
    const conn = new RoamingConn(this.net, host, (data, from) => tunnel?.handleDatagram(data, from));
    const received = new Map<number, number>();
    const events: TunnelEvent[] = [];
    tunnel = new Tunnel({
      conn,
      nodeId: node,
      identity: id,
      keyResolver: (n) => this.registry.get(n) ?? null,
      onPacket: (from) => received.set(from, (received.get(from) ?? 0) + 1),
      onEvent: (e) => events.push(e),
      clock: this.clock,
      scheduler: simScheduler(this.clock),
      log: quietLogger(this.clock),
    });
    const n = { node, host, conn, tunnel, received, events };
    this.nodes.push(n);
    return n;
  }

  /** Sends one packet from `from` to `to` every `everyMs` until `untilMs` (virtual, absolute). */
  traffic(from: SimNode, to: SimNode, everyMs: number, untilMs: number, sent: { n: number }): void {
    const tick = () => {
      if (this.clock.monotonic() >= untilMs) return;
      from.tunnel.send(to.node, packet(Uint8Array.of(sent.n & 0xff)));
      sent.n++;
      this.clock.after(everyMs, tick);
    };
    tick();
  }

  established(a: SimNode, peer: number): boolean {
    return a.tunnel.peers().some((p) => p.node_id === peer && p.authenticated);
  }

  async close(): Promise<void> {
    for (const n of this.nodes) await n.tunnel.close();
  }
}

Deno.test("handshakes complete despite 30% loss each way, and packets flow", async () => {
  await withSeed(async (rng) => {
    const sim = new Sim(rng, { loss: 0.3, latencyMs: 20, jitterMs: 10 });
    const a = sim.add(0x101, "a");
    const b = sim.add(0x102, "b");
    const connecting = a.tunnel.connect(0x102, [b.conn.localAddr], 90_000);
    const done = { settled: false };
    connecting.then(() => (done.settled = true), () => (done.settled = true));
    const run = sim.clock.run({ until: () => sim.established(a, 0x102), deadline: 90_000 });
    assert.equal(run.stop, "until", "the handshake did not complete in 90 s");
    const path = await connecting;
    assert.equal(path.kind, "direct");
    const sent = { n: 0 };
    const start = sim.clock.monotonic();
    sim.traffic(a, b, 50, start + 10_000, sent);
    sim.traffic(b, a, 50, start + 10_000, { n: 0 });
    sim.clock.run({ deadline: start + 11_000 });
    const got = b.received.get(0x101) ?? 0;
    assert.ok(got > sent.n * 0.55 && got < sent.n * 0.85, `delivered ${got} of ${sent.n} at 30% loss`);
    assert.ok((a.received.get(0x102) ?? 0) > 0);
    assert.ok(sim.established(b, 0x101), "the responder confirmed its keyset from data");
    await sim.close();
    assert.ok(done.settled);
  });
});

Deno.test("rekeys under continuous traffic lose no packet", async () => {
  await withSeed(async (rng) => {
    const sim = new Sim(rng, { latencyMs: 15, jitterMs: 10 });
    const a = sim.add(0x101, "a");
    const b = sim.add(0x102, "b");
    const connecting = a.tunnel.connect(0x102, [b.conn.localAddr], 20_000);
    sim.clock.run({ until: () => sim.established(a, 0x102), deadline: 1_000 });
    await connecting;
    const fromA = { n: 0 };
    const fromB = { n: 0 };
    const end = sim.clock.monotonic() + 400_000;
    sim.traffic(a, b, 100, end, fromA);
    sim.traffic(b, a, 150, end, fromB);
    sim.clock.run({ deadline: end + 1_000 });
    const rekeysA = a.events.filter((e) => e.type === "established" && e.rekeyed).length;
    const rekeysB = b.events.filter((e) => e.type === "established" && e.rekeyed).length;
    assert.ok(rekeysA >= 3, `A rekeyed ${rekeysA} times in 400 s`);
    assert.ok(rekeysB >= 3, `B rekeyed ${rekeysB} times in 400 s`);
    assert.equal(b.received.get(0x101), fromA.n);
    assert.equal(a.received.get(0x102), fromB.n);
    for (const n of [a, b]) {
      const drops = n.tunnel.drops();
      assert.deepEqual(drops, {}, `unexpected drops at ${n.host}: ${JSON.stringify(drops)}`);
    }
    await sim.close();
  });
});

Deno.test("a peer that roams to a new address is followed after its next authenticated packet", async () => {
  await withSeed(async (rng) => {
    const sim = new Sim(rng, { latencyMs: 10, loss: 0.05 });
    const a = sim.add(0x101, "a");
    const b = sim.add(0x102, "b");
    const connecting = a.tunnel.connect(0x102, [b.conn.localAddr], 90_000);
    sim.clock.run({ until: () => sim.established(a, 0x102), deadline: 90_000 });
    await connecting;
    const end = sim.clock.monotonic() + 20_000;
    sim.traffic(a, b, 200, end, { n: 0 });
    sim.traffic(b, a, 200, end, { n: 0 });
    sim.clock.run({ deadline: sim.clock.monotonic() + 5_000 });
    const oldAddr = `${a.conn.localAddr.hostname}:${a.conn.localAddr.port}`;
    assert.deepEqual(b.tunnel.peers().map((p) => p.endpoint), [oldAddr]);
    await a.conn.roam();
    const newAddr = `${a.conn.localAddr.hostname}:${a.conn.localAddr.port}`;
    assert.notEqual(newAddr, oldAddr);
    const beforeRoam = a.received.get(0x102) ?? 0;
    sim.clock.run({ deadline: end + 1_000 });
    assert.deepEqual(b.tunnel.peers().map((p) => p.endpoint), [newAddr]);
    assert.ok(b.events.some((e) => e.type === "path_changed"));
    const afterRoam = (a.received.get(0x102) ?? 0) - beforeRoam;
    assert.ok(afterRoam > 50, `A got ${afterRoam} packets at its new address`);
    await sim.close();
  });
});

Deno.test("three nodes handshake with each other at once under 30% loss", async () => {
  await withSeed(async (rng) => {
    const sim = new Sim(rng, { loss: 0.3, latencyMs: 25, jitterMs: 20 });
    const a = sim.add(0x101, "a");
    const b = sim.add(0x102, "b");
    const c = sim.add(0x103, "c");
    const pending = [
      a.tunnel.connect(b.node, [b.conn.localAddr], 90_000),
      a.tunnel.connect(c.node, [c.conn.localAddr], 90_000),
      c.tunnel.connect(b.node, [b.conn.localAddr], 90_000),
      // Simultaneous initiation from both ends is harmless (§3.7).
      b.tunnel.connect(c.node, [c.conn.localAddr], 90_000),
    ];
    const all = () =>
      sim.established(a, b.node) && sim.established(a, c.node) && sim.established(c, b.node) &&
      sim.established(b, c.node);
    const run = sim.clock.run({ until: all, deadline: 90_000 });
    assert.equal(run.stop, "until");
    await Promise.all(pending);
    const end = sim.clock.monotonic() + 5_000;
    for (const [x, y] of [[a, b], [a, c], [b, c], [c, b], [b, a], [c, a]]) sim.traffic(x, y, 100, end, { n: 0 });
    sim.clock.run({ deadline: end + 1_000 });
    for (const [x, from] of [[b, a], [c, a], [c, b], [b, c], [a, b], [a, c]]) {
      const got = x.received.get(from.node) ?? 0;
      assert.ok(got > 15, `${from.host} → ${x.host}: ${got} packets, drops ${JSON.stringify(x.tunnel.drops())}`);
    }
    await sim.close();
  });
});
