// The node's data plane (PROTOCOL-BRIEF §2, §3, §7): the tunnel on the one UDP socket, the stream stack, datagrams
// and the control ping, joined by the §2.3 receive checks. Outgoing packets to our own node id loop back inside the
// process and never touch the socket; packets to a peer without a tunnel session ask for a path in the background
// (they wait in the tunnel's per-peer queue meanwhile). Key rotation replaces the tunnel on the same UDP port.
import type { Identity } from "../crypto/mod.ts";
import type { Logger } from "../log/logger.ts";
import type { NetAddr, PacketConn } from "../net/packet_conn.ts";
import {
  AckCoalescer,
  type ConnEvent,
  DatagramService,
  MessageChannelTurn,
  PingService,
  RealTimerSource,
  type StreamConn,
  StreamStack,
} from "../transport/mod.ts";
import { type Endpoint, type KeyResolver, type RelaySender, Tunnel, type TunnelEvent } from "../tunnel/mod.ts";
import { maxProbeAckDatagramBytes } from "../tunnel/mtu.ts";
import type { Clock } from "../util/clock.ts";
import { type Addr, encodePacket, type Packet } from "../wire/mod.ts";
import type { DropRegistry } from "./drops.ts";
import { PacketIn } from "./packet_in.ts";

/** How long the set of peers with open connections is reused (the tunnel asks per peer on every tick). */
const ACTIVE_PEERS_REFRESH_MS = 1_000;

export interface DataPlaneOptions {
  readonly nodeId: number;
  readonly identity: Identity;
  /** The bound UDP socket; owned from now on. */
  readonly conn: PacketConn;
  /** Binds a fresh socket on `port` (0: any), for the tunnel that replaces the current one. */
  readonly rebind: (port: number) => PacketConn;
  readonly keyResolver: KeyResolver;
  /** The trust store's pin of a node's identity key, if any (answers a PILH without a registry round trip). */
  readonly pinnedKey?: (node: number) => Uint8Array | null;
  readonly beaconAddress: () => Endpoint | null;
  readonly onBeaconMessage: (bytes: Uint8Array) => void;
  readonly sendViaRelay: RelaySender;
  readonly isMember: (network: number) => boolean;
  /** §6.4: trusted or self. */
  readonly isTrusted: (node: number) => boolean;
  /** A packet waits for a peer that has no tunnel session: find a path (lookup, punch, relay). */
  readonly needPath: (peer: number) => void;
  readonly onTunnelEvent?: (event: TunnelEvent) => void;
  /** A stream connection is gone; its stats are final (metrics). */
  readonly onConnClosed?: (sc: StreamConn) => void;
  /** Connection life-cycle events (`conn.*` webhooks). */
  readonly onConnEvent?: (event: ConnEvent, sc: StreamConn) => void;
  /** A peer's packet refused by the trust filter, or its SYN by the rate limit (`security.*` webhooks). */
  readonly onSecurity?: (event: "untrusted_dropped" | "syn_rate_limited", peerNode: number) => void;
  readonly drops: DropRegistry;
  readonly clock: Clock;
  readonly log: Logger;
}

export class DataPlane implements AsyncDisposable {
  readonly nodeId: number;
  readonly stack: StreamStack;
  readonly datagrams: DatagramService;
  readonly ping: PingService;
  readonly packetIn: PacketIn;
  readonly #o: DataPlaneOptions;
  readonly #timers: RealTimerSource;
  /** Pure ACKs of one connection produced in one event-loop turn leave as one packet. */
  readonly #acks: AckCoalescer;
  readonly #sessions = new Set<number>();
  #tunnel: Tunnel;
  #tunnelDrops: () => Readonly<Record<string, number>>;
  #active = new Set<number>();
  #activeAtMs = Number.NEGATIVE_INFINITY;
  #closing: Promise<void> | null = null;

  constructor(o: DataPlaneOptions) {
    this.#o = o;
    this.nodeId = o.nodeId;
    this.#timers = new RealTimerSource(o.clock);
    this.#acks = new AckCoalescer((p, via) => this.#transmit(p, via), new MessageChannelTurn());
    const isTrustedAddr = (a: Addr) => o.isTrusted(a.node);
    const onDrop = (reason: string) => o.drops.add(reason);
    const output = (p: Packet) => this.output(p);
    this.stack = new StreamStack({
      clock: o.clock,
      timers: this.#timers,
      localNode: o.nodeId,
      output,
      // §3.5: segments follow the tunnel's path limit (raised by probing loopback paths).
      pathLimit: (a) => this.#tunnel.pathLimit(a.node),
      isTrusted: isTrustedAddr,
      onDrop,
      onConnClosed: o.onConnClosed,
      onConnEvent: o.onConnEvent,
      onSynRateLimited: (peer) => o.onSecurity?.("syn_rate_limited", peer.node),
    });
    this.datagrams = new DatagramService({
      localNode: o.nodeId,
      output: (p, via) => this.output(p, via),
      isTrusted: isTrustedAddr,
      onDrop,
    });
    this.ping = new PingService({
      clock: o.clock,
      timers: this.#timers,
      localNode: o.nodeId,
      output,
      isTrusted: isTrustedAddr,
      onDrop,
    });
    this.packetIn = new PacketIn({
      localNode: o.nodeId,
      isMember: o.isMember,
      isTrusted: o.isTrusted,
      stream: (p) => this.stack.handle(p),
      datagram: (p) => this.datagrams.handle(p),
      control: (p) => this.ping.handle(p),
      drop: onDrop,
      untrusted: (peer) => o.onSecurity?.("untrusted_dropped", peer),
    });
    this.#tunnel = this.#makeTunnel(o.conn, o.identity);
    this.#tunnelDrops = this.#attachDrops(this.#tunnel);
  }

