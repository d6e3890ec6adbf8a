// An in-memory datagram network in virtual time, implementing PacketConn for every simulated socket. Each
// direction between two hosts is a link with its own seeded impairments: loss, duplication, reordering, latency
// with jitter, a bandwidth limit (serialisation delay behind a bounded queue), blackout windows; plus targeted drop
// filters that see each datagram's bytes, and middleboxes that may rewrite addresses (NAT boxes). Independent of the
// protocols that run over it.
import type { Datagram, NetAddr, PacketConn } from "../../src/net/packet_conn.ts";
import type { Prng } from "./prng.ts";
import type { SimClock } from "./sim_clock.ts";

export interface LinkConfig {
  /** Probability in [0, 1] that a datagram is lost. */
  readonly loss?: number;
  /** Probability that a datagram is delivered twice. */
  readonly duplicate?: number;
  /** Probability that a datagram is held back by `reorderDelayMs`, letting later ones overtake it. */
  readonly reorder?: number;
  readonly reorderDelayMs?: number;
  /** One-way propagation delay. */
  readonly latencyMs?: number;
  /** Extra delay drawn uniformly from [0, jitterMs] per datagram; the link stays FIFO (use `reorder` to reorder). */
  readonly jitterMs?: number;
  /** Link rate in bits per second; 0 or absent = unlimited. */
  readonly bandwidthBps?: number;
  /** Bytes the link queue holds before tail-dropping (with a bandwidth limit). */
  readonly queueBytes?: number;
  /** Virtual-time windows [fromMs, toMs) in which everything sent is lost. */
  readonly blackouts?: readonly { readonly fromMs: number; readonly toMs: number }[];
}

/** A drop filter: true drops the datagram. Called once per datagram before the random impairments. */
export type DropFilter = (data: Uint8Array, from: NetAddr, to: NetAddr) => boolean;

/** A datagram in transit, as a middlebox sees it. */
export interface InTransit {
  readonly data: Uint8Array;
  readonly from: NetAddr;
  readonly to: NetAddr;
}

/**
 * A middlebox (NAT box, relay, tap): sees every datagram after the drop filters and may rewrite its addresses or
 * bytes, or return null to drop it (counted as a filter drop). Links are chosen by the rewritten hosts.
 */
export type Middlebox = (d: InTransit) => InTransit | null;

export interface SimNetStats {
  sent: number;
  delivered: number;
  duplicated: number;
  dropLoss: number;
  dropBlackout: number;
  dropFilter: number;
  dropQueue: number;
  dropUnbound: number;
  dropRecvQueue: number;
}

interface LinkState {
  config: LinkConfig;
  busyUntil: number;
  /** Arrival time of the last in-order datagram: jitter never lets one overtake another. */
  lastArrival: number;
}

const EPHEMERAL_MIN = 49_152;
const EPHEMERAL_SPAN = 16_384;
const RECV_QUEUE_MAX = 8192;
const DEFAULT_QUEUE_BYTES = 256 * 1024;

export class SimNetwork {
  readonly clock: SimClock;
  readonly #rng: Prng;
  readonly #defaults: LinkConfig;
  readonly #links = new Map<string, LinkState>();
  readonly #sockets = new Map<string, SimPacketConn>();
  readonly #filters = new Set<DropFilter>();
  readonly #middleboxes: Middlebox[] = [];
  #nextPort = 0;
  readonly stats: SimNetStats = {
    sent: 0,
    delivered: 0,
    duplicated: 0,
    dropLoss: 0,
    dropBlackout: 0,
    dropFilter: 0,
    dropQueue: 0,
    dropUnbound: 0,
    dropRecvQueue: 0,
  };

  constructor(clock: SimClock, rng: Prng, defaults: LinkConfig = {}) {
    this.clock = clock;
    this.#rng = rng;
    this.#defaults = defaults;
  }

  /** Sets the link from host `from` to host `to` (one direction). */
  setLink(from: string, to: string, config: LinkConfig): void {
    const key = `${from}>${to}`;
    const prev = this.#links.get(key);
    this.#links.set(key, { config, busyUntil: prev?.busyUntil ?? 0, lastArrival: prev?.lastArrival ?? 0 });
  }

  /** Sets both directions between `a` and `b` alike. */
  setLinkBoth(a: string, b: string, config: LinkConfig): void {
    this.setLink(a, b, config);
    this.setLink(b, a, config);
  }

  /** Adds a targeted drop filter; returns a function that removes it. */
  addDropFilter(filter: DropFilter): () => void {
    this.#filters.add(filter);
    return () => this.#filters.delete(filter);
  }

  /** Adds a middlebox; they run in the order added. Returns a function that removes it. */
  addMiddlebox(box: Middlebox): () => void {
    this.#middleboxes.push(box);
    return () => {
      const i = this.#middleboxes.indexOf(box);
      if (i >= 0) this.#middleboxes.splice(i, 1);
    };
  }

