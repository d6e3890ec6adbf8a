// Test fixtures for the tunnel: node identities and a key registry, a capturing PacketConn, and a hand-cranked
// "wire" that moves captured datagrams between tunnels synchronously, so a test can drop, replay, rewrite or
// re-source any frame and see exactly what a tunnel does with it.
import { ed25519Sign, generateIdentity, type Identity, noiseBindingBytes } from "../../src/crypto/mod.ts";
import { Logger, MemorySink } from "../../src/log/logger.ts";
import type { Datagram, NetAddr, PacketConn } from "../../src/net/packet_conn.ts";
import type { Clock } from "../../src/util/clock.ts";
import { Tunnel, type TunnelEvent, type TunnelOptions } from "../../src/tunnel/mod.ts";
import type { PeerKeys } from "../../src/tunnel/mod.ts";
import type { Scheduler } from "../../src/tunnel/mod.ts";

/** A scheduler that never fires: unit tests call tunnel.tick() themselves. */
export const manualScheduler: Scheduler = { after: () => ({ cancel: () => {} }) };

export function quietLogger(clock: Clock): Logger {
  return new Logger({ sink: new MemorySink(), level: "error", clock });
}

export function keysOf(id: Identity): PeerKeys {
  return {
    publicKey: id.publicKey,
    noisePublicKey: id.noisePublicKey,
    noiseIssuedAt: id.noiseIssuedAt,
    noiseSig: id.noiseSig,
  };
}

/** The same identity with its noise key re-bound at `issuedAtMs`. */
export function rebind(id: Identity, issuedAtMs: number): Identity {
  const sig = ed25519Sign(id.seed, noiseBindingBytes(id.noisePublicKey, issuedAtMs));
  return { ...id, noiseIssuedAt: issuedAtMs, noiseSig: sig };
}

/** A PacketConn that hands everything to `inner`; wrappers override what they observe or change. */
export abstract class ForwardingConn implements PacketConn {
  protected abstract get inner(): PacketConn;

  get localAddr(): NetAddr {
    return this.inner.localAddr;
  }

  get receiveBufferBytes(): number | null {
    return this.inner.receiveBufferBytes ?? null;
  }

  send(data: Uint8Array, to: NetAddr): Promise<void> {
    return this.inner.send(data, to);
  }