  get tunnel(): Tunnel {
    return this.#tunnel;
  }

  /** The bound UDP address of the current tunnel socket. */
  get localAddr(): NetAddr {
    return this.#tunnel.localAddr;
  }

  /** A confirmed tunnel session to `peer` exists. */
  hasSession(peer: number): boolean {
    return this.#sessions.has(peer);
  }

  /** Sends a packet toward `via` (its Dst, or a broadcast member): loopback for ourselves, else the tunnel. */
  output(p: Packet, via: Addr = p.dst): void {
    this.#acks.output(p, via);
  }

  #transmit(p: Packet, via: Addr): void {
    let bytes: Uint8Array;
    try {
      bytes = encodePacket(p);
    } catch {
      this.#o.drops.add("encode_failed");
      return;
    }
    const node = via.node;
    if (node === this.nodeId) {
      queueMicrotask(() => this.packetIn.handle(node, bytes));
      return;
    }
    try {
      this.#tunnel.send(node, bytes);
    } catch {
      this.#o.drops.add("send_failed");
      return;
    }
    if (!this.#sessions.has(node)) this.#o.needPath(node);
  }

  /** Connections of the stream stack with `peer`. */
  connectionsWith(peer: number): StreamConn[] {
    return this.stack.connections().filter((c) => c.conn.remote.addr.node === peer);
  }

  /**
   * Key rotation (CLI.md §3.3 rotate-key): the tunnel's static key and binding change, so a new tunnel replaces the
   * old one on the same UDP port. Peers get BYE and re-handshake on the next packet.
   */
  async replaceIdentity(identity: Identity): Promise<void> {
    const old = this.#tunnel;
    const port = old.localAddr.port;
    this.#o.drops.absorb(this.#tunnelDrops);
    this.#sessions.clear();
    await old.close();
    let conn: PacketConn;
    try {
      conn = this.#o.rebind(port);
    } catch (err) {
      this.#o.log.warn("cannot rebind the tunnel port after key rotation; using a new port", {
        port,
        error: err instanceof Error ? err.message : String(err),
      });
      conn = this.#o.rebind(0);
    }
    this.#tunnel = this.#makeTunnel(conn, identity);
    this.#tunnelDrops = this.#attachDrops(this.#tunnel);
    // Limits probed by the old tunnel are gone with it.
    for (const sc of this.stack.connections()) sc.setPathLimit(this.#tunnel.pathLimit(sc.conn.remote.addr.node));
  }

  /** Aborts what is left (callers close streams gracefully first), sends BYE to peers and closes the socket. */
  close(): Promise<void> {
    this.#closing ??= this.#shutdown();
    return this.#closing;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #shutdown(): Promise<void> {
    this.stack.close();
    this.#acks.flush();
    this.#acks.close();
    this.ping.close();
    this.#timers.close();
    await this.#tunnel.close();
  }

  #makeTunnel(conn: PacketConn, identity: Identity): Tunnel {
    const o = this.#o;
    return new Tunnel({
      conn,
      nodeId: o.nodeId,
      identity,
      keyResolver: o.keyResolver,
      pinnedKey: o.pinnedKey,
      onPacket: (peer, plaintext) => this.packetIn.handle(peer, plaintext),
      onBeaconMessage: o.onBeaconMessage,
      beaconAddress: o.beaconAddress,
      sendViaRelay: o.sendViaRelay,
      onEvent: (e) => this.#onEvent(e),
      maxProbeAckDatagramBytes: maxProbeAckDatagramBytes(conn.receiveBufferBytes ?? null),
      onPathLimit: (peer, bytes) => {
        for (const sc of this.connectionsWith(peer)) sc.setPathLimit(bytes);
      },
      peerActive: (peer) => this.#activePeers().has(peer),
      clock: o.clock,
      log: o.log,
    });
  }

  #attachDrops(tunnel: Tunnel): () => Readonly<Record<string, number>> {
    const source = () => tunnel.drops();
    this.#o.drops.attach(source);
    return source;
  }

  #onEvent(e: TunnelEvent): void {
    if (e.type === "established") {
      this.#sessions.add(e.peer);
      // A dial whose SYN went to the peer's old path (it restarted elsewhere) need not wait for the SYN timer.
      for (const sc of this.connectionsWith(e.peer)) sc.pathRenewed();
    } else if (e.type === "keys_wiped") this.#sessions.delete(e.peer);
    try {
      this.#o.onTunnelEvent?.(e);
    } catch (err) {
      this.#o.log.warn("tunnel event handler failed", { error: err instanceof Error ? err.message : String(err) });
    }
  }

  #activePeers(): ReadonlySet<number> {
    const now = this.#o.clock.monotonic();
    if (now - this.#activeAtMs >= ACTIVE_PEERS_REFRESH_MS) {
      this.#active = new Set(this.stack.connections().map((c) => c.conn.remote.addr.node));
      this.#activeAtMs = now;
    }
    return this.#active;
  }
}
