// The state every part of the tunnel shares (PROTOCOL-BRIEF §3): the peer table (§10: 4096 peers), the index
// table, drop counters, events, and the two ways a frame leaves — the UDP socket or the relay (§5.4). The
// initiator, responder and session modules act on this; the Tunnel wires them together.
import type { PacketConn } from "../net/packet_conn.ts";
import type { Logger } from "../log/logger.ts";
import type { Clock } from "../util/clock.ts";
import { formatAddr, NETWORK_BACKBONE, PILS_OVERHEAD_BYTES, RELAY_INNER_MAX_BYTES } from "../wire/mod.ts";
import { HANDSHAKE_TIMESTAMP_SKEW_MS, MAX_PEERS_WITH_KEYSETS } from "./constants.ts";
import { DropCounter } from "./drops.ts";
import type { Initiation, LocalHandshakeIdentity } from "./handshake.ts";
import { IndexTable } from "./index_table.ts";
import { asyncAeadMinBytes, type Keyset } from "./keyset.ts";
import { Peer } from "./peer.ts";
import type { PeerPath, RelaySender, TunnelEvent } from "./types.ts";

export type SendResult = "sent" | "no_keyset" | "dropped";

/** A sealed frame (or one being sealed off-thread) waiting for the frames before it to leave. */
interface Outgoing {
  readonly frame: Uint8Array | Promise<Uint8Array>;
  readonly path: PeerPath;
  readonly peerNode: number;
}

export type IndexEntry =
  | { readonly kind: "keyset"; readonly keyset: Keyset; readonly peer: Peer }
  | { readonly kind: "initiation"; readonly initiation: Initiation; readonly peer: Peer };

export interface TunnelCoreOptions {
  readonly clock: Clock;
  readonly local: LocalHandshakeIdentity;
  readonly conn: PacketConn;
  readonly sendViaRelay: RelaySender | null;
  readonly log: Logger;
  readonly onEvent: (event: TunnelEvent) => void;
  readonly random: (n: number) => Uint8Array;
  readonly maxPeers?: number;
}

/** `0:0000.0000.0105`: how node ids appear in messages. */
export function nodeText(node: number): string {
  return formatAddr({ network: NETWORK_BACKBONE, node });
}

export class TunnelCore {
  readonly clock: Clock;
  readonly local: LocalHandshakeIdentity;
  readonly log: Logger;
  readonly random: (n: number) => Uint8Array;
  readonly drops = new DropCounter();
  readonly indexes: IndexTable<IndexEntry>;
  readonly peers = new Map<number, Peer>();
  readonly #conn: PacketConn;
  readonly #relay: RelaySender | null;
  readonly #onEvent: (event: TunnelEvent) => void;
  readonly #maxPeers: number;
  /** Direct sends not yet handed to the network; close() lets them finish (the BYEs among them). */
  #sending = 0;
  readonly #idleWaiters: (() => void)[] = [];
  /**
   * Frames leave in the order they were sealed: while a large frame is sealed off-thread, later frames wait here
   * behind it (a reordered stream segment would cost the receiver a SACK round and the sender a retransmission).
   */
  readonly #outgoing: Outgoing[] = [];
  #draining: Promise<void> = Promise.resolve();
  #drainActive = false;
  readonly #onSent = (): void => {
    if (--this.#sending > 0) return;
    for (const wake of this.#idleWaiters.splice(0)) wake();
  };
  readonly #onSendError = (err: unknown): void => {
    this.#onSent();
    this.#sendFailed(err);
  };
  closed = false;

  constructor(opts: TunnelCoreOptions) {
    this.clock = opts.clock;
    this.local = opts.local;
    this.log = opts.log;
    this.random = opts.random;
    this.indexes = new IndexTable(opts.random);
    this.#conn = opts.conn;
    this.#relay = opts.sendViaRelay;
    this.#onEvent = opts.onEvent;
    this.#maxPeers = opts.maxPeers ?? MAX_PEERS_WITH_KEYSETS;
  }

  /** Monotonic ms: every tunnel timer runs on this. */
  now(): number {
    return this.clock.monotonic();
  }

  /** The peer entry for `node`, created if there is room (an idle entry may be recycled); null when full. */
  obtainPeer(node: number): Peer | null {
    const existing = this.peers.get(node);
    if (existing !== undefined) return existing;
    if (this.peers.size >= this.#maxPeers && !this.#evictIdlePeer()) return null;
    const peer = new Peer(node);
    this.peers.set(node, peer);
    return peer;
  }

  /**
   * Forgets one peer that holds nothing: no keysets, handshake, queue or probes, and whose last handshake timestamp
   * is too old to matter for `hs_replay` (any replay of it fails the ±300 s check anyway).
   */
  #evictIdlePeer(): boolean {
    const replayHorizon = this.clock.now() - HANDSHAKE_TIMESTAMP_SKEW_MS;
    for (const [node, peer] of this.peers) {
      if (
        !peer.hasKeysets() && peer.handshake === null && peer.queue.length === 0 && peer.probes.length === 0 &&
        peer.lastHandshakeTimestampMs < replayHorizon
      ) {
        this.peers.delete(node);
        return true;
      }
    }
    return false;
  }

