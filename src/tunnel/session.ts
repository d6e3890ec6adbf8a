// Sealed transport (PROTOCOL-BRIEF §3.5 PILS and tunnel control, §3.6 replay window, §3.7 keyset promotion and
// per-peer timers, §3.3 the outbound queue, §5.5 keepalives): sending overlay packets, opening PILS, confirming
// keysets, and the per-peer timer work of each tick.
import { InvalidArgumentError } from "../util/errors.ts";
import {
  decodePils,
  decodeTunnelPlaintext,
  encodeKeepalive,
  encodeMtuAck,
  encodePathResponse,
  MAX_PLAINTEXT_BYTES,
  PILS_OVERHEAD_BYTES,
  type TunnelPlaintext,
  WireFormatError,
} from "../wire/mod.ts";
import {
  KEY_CONFIRM_RETRY_MS,
  NAT_KEEPALIVE_IDLE_MS,
  NAT_KEEPALIVE_RECENT_TRAFFIC_MS,
  NEXT_KEYSET_TTL_MS,
  PASSIVE_KEEPALIVE_MS,
  STALE_PEER_MS,
  UNUSED_PEER_MS,
} from "./constants.ts";
import type { TunnelCore } from "./core.ts";
import { replyPath } from "./endpoint.ts";
import { isPeerNodeId } from "./handshake.ts";
import { asyncAeadMinBytes, type Keyset, type OpenResult } from "./keyset.ts";
import type { PathManager } from "./paths.ts";
import type { Peer } from "./peer.ts";
import type { FrameSource, PathKind } from "./types.ts";

const PACKET_FIRST_BYTE_MIN = 0x10;
const PACKET_FIRST_BYTE_MAX = 0x1f;
const COOKIE_KEEP_MS = 120_000;
const PILS_TAG_BYTES = 16;

/** A transport frame whose AEAD runs (or ran) off-thread, waiting for its turn to be handled. */
interface Incoming {
  readonly opened: Promise<OpenResult> | OpenResult;
  readonly keyset: Keyset;
  readonly peer: Peer;
  readonly source: FrameSource;
}

export interface SessionHooks {
  /** An overlay packet (first byte 0x10–0x1F) from an authenticated peer. */
  readonly onPacket: (peerNode: number, plaintext: Uint8Array, path: PathKind) => void;
  /** Starts a handshake to refresh keys (rekey, stale peer, no usable keyset); a no-op if one runs. */
  readonly startHandshake: (peer: Peer) => void;
  /** Whether the peer has an open connection (keeps keepalives going and the keysets alive). */
  readonly peerActive: (peerNode: number) => boolean;
  /** A keyset became current by any handshake: a handshake of ours still running has nothing left to do. */
  readonly onEstablished: (peer: Peer) => void;
  /** An MTU_ACK answering one of our probes (§3.5). */
  readonly onMtuAck?: (peer: Peer, probeId: number, size: number, source: FrameSource) => void;
  /** The largest MTU_PROBE datagram this node acknowledges (mtu.ts maxProbeAckDatagramBytes). */
  readonly maxProbeAckDatagramBytes: number;
}

export class Sessions {
  readonly #core: TunnelCore;
  readonly #paths: PathManager;
  readonly #hooks: SessionHooks;
  /** Frames are handled in arrival order: while a large one is opened off-thread, later ones wait behind it. */
  readonly #incoming: Incoming[] = [];
  #draining = false;

  constructor(core: TunnelCore, paths: PathManager, hooks: SessionHooks) {
    this.#core = core;
    this.#paths = paths;
    this.#hooks = hooks;
  }

  /** Sends an overlay packet, or queues it while no keyset can carry it (never unencrypted). */
  send(peerNode: number, plaintext: Uint8Array): void {
    const first = plaintext[0];
    if (plaintext.length === 0 || first < PACKET_FIRST_BYTE_MIN || first > PACKET_FIRST_BYTE_MAX) {
      throw new InvalidArgumentError("cannot send tunnel packet: not an overlay packet");
    }
    if (plaintext.length > MAX_PLAINTEXT_BYTES) {
      throw new InvalidArgumentError(`cannot send tunnel packet: ${plaintext.length} bytes is too large`);
    }
    const core = this.#core;
    if (!isPeerNodeId(peerNode) || peerNode === core.local.nodeId) {
      throw new InvalidArgumentError(`invalid node id "${peerNode}": not a tunnel peer`);
    }
    const peer = core.obtainPeer(peerNode);
    if (peer === null) {
      core.drops.add("peer_limit");
      return;
    }
    if (peer.queue.length === 0) {
      const result = core.sendSealed(peer, plaintext, plaintext.length);
      if (result === "sent") this.#rekeyIfDue(peer);
      if (result !== "no_keyset") return;
    }
    const dropped = peer.queue.push(plaintext);
    if (dropped > 0) core.drops.add("queue_full", dropped);
    if (peer.current !== null && peer.current.canSend(core.now()) && peer.path !== null) {
      this.flushQueue(peer);
      return;
    }
    this.#hooks.startHandshake(peer);
  }