  /**
   * Binds a socket on `host` (port 0 picks a free one). With `onPacket`, datagrams are handed to it synchronously at
   * their arrival instant instead of being queued for receive(): the fast path for large simulations.
   */
  bind(host: string, port = 0, onPacket?: (data: Uint8Array, from: NetAddr) => void): SimPacketConn {
    let p = port;
    if (p === 0) {
      for (let i = 0; i < EPHEMERAL_SPAN; i++) {
        const candidate = EPHEMERAL_MIN + ((this.#nextPort++) % EPHEMERAL_SPAN);
        if (!this.#sockets.has(`${host}:${candidate}`)) {
          p = candidate;
          break;
        }
      }
    }
    const key = `${host}:${p}`;
    if (p === 0 || this.#sockets.has(key)) throw new Error(`cannot bind ${key}: address in use`);
    const conn = new SimPacketConn(this, { hostname: host, port: p }, onPacket);
    this.#sockets.set(key, conn);
    return conn;
  }

  /** @internal */
  unbind(addr: NetAddr): void {
    this.#sockets.delete(`${addr.hostname}:${addr.port}`);
  }

  #link(from: string, to: string): LinkState {
    const key = `${from}>${to}`;
    let link = this.#links.get(key);
    if (link === undefined) {
      link = { config: this.#defaults, busyUntil: 0, lastArrival: 0 };
      this.#links.set(key, link);
    }
    return link;
  }

  /** @internal Puts one datagram on the wire from `from` to `to`. */
  transmit(sentData: Uint8Array, sentFrom: NetAddr, sentTo: NetAddr): void {
    this.stats.sent++;
    for (const f of this.#filters) {
      if (f(sentData, sentFrom, sentTo)) {
        this.stats.dropFilter++;
        return;
      }
    }
    let d: InTransit | null = { data: sentData, from: sentFrom, to: sentTo };
    for (const box of this.#middleboxes) {
      d = box(d);
      if (d === null) {
        this.stats.dropFilter++;
        return;
      }
    }
    const { data, from, to } = d;
    const now = this.clock.monotonic();
    const link = this.#link(from.hostname, to.hostname);
    const c = link.config;
    if (c.blackouts?.some((b) => now >= b.fromMs && now < b.toMs)) {
      this.stats.dropBlackout++;
      return;
    }
    if (c.loss !== undefined && c.loss > 0 && this.#rng.float() < c.loss) {
      this.stats.dropLoss++;
      return;
    }
    let departure = now;
    if (c.bandwidthBps !== undefined && c.bandwidthBps > 0) {
      const start = Math.max(now, link.busyUntil);
      const queuedBytes = ((start - now) * c.bandwidthBps) / 8000;
      if (queuedBytes + data.length > (c.queueBytes ?? DEFAULT_QUEUE_BYTES)) {
        this.stats.dropQueue++;
        return;
      }
      departure = start + (data.length * 8000) / c.bandwidthBps;
      link.busyUntil = departure;
    }
    const copy = data.slice();
    this.#schedule(copy, from, to, departure, link);
    if (c.duplicate !== undefined && c.duplicate > 0 && this.#rng.float() < c.duplicate) {
      this.stats.duplicated++;
      this.#schedule(copy.slice(), from, to, departure, link);
    }
  }

  #schedule(data: Uint8Array, from: NetAddr, to: NetAddr, departure: number, link: LinkState): void {
    const c = link.config;
    let at = departure + (c.latencyMs ?? 0);
    if (c.jitterMs !== undefined && c.jitterMs > 0) at += this.#rng.float() * c.jitterMs;
    if (c.reorder !== undefined && c.reorder > 0 && this.#rng.float() < c.reorder) {
      at += c.reorderDelayMs ?? 10;
    } else {
      at = Math.max(at, link.lastArrival);
      link.lastArrival = at;
    }
    this.clock.schedule(at, () => this.#deliver(data, from, to));
  }

  #deliver(data: Uint8Array, from: NetAddr, to: NetAddr): void {
    const sock = this.#sockets.get(`${to.hostname}:${to.port}`);
    if (sock === undefined) {
      this.stats.dropUnbound++;
      return;
    }
    if (sock.deliver(data, from)) this.stats.delivered++;
    else this.stats.dropRecvQueue++;
  }
}

export class SimPacketConn implements PacketConn {
  readonly localAddr: NetAddr;
  readonly #net: SimNetwork;
  readonly #onPacket: ((data: Uint8Array, from: NetAddr) => void) | undefined;
  readonly #queue: Datagram[] = [];
  #waiters: ((d: Datagram | null) => void)[] = [];
  #closed = false;

  constructor(net: SimNetwork, addr: NetAddr, onPacket?: (data: Uint8Array, from: NetAddr) => void) {
    this.#net = net;
    this.localAddr = addr;
    this.#onPacket = onPacket;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Synchronous send for simulation hot loops. */
  sendNow(data: Uint8Array, to: NetAddr): void {
    if (this.#closed) throw new Error(`cannot send from ${this.localAddr.hostname}:${this.localAddr.port}: closed`);
    this.#net.transmit(data, this.localAddr, to);
  }

  send(data: Uint8Array, to: NetAddr): Promise<void> {
    try {
      this.sendNow(data, to);
      return Promise.resolve();
    } catch (err) {
      return Promise.reject(err);
    }
  }

  receive(): Promise<Datagram | null> {
    const d = this.#queue.shift();
    if (d !== undefined) return Promise.resolve(d);
    if (this.#closed) return Promise.resolve(null);
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /** @internal Returns false when the receive queue is full (the datagram is dropped). */
  deliver(data: Uint8Array, from: NetAddr): boolean {
    if (this.#closed) return false;
    if (this.#onPacket !== undefined) {
      this.#onPacket(data, from);
      return true;
    }
    const waiter = this.#waiters.shift();
    if (waiter !== undefined) {
      waiter([data, from]);
      return true;
    }
    if (this.#queue.length >= RECV_QUEUE_MAX) return false;
    this.#queue.push([data, from]);
    return true;
  }

  close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      this.#net.unbind(this.localAddr);
      for (const w of this.#waiters) w(null);
      this.#waiters = [];
    }
    return Promise.resolve();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