  releaseKeysets(keysets: readonly Keyset[]): void {
    for (const k of keysets) this.indexes.delete(k.localIndex);
  }

  releaseInitiations(initiations: readonly Initiation[]): void {
    for (const i of initiations) this.indexes.delete(i.senderIndex);
  }

  emit(event: TunnelEvent): void {
    try {
      this.#onEvent(event);
    } catch (err) {
      this.log.limited("warn", "event_handler", "tunnel event handler failed", { error: String(err) });
    }
  }

  /** Puts a frame on `path`; false (and a counted drop) when it cannot go. */
  transmit(frame: Uint8Array, path: PeerPath, peerNode: number): boolean {
    if (this.closed) return false;
    if (path.kind === "direct") {
      this.#sending++;
      this.#conn.send(frame, path.endpoint).then(this.#onSent, this.#onSendError);
      return true;
    }
    if (this.#relay === null) {
      this.drops.add("relay_no_handler");
      return false;
    }
    if (frame.length > RELAY_INNER_MAX_BYTES) {
      this.drops.add("relay_too_large");
      return false;
    }
    try {
      const pending = this.#relay(peerNode, frame);
      if (pending instanceof Promise) pending.catch((err) => this.#sendFailed(err));
    } catch (err) {
      this.#sendFailed(err);
      return false;
    }
    return true;
  }

  /** Waits until every frame sealed so far has been handed to the network (or failed). */
  async settleSends(): Promise<void> {
    while (this.#drainActive) await this.#draining;
    while (this.#sending > 0) await new Promise<void>((resolve) => this.#idleWaiters.push(resolve));
  }

  #sendFailed(err: unknown): void {
    this.drops.add("send_error");
    this.log.limited("debug", "send_error", "tunnel send failed", { error: String(err) });
  }

  /**
   * Seals `plaintext` on `keyset` (default: the current one) and sends it on `path` (default: the peer's path).
   * `overlayBytes` is the packet size for an overlay packet, null for keepalives and control messages.
   * `no_keyset`: no usable keyset or path, nothing happened; `dropped`: the path refused it (counted).
   */
  sendSealed(
    peer: Peer,
    plaintext: Uint8Array,
    overlayBytes: number | null,
    path: PeerPath | null = peer.path,
    keyset: Keyset | null = peer.current,
  ): SendResult {
    const now = this.now();
    if (keyset === null || path === null || !keyset.canSend(now)) return "no_keyset";
    if (path.kind === "relay" && plaintext.length + PILS_OVERHEAD_BYTES > RELAY_INNER_MAX_BYTES) {
      this.drops.add("relay_too_large");
      return "dropped";
    }
    if (plaintext.length >= asyncAeadMinBytes() && overlayBytes === null) {
      // A large control message (an MTU probe) has no order to keep: it must not hold up the frames behind it.
      this.#sending++;
      keyset.sealAsync(plaintext).then(
        (frame) => {
          this.#onSent();
          this.transmit(frame, path, peer.node);
        },
        this.#onSendError,
      );
    } else if (plaintext.length >= asyncAeadMinBytes()) {
      this.#queueOut({ frame: keyset.sealAsync(plaintext), path, peerNode: peer.node });
    } else {
      const frame = keyset.seal(plaintext);
      if (this.#outgoing.length > 0) this.#queueOut({ frame, path, peerNode: peer.node });
      else if (!this.transmit(frame, path, peer.node)) return "dropped";
    }
    peer.markSent(now, overlayBytes);
    return "sent";
  }

  #queueOut(item: Outgoing): void {
    this.#outgoing.push(item);
    if (this.#drainActive) return;
    this.#drainActive = true;
    this.#draining = this.#drain();
  }

  /** Sends queued frames in order as their sealing completes. */
  async #drain(): Promise<void> {
    try {
      while (this.#outgoing.length > 0) {
        const head = this.#outgoing[0];
        let frame: Uint8Array;
        try {
          frame = head.frame instanceof Uint8Array ? head.frame : await head.frame;
        } catch (err) {
          this.#outgoing.shift();
          this.#sendFailed(err);
          continue;
        }
        this.#outgoing.shift();
        this.transmit(frame, head.path, head.peerNode);
      }
    } finally {
      this.#drainActive = false;
    }
  }

  /** Handshakes this node is running as initiator (§10: 256). */
  handshakesInProgress(): number {
    let n = 0;
    for (const peer of this.peers.values()) if (peer.handshake !== null) n++;
    return n;
  }

  /** Unconfirmed responder keysets across all peers. */
  unconfirmedKeysets(): number {
    let n = 0;
    for (const peer of this.peers.values()) n += peer.next.length;
    return n;
  }
}