  /** Sends everything queued for the peer on its current keyset; returns how many went out. */
  flushQueue(peer: Peer): number {
    if (peer.queue.length === 0) return 0;
    let sent = 0;
    for (const packet of peer.queue.drain()) {
      const result = this.#core.sendSealed(peer, packet, packet.length);
      if (result === "sent") sent++;
      else if (result === "no_keyset") this.#core.drops.add("no_path");
    }
    this.#rekeyIfDue(peer);
    return sent;
  }

  /**
   * Makes `keyset` the peer's current keyset after authenticated handshake input from `source` (PILR for the
   * initiator, the first PILS under a next keyset for the responder), then sends the queue — or, as initiator with
   * nothing queued, an empty keepalive as key confirmation (§3.3).
   */
  establish(peer: Peer, keyset: Keyset, source: FrameSource): void {
    const core = this.#core;
    const now = core.now();
    const firstContact = peer.current === null;
    const rekeyed = peer.current !== null || peer.previous !== null;
    core.releaseKeysets(peer.install(keyset));
    this.#paths.onHandshakeSource(peer, source, firstContact);
    // The unused-peer clock starts when a session first comes up; rekeys do not reset it.
    if (!rekeyed) peer.lastTrafficAtMs = Math.max(peer.lastTrafficAtMs, now);
    peer.markReceived(now, null);
    this.#hooks.onEstablished(peer);
    core.emit({ type: "established", peer: peer.node, path: peer.path?.kind ?? source.kind, rekeyed });
    // With nothing queued, an empty keepalive confirms the keys (initiator, §3.3) or acknowledges the confirmation
    // (responder), so the initiator learns its keyset is live on the other side too.
    if (this.flushQueue(peer) === 0) core.sendSealed(peer, encodeKeepalive(), null);
  }

  /** A classified PILS datagram (or relayed inner frame) from `source`. */
  /** A PILS frame; `owned`: its bytes may be decrypted in place (nobody else holds them). */
  onTransport(bytes: Uint8Array, source: FrameSource, owned = false): void {
    const core = this.#core;
    const frame = decodePils(bytes);
    const entry = core.indexes.get(frame.receiverIndex);
    if (entry === undefined || entry.kind !== "keyset") {
      core.drops.add("unknown_index");
      return;
    }
    const { keyset, peer } = entry;
    if (source.kind === "relay" && source.node !== peer.node) {
      core.drops.add("relay_mismatch");
      return;
    }
    const now = core.now();
    if (frame.sealed.length - PILS_TAG_BYTES >= asyncAeadMinBytes()) {
      this.#queueIn({ opened: keyset.openAsync(frame, now), keyset, peer, source });
    } else if (this.#incoming.length > 0) {
      this.#queueIn({ opened: keyset.open(frame, now, owned), keyset, peer, source });
    } else {
      this.#opened(keyset.open(frame, now, owned), keyset, peer, source, now);
    }
  }

