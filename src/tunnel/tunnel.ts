// The tunnel manager (PROTOCOL-BRIEF §3): one UDP socket multiplexing Noise IK sessions to every peer and the
// beacon's messages. It owns the socket's receive loop and the timer tick, demultiplexes each datagram by §3.1,
// and hands the frames to the responder, initiator and session parts. Network input never throws out of here.
import { CookieSecret, type Identity } from "../crypto/mod.ts";
import { Logger } from "../log/logger.ts";
import type { NetAddr, PacketConn } from "../net/packet_conn.ts";
import { randomBytes } from "../util/bytes.ts";
import { type Clock, systemClock } from "../util/clock.ts";
import { InvalidArgumentError, NotRunningError } from "../util/errors.ts";
import { BEACON_TYPE_LIMIT, BYE_REASON_SHUTDOWN, classifyDatagram, encodeBye, encodePilp } from "../wire/mod.ts";
import { MAX_HANDSHAKES_IN_PROGRESS } from "./constants.ts";
import { TunnelCore } from "./core.ts";
import type { TunnelDropReason } from "./drops.ts";
import type { KeysetRole } from "./keyset.ts";
import { endpointKey, endpointsEqual } from "./endpoint.ts";
import { FloodGuard } from "./flood.ts";
import { localHandshakeIdentity } from "./handshake.ts";
import { type ConnectOptions, Initiator } from "./initiator.ts";
import { KeyLookups } from "./key_lookup.ts";
import { PathManager } from "./paths.ts";
import { classifyRelayed, type TunnelFrameKind } from "./relay.ts";
import { MtuProber, SMALL_PROBE_DATAGRAM_BYTES } from "./mtu.ts";
import { Responder } from "./responder.ts";
import { Sessions } from "./session.ts";
import { realScheduler, type Scheduler, Ticker } from "./timers.ts";
import type {
  Endpoint,
  FrameSource,
  KeyResolver,
  PathKind,
  PeerInfo,
  PeerPath,
  RelaySender,
  TunnelEvent,
} from "./types.ts";

export interface TunnelOptions {
  /** The socket; the tunnel owns it from now on and closes it in close(). */
  readonly conn: PacketConn;
  readonly nodeId: number;
  readonly identity: Identity;
  /** Ed25519 identity key (and noise binding) of a node: trust-store pin or registry `get_keys`. */
  readonly keyResolver: KeyResolver;
  /**
   * A locally pinned identity key (trust store), if any: a PILH whose binding verifies under it is answered at once;
   * one that does not (the node may have rotated its key) goes through `keyResolver` as usual.
   */
  readonly pinnedKey?: (nodeId: number) => Uint8Array | null;
  /** An authenticated overlay packet (first byte 0x10–0x1F) and the path it came by. */
  readonly onPacket: (peerNode: number, plaintext: Uint8Array, path: PathKind) => void;
  /** A beacon message (first byte < 0x10) from the configured beacon address. */
  readonly onBeaconMessage?: (bytes: Uint8Array) => void;
  /** The configured beacon address, resolved by the caller (and re-resolved every 5 min); null when none. */
  readonly beaconAddress?: () => Endpoint | null;
  /** Sends an inner frame through the beacon relay; without it the relay path is unavailable. */
  readonly sendViaRelay?: RelaySender;
  /** Tunnel established, path changed, keys wiped, handshake failed: for metrics and webhooks. */
  readonly onEvent?: (event: TunnelEvent) => void;
  /** Whether a peer has an open connection (keeps keepalives going and its keysets alive, §3.7, §5.5). */
  readonly peerActive?: (peerNode: number) => boolean;
  /**
   * The largest MTU_PROBE datagram to acknowledge (mtu.ts maxProbeAckDatagramBytes of the socket's receive buffer);
   * default 16 KiB, which any socket buffer holds a dozen of.
   */
  readonly maxProbeAckDatagramBytes?: number;
  /** The payload limit of a peer's path changed (§3.5: MTU probing of loopback paths, or back to the default). */
  readonly onPathLimit?: (peerNode: number, bytes: number) => void;
  readonly clock?: Clock;
  readonly scheduler?: Scheduler;
  readonly log?: Logger;
  readonly random?: (n: number) => Uint8Array;
}