  receive(): Promise<Datagram | null> {
    return this.inner.receive();
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/** A PacketConn that records every send and never receives (frames are fed through handleDatagram). */
export class CaptureConn implements PacketConn {
  readonly localAddr: NetAddr;
  sent: { data: Uint8Array; to: NetAddr }[] = [];
  #waiters: ((d: Datagram | null) => void)[] = [];
  #closed = false;

  constructor(addr: NetAddr) {
    this.localAddr = addr;
  }

  send(data: Uint8Array, to: NetAddr): Promise<void> {
    if (this.#closed) return Promise.reject(new Error("cannot send: closed"));
    this.sent.push({ data: data.slice(), to });
    return Promise.resolve();
  }

  receive(): Promise<Datagram | null> {
    if (this.#closed) return Promise.resolve(null);
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  close(): Promise<void> {
    this.#closed = true;
    for (const w of this.#waiters) w(null);
    this.#waiters = [];
    return Promise.resolve();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  take(): { data: Uint8Array; to: NetAddr }[] {
    const out = this.sent;
    this.sent = [];
    return out;
  }
}

export interface TestNode {
  readonly node: number;
  readonly identity: Identity;
  readonly conn: CaptureConn;
  readonly tunnel: Tunnel;
  readonly packets: { from: number; data: Uint8Array; path: string }[];
  readonly events: TunnelEvent[];
  readonly beacon: Uint8Array[];
  /** Frames this node sent through the relay: [dst node, inner frame]. */
  readonly relayed: { dst: number; inner: Uint8Array }[];
}

/** The `to` host of relayed frames in TestWire.log (the port is the destination node). */
export const RELAY_HOST = "relay";

export type WireVerdict = "deliver" | "drop";
export type WireFilter = (data: Uint8Array, from: NetAddr, to: NetAddr) => WireVerdict;

/** Everything a set of test nodes shares: the clock, the key registry and the wire between their sockets. */
export class TestWire {
  readonly clock: Clock;
  readonly registry = new Map<number, PeerKeys>();
  readonly nodes: TestNode[] = [];
  filter: WireFilter = () => "deliver";
  /** Every datagram put on the wire and every relayed frame, for inspection. */
  readonly log: { data: Uint8Array; from: NetAddr; to: NetAddr }[] = [];

  constructor(clock: Clock) {
    this.clock = clock;
  }

  add(node: number, host: string, extra: Partial<TunnelOptions> = {}, identity?: Identity): TestNode {
    const id = identity ?? generateIdentity(this.clock);
    this.registry.set(node, keysOf(id));
    const conn = new CaptureConn({ hostname: host, port: 4000 });
    const packets: TestNode["packets"] = [];
    const events: TunnelEvent[] = [];
    const beacon: Uint8Array[] = [];
    const relayed: TestNode["relayed"] = [];
    const tunnel = new Tunnel({
      conn,
      nodeId: node,
      identity: id,
      keyResolver: (n) => this.registry.get(n) ?? null,
      onPacket: (from, data, path) => packets.push({ from, data: data.slice(), path }),
      onBeaconMessage: (bytes) => beacon.push(bytes),
      onEvent: (e) => events.push(e),
      sendViaRelay: (dst, inner) => void relayed.push({ dst, inner: inner.slice() }),
      clock: this.clock,
      scheduler: manualScheduler,
      log: quietLogger(this.clock),
      ...extra,
    });
    const t: TestNode = { node, identity: id, conn, tunnel, packets, events, beacon, relayed };
    this.nodes.push(t);
    return t;
  }

  #byAddr(addr: NetAddr): TestNode | undefined {
    return this.nodes.find((n) => n.conn.localAddr.hostname === addr.hostname && n.conn.localAddr.port === addr.port);
  }

  #byNode(node: number): TestNode | undefined {
    return this.nodes.find((n) => n.node === node);
  }

  /**
   * Delivers captured datagrams (and relayed frames, as RELAY_DELIVER from the sender's node) until nothing new is
   * sent; returns how many were delivered. Bounded so a ping-pong bug cannot hang a test.
   */
  flush(maxRounds = 50): number {
    let delivered = 0;
    for (let round = 0; round < maxRounds; round++) {
      let moved = false;
      for (const n of this.nodes) {
        for (const { data, to } of n.conn.take()) {
          moved = true;
          const from = n.conn.localAddr;
          this.log.push({ data, from, to });
          const dest = this.#byAddr(to);
          if (dest === undefined || this.filter(data, from, to) === "drop") continue;
          dest.tunnel.handleDatagram(data, from);
          delivered++;
        }
        for (const { dst, inner } of n.relayed.splice(0)) {
          moved = true;
          this.log.push({ data: inner, from: n.conn.localAddr, to: { hostname: RELAY_HOST, port: dst } });
          const dest = this.#byNode(dst);
          if (dest === undefined) continue;
          dest.tunnel.receiveRelayed(n.node, inner);
          delivered++;
        }
      }
      if (!moved) return delivered;
    }
    throw new Error(`wire did not settle in ${maxRounds} rounds`);
  }

  /** Moves time forward in tick-sized steps, running every tunnel's timers and flushing the wire each step. */
  advance(ms: number, advanceClock: (ms: number) => void, stepMs = 250): void {
    for (let t = 0; t < ms; t += stepMs) {
      advanceClock(Math.min(stepMs, ms - t));
      for (const n of this.nodes) n.tunnel.tick();
      this.flush();
    }
  }

  async closeAll(): Promise<void> {
    for (const n of this.nodes) await n.tunnel.close();
  }
}

/** A minimal overlay packet: first byte 0x10 (version 1, no flags) then `body`. */
export function packet(body: Uint8Array | string): Uint8Array {
  const b = typeof body === "string" ? new TextEncoder().encode(body) : body;
  const out = new Uint8Array(1 + b.length);
  out[0] = 0x10;
  out.set(b, 1);
  return out;
}

export function magicOf(data: Uint8Array): string {
  return data.length >= 4 ? String.fromCharCode(data[0], data[1], data[2], data[3]) : "";
}