  #opened(opened: OpenResult, keyset: Keyset, peer: Peer, source: FrameSource, now: number): void {
    if (!opened.ok) {
      this.#core.drops.add(opened.reason);
      return;
    }
    const confirming = peer.isNext(keyset);
    if (confirming) this.establish(peer, keyset, source);
    else if (keyset === peer.current && opened.raisedMax) this.#paths.onNewestCounter(peer, source);
    this.#dispatch(peer, keyset, opened.plaintext, source, now, confirming);
  }

  #queueIn(item: Incoming): void {
    this.#incoming.push(item);
    if (this.#draining) return;
    this.#draining = true;
    this.#drainIn().catch((err) =>
      this.#core.log.limited("warn", "input_error", "tunnel input failed", { error: String(err) })
    );
  }

  /** Handles queued frames in arrival order as their AEAD completes; state may have moved on meanwhile. */
  async #drainIn(): Promise<void> {
    const core = this.#core;
    try {
      while (this.#incoming.length > 0) {
        const head = this.#incoming[0];
        let opened: OpenResult;
        try {
          opened = head.opened instanceof Promise ? await head.opened : head.opened;
        } catch {
          opened = { ok: false, reason: "auth_fail" };
        }
        this.#incoming.shift();
        if (core.closed) continue;
        // The keyset may have been wiped or replaced while the frame was being opened.
        const entry = core.indexes.get(head.keyset.localIndex);
        if (entry === undefined || entry.kind !== "keyset" || entry.keyset !== head.keyset) {
          core.drops.add("unknown_index");
          continue;
        }
        try {
          this.#opened(opened, head.keyset, head.peer, head.source, core.now());
        } catch (err) {
          core.drops.add("malformed");
          core.log.limited("warn", "input_error", "tunnel input failed", { error: String(err) });
        }
      }
    } finally {
      this.#draining = false;
    }
  }

  #dispatch(
    peer: Peer,
    keyset: Keyset,
    plaintext: Uint8Array,
    source: FrameSource,
    now: number,
    confirming: boolean,
  ): void {
    const core = this.#core;
    let msg: TunnelPlaintext;
    try {
      msg = decodeTunnelPlaintext(plaintext);
    } catch (err) {
      if (!(err instanceof WireFormatError)) throw err;
      peer.markReceived(now, null);
      core.drops.add("bad_plaintext");
      return;
    }
    if (msg.kind === "packet") {
      peer.markReceived(now, plaintext.length);
      this.#hooks.onPacket(peer.node, plaintext, source.kind);
      return;
    }
    peer.markReceived(now, null);
    // Replies go back where the request came from, on the newest keyset that can send (else the one it came on).
    const replyKeyset = peer.current !== null && peer.current.canSend(now) ? peer.current : keyset;
    switch (msg.kind) {
      case "keepalive":
        // A keepalive in a new keyset's first seconds is the initiator repeating its confirmation: our
        // acknowledgement was lost, so send another (establish() sent the first).
        if (
          !confirming && keyset === peer.current && keyset.role === "responder" &&
          keyset.ageMs(now) < NEXT_KEYSET_TTL_MS
        ) {
          core.sendSealed(peer, encodeKeepalive(), null, replyPath(source), keyset);
        }
        return;
      case "path_challenge":
        core.sendSealed(peer, encodePathResponse(msg.token), null, replyPath(source), replyKeyset);
        return;
      case "path_response":
        if (!this.#paths.onPathResponse(peer, msg.token, source)) core.drops.add("path_unknown_token");
        return;
      case "mtu_probe":
        // MTU probing applies to direct paths only (§3.5); sizes our socket buffer cannot queue many of go unanswered.
        if (source.kind === "direct" && msg.size + PILS_OVERHEAD_BYTES <= this.#hooks.maxProbeAckDatagramBytes) {
          core.sendSealed(peer, encodeMtuAck(msg.probeId, msg.size), null, replyPath(source), replyKeyset);
        }
        return;
      case "mtu_ack":
        this.#hooks.onMtuAck?.(peer, msg.probeId, msg.size, source);
        return;
      case "bye":
        // A peer that says goodbye may come back with a new identity key (rotate-key): look it up afresh.
        peer.identityKey = null;
        this.wipe(peer, "bye");
        return;
    }
  }

  /** Discards the peer's keysets (BYE, unused); queued packets stay until a new handshake or the queue limit. */
  wipe(peer: Peer, reason: "bye" | "unused" | "expired"): void {
    if (!peer.hasKeysets()) return;
    this.#core.releaseKeysets(peer.wipeKeysets());
    this.#paths.failAll(peer);
    this.#core.emit({ type: "keys_wiped", peer: peer.node, reason });
  }

  /** Per-peer timer work (§3.7, §5.5); run from the tick. */
  onTick(peer: Peer, now: number): void {
    const core = this.#core;
    const hadCurrent = peer.current !== null;
    core.releaseKeysets(peer.expireKeysets(now));
    if (hadCurrent && peer.current === null) {
      core.emit({ type: "keys_wiped", peer: peer.node, reason: "expired" });
      if (peer.queue.length > 0) this.#hooks.startHandshake(peer);
    }
    this.#paths.expireProbes(peer, now);
    if (peer.cookie !== null && now - peer.cookie.receivedAtMs >= COOKIE_KEEP_MS) peer.cookie = null;
    if (peer.current === null) return;
    // An open connection counts as use: the 180 s run from the last traffic or the last moment one was open.
    const active = this.#hooks.peerActive(peer.node);
    if (active) peer.lastTrafficAtMs = now;
    if (peer.handshake === null && now - peer.lastTrafficAtMs >= UNUSED_PEER_MS) {
      this.wipe(peer, "unused");
      return;
    }
    if (peer.unansweredSinceMs !== null && now - peer.unansweredSinceMs >= STALE_PEER_MS) {
      peer.unansweredSinceMs = null;
      this.#hooks.startHandshake(peer);
    }
    const current = peer.current;
    if (
      current.role === "initiator" && current.receiveMax === null && current.ageMs(now) < NEXT_KEYSET_TTL_MS &&
      now - peer.lastSentAtMs >= KEY_CONFIRM_RETRY_MS
    ) {
      // Nothing has come back under the new keys: the confirmation may be lost, and the responder drops an
      // unconfirmed keyset after 10 s.
      this.#keepalive(peer);
      return;
    }
    if (peer.keepaliveOwed && now - peer.keepaliveOwedSinceMs >= PASSIVE_KEEPALIVE_MS) {
      this.#keepalive(peer);
      return;
    }
    const recent = now - peer.lastTrafficAtMs < NAT_KEEPALIVE_RECENT_TRAFFIC_MS;
    if (peer.path?.kind === "direct" && recent && now - peer.lastSentAtMs >= NAT_KEEPALIVE_IDLE_MS) {
      this.#keepalive(peer);
    }
  }

  /** An empty PILS; like any send it rekeys a keyset that is due, so an idle open connection keeps fresh keys. */
  #keepalive(peer: Peer): void {
    if (this.#core.sendSealed(peer, encodeKeepalive(), null) === "sent") this.#rekeyIfDue(peer);
  }

  #rekeyIfDue(peer: Peer): void {
    const current = peer.current;
    if (current !== null && peer.handshake === null && current.needsRekey(this.#core.now())) {
      this.#hooks.startHandshake(peer);
    }
  }
}