export class Tunnel implements AsyncDisposable {
  readonly #core: TunnelCore;
  readonly #conn: PacketConn;
  readonly #sessions: Sessions;
  readonly #initiator: Initiator;
  readonly #responder: Responder;
  readonly #paths: PathManager;
  readonly #lookups: KeyLookups;
  readonly #dialLookups: KeyLookups;
  readonly #mtu: MtuProber;
  readonly #ticker: Ticker;
  readonly #onPacket: TunnelOptions["onPacket"];
  readonly #onBeacon: ((bytes: Uint8Array) => void) | null;
  readonly #beaconAddress: () => Endpoint | null;
  readonly #abort = new AbortController();
  readonly #loop: Promise<void>;
  #closing: Promise<void> | null = null;

  constructor(opts: TunnelOptions) {
    const clock = opts.clock ?? systemClock;
    const log = opts.log ?? new Logger({ clock });
    const random = opts.random ?? randomBytes;
    this.#conn = opts.conn;
    this.#onPacket = opts.onPacket;
    this.#onBeacon = opts.onBeaconMessage ?? null;
    this.#beaconAddress = opts.beaconAddress ?? (() => null);
    const onEvent = opts.onEvent ?? (() => {});
    let mtu: MtuProber | null = null;
    this.#core = new TunnelCore({
      clock,
      local: localHandshakeIdentity(opts.nodeId, opts.identity),
      conn: opts.conn,
      sendViaRelay: opts.sendViaRelay ?? null,
      log: log.child("tunnel"),
      onEvent: (e) => {
        mtu?.onEvent(e);
        onEvent(e);
      },
      random,
    });
    mtu = new MtuProber(this.#core, opts.onPathLimit ?? (() => {}));
    this.#mtu = mtu;
    const peerActive = opts.peerActive ?? (() => false);
    this.#paths = new PathManager(this.#core);
    this.#lookups = new KeyLookups(opts.keyResolver, clock);
    this.#dialLookups = new KeyLookups(opts.keyResolver, clock, MAX_HANDSHAKES_IN_PROGRESS);
    let initiator: Initiator | null = null;
    this.#sessions = new Sessions(this.#core, this.#paths, {
      onPacket: (node, plaintext, path) => this.#deliver(node, plaintext, path),
      startHandshake: (peer) => initiator?.startHandshake(peer),
      onEstablished: (peer) => initiator?.onEstablished(peer),
      onMtuAck: (peer, probeId, size, source) => mtu?.onAck(peer, probeId, size, source),
      maxProbeAckDatagramBytes: opts.maxProbeAckDatagramBytes ?? SMALL_PROBE_DATAGRAM_BYTES,
      peerActive,
    });
    initiator = new Initiator(this.#core, this.#dialLookups, this.#sessions);
    this.#initiator = initiator;
    const flood = new FloodGuard(clock.monotonic());
    const pinned = opts.pinnedKey ?? (() => null);
    this.#responder = new Responder(this.#core, this.#lookups, flood, new CookieSecret(clock, random), pinned);
    this.#ticker = new Ticker(
      opts.scheduler ?? realScheduler,
      () => this.tick(),
      (err) => this.#core.log.error("tunnel timer failed", { error: String(err) }),
    );
    this.#ticker.start();
    this.#loop = this.#receiveLoop();
  }

  get localAddr(): NetAddr {
    return this.#conn.localAddr;
  }

  get nodeId(): number {
    return this.#core.local.nodeId;
  }

  /** The payload limit for overlay packets to `peerNode` (§3.5): 1,152 bytes unless probing raised it. */
  pathLimit(peerNode: number): number {
    return this.#mtu.limit(peerNode);
  }

  /** Sends an overlay packet to `peerNode`, queueing it while a handshake runs. Throws only for a bad packet. */
  send(peerNode: number, plaintext: Uint8Array): void {
    if (this.#core.closed) throw new NotRunningError("cannot send tunnel packet: tunnel closed");
    this.#sessions.send(peerNode, plaintext);
  }

  /**
   * Establishes (or joins) a handshake with `peerNode`: PILH to each candidate (≤ 4) and, with `relay`, through the
   * relay; retried until `timeoutMs` passes. Resolves with the path the session runs on.
   */
  connect(
    peerNode: number,
    candidates: readonly Endpoint[],
    timeoutMs: number,
    opts: ConnectOptions = {},
  ): Promise<PeerPath> {
    return this.#initiator.connect(peerNode, candidates, timeoutMs, opts);
  }

  /** A RELAY_DELIVER's inner frame from `srcNode` (the beacon client checked the beacon source and dst node). */
  receiveRelayed(srcNode: number, innerFrame: Uint8Array): void {
    if (this.#core.closed) return;
    try {
      const verdict = classifyRelayed(srcNode, innerFrame);
      if (!verdict.ok) {
        this.#core.drops.add(verdict.reason);
        return;
      }
      this.#dispatch(verdict.kind, innerFrame, { kind: "relay", node: srcNode });
    } catch (err) {
      this.#inputFailed(err);
    }
  }

  /**
   * Processes one datagram from the socket (§3.1). Public so simulations can deliver synchronously. `owned`: the
   * bytes are the tunnel's alone (a datagram its socket returned), so a PILS frame may be decrypted in place.
   */
  handleDatagram(data: Uint8Array, from: NetAddr, owned = false): void {
    if (this.#core.closed) return;
    try {
      const cls = classifyDatagram(data);
      switch (cls.kind) {
        case "drop":
          this.#core.drops.add(cls.reason);
          return;
        case "beacon":
          this.#beaconMessage(data, from);
          return;
        case "punch_probe":
          // PILP only opens NAT mappings; its receiver changes no state (§5.3).
          return;
        default:
          this.#dispatch(cls.kind, data, { kind: "direct", endpoint: from }, owned);
      }
    } catch (err) {
      this.#inputFailed(err);
    }
  }

  /**
   * Sends a PATH_CHALLENGE to `target` under the peer's current keyset; true when answered from there within
   * `timeoutMs` (default 2 s), in which case the peer's path switches to `target` (§5.6).
   */
  probePath(peerNode: number, target: Endpoint | "relay", timeoutMs?: number): Promise<boolean> {
    const peer = this.#core.peers.get(peerNode);
    if (peer === undefined || peer.current === null || this.#core.closed) return Promise.resolve(false);
    const path: PeerPath = target === "relay" ? { kind: "relay" } : { kind: "direct", endpoint: target };
    return this.#paths.probe(peer, path, true, timeoutMs);
  }

  /**
   * Sends a PATH_CHALLENGE on the peer's current path; true when answered within 2 s. Tells a live session from one
   * whose peer vanished (a restart on a new port) before a dial relies on it.
   */
  probeCurrentPath(peerNode: number): Promise<boolean> {
    const peer = this.#core.peers.get(peerNode);
    if (peer === undefined || peer.current === null || peer.path === null || this.#core.closed) {
      return Promise.resolve(false);
    }
    return this.#paths.probe(peer, peer.path, false);
  }

  /** Sends a beacon message (first byte < 0x10) from the tunnel socket to the configured beacon. */
  async sendBeaconMessage(bytes: Uint8Array): Promise<void> {
    if (bytes.length === 0 || bytes[0] >= BEACON_TYPE_LIMIT) {
      throw new InvalidArgumentError("cannot send beacon message: not a beacon message");
    }
    const beacon = this.#beaconAddress();
    if (beacon === null) throw new NotRunningError("cannot send beacon message: no beacon configured");
    await this.#conn.send(bytes, beacon);
  }

  /** Sends one PILP punch probe (§5.3) to `endpoint`. */
  async sendPunchProbe(endpoint: Endpoint, punchId: Uint8Array): Promise<void> {
    await this.#conn.send(encodePilp({ senderNode: this.#core.local.nodeId, punchId }), endpoint);
  }

  /** Peers with keysets or a handshake in progress. */
  peers(): PeerInfo[] {
    const core = this.#core;
    const mono = core.now();
    const wall = core.clock.now();
    const out: PeerInfo[] = [];
    for (const peer of core.peers.values()) {
      if (!peer.hasKeysets() && peer.handshake === null) continue;
      const seen = peer.lastReceivedAtMs;
      out.push({
        node_id: peer.node,
        endpoint: peer.path?.kind === "direct" ? endpointKey(peer.path.endpoint) : null,
        path: peer.path?.kind ?? null,
        encrypted: peer.hasKeysets(),
        authenticated: peer.current !== null,
        last_seen_ms: Number.isFinite(seen) ? Math.round(wall - (mono - seen)) : null,
        bytes_sent: peer.bytesSent,
        bytes_recv: peer.bytesReceived,
        pkts_sent: peer.packetsSent,
        pkts_recv: peer.packetsReceived,
      });
    }
    return out;
  }

  /** Drop counters by reason. */
  drops(): Record<string, number> {
    return this.#core.drops.snapshot();
  }

  dropCount(reason: TunnelDropReason): number {
    return this.#core.drops.get(reason);
  }

  /** Which side of the handshake made the current keyset with `peer`, or null without one (metrics). */
  sessionRole(peer: number): KeysetRole | null {
    return this.#core.peers.get(peer)?.current?.role ?? null;
  }

  /** Runs every timer now (retries, rekey, keepalives, expiry); the ticker calls it every 250 ms. */
  tick(): void {
    const core = this.#core;
    if (core.closed) return;
    const now = core.now();
    this.#lookups.expire(now);
    this.#dialLookups.expire(now);
    for (const peer of core.peers.values()) {
      this.#initiator.onTick(peer, now);
      this.#sessions.onTick(peer, now);
      this.#mtu.onTick(peer, now);
    }
  }

  /** Sends BYE to every peer with a session, stops the timers and the receive loop, and closes the socket. */
  close(): Promise<void> {
    this.#closing ??= this.#shutdown();
    return this.#closing;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #shutdown(): Promise<void> {
    const core = this.#core;
    this.#ticker.stop();
    for (const peer of core.peers.values()) {
      if (peer.current !== null) core.sendSealed(peer, encodeBye(BYE_REASON_SHUTDOWN), null);
    }
    await core.settleSends();
    core.closed = true;
    this.#initiator.abortAll("tunnel closed");
    this.#lookups.close();
    this.#dialLookups.close();
    for (const peer of core.peers.values()) this.#paths.failAll(peer);
    this.#abort.abort();
    await this.#conn.close();
    await this.#loop;
  }

  async #receiveLoop(): Promise<void> {
    const signal = this.#abort.signal;
    while (!signal.aborted) {
      let datagram;
      try {
        datagram = await this.#conn.receive();
      } catch (err) {
        // A socket whose receive() fails is broken; stop rather than spin.
        if (!signal.aborted) this.#core.log.error("tunnel receive failed", { error: String(err) });
        return;
      }
      if (datagram === null) return;
      // PacketConn.receive() hands over the bytes: nobody else holds them.
      this.handleDatagram(datagram[0], datagram[1], true);
    }
  }

  #dispatch(kind: TunnelFrameKind, data: Uint8Array, source: FrameSource, owned = false): void {
    if (this.#core.closed) return;
    switch (kind) {
      case "handshake_init":
        this.#responder.onInitiation(data, source);
        return;
      case "handshake_response":
        this.#initiator.onResponse(data, source);
        return;
      case "cookie_reply":
        this.#initiator.onCookie(data, source);
        return;
      case "transport":
        this.#sessions.onTransport(data, source, owned);
        return;
    }
  }

  #beaconMessage(data: Uint8Array, from: NetAddr): void {
    const beacon = this.#beaconAddress();
    if (beacon === null || !endpointsEqual(beacon, from)) {
      this.#core.drops.add("beacon_spoof");
      return;
    }
    if (this.#onBeacon === null) {
      this.#core.drops.add("beacon_no_handler");
      return;
    }
    try {
      this.#onBeacon(data);
    } catch (err) {
      this.#core.log.limited("warn", "beacon_handler", "beacon message handler failed", { error: String(err) });
    }
  }

  #deliver(node: number, plaintext: Uint8Array, path: PathKind): void {
    try {
      this.#onPacket(node, plaintext, path);
    } catch (err) {
      this.#core.log.limited("warn", "packet_handler", "tunnel packet handler failed", { error: String(err) });
    }
  }

  #inputFailed(err: unknown): void {
    this.#core.drops.add("malformed");
    this.#core.log.limited("warn", "input_error", "tunnel input failed", { error: String(err) });
  }
}
