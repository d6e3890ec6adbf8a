// The responder side of the handshake (PROTOCOL-BRIEF §3.3 "Responder, on PILH", in the order given there, §3.9
// flood protection): mac1, cookie under load, per-source bucket, Noise ReadMessage, P1 checks, the initiator's
// binding under its Ed25519 key (looked up asynchronously, ≤ 64 waiting ≤ 5 s), timestamp; then a next keyset
// and a PILR back the way the PILH came. A PILH never replaces the current keyset nor moves the endpoint.
// A cached identity key that fails a binding newer than the newest accepted one (the peer rotated its key) is
// fetched again at once, at most every 5 s per node, before the PILH is refused.
import { type CookieSecret, verifyMac1, verifyNoiseBinding } from "../crypto/mod.ts";
import { COOKIE_NONCE_BYTES, PILH_MAC1_OFFSET, PILH_MAC2_OFFSET } from "../wire/mod.ts";
import { HANDSHAKE_TIMESTAMP_SKEW_MS, MAX_HANDSHAKES_IN_PROGRESS } from "./constants.ts";
import type { TunnelCore } from "./core.ts";
import { cookieSource, rateLimitKey, replyPath } from "./endpoint.ts";
import type { FloodGuard } from "./flood.ts";
import { createCookieReply, createResponse, type InitiatorHello, readIndex, readInitiation } from "./handshake.ts";
import { KEY_CACHE_MS, type KeyLookups, type LookupResult } from "./key_lookup.ts";
import { Keyset } from "./keyset.ts";
import type { Peer } from "./peer.ts";
import type { FrameSource } from "./types.ts";

/** A cached identity key that failed a binding is re-fetched only if at least this old (no lookup amplification). */
const KEY_REFETCH_MIN_AGE_MS = 60_000;
/** A binding newer than the newest accepted one triggers a re-fetch at most this often per node. */
export const NEWER_BINDING_REFETCH_MIN_MS = 5_000;
/** Nodes whose last newer-binding re-fetch is remembered (oldest forgotten first). */
const NEWER_BINDING_REFETCH_MAX_ENTRIES = 4096;
const PILH_SENDER_INDEX_OFFSET = 4;

export class Responder {
  readonly #core: TunnelCore;
  readonly #lookups: KeyLookups;
  readonly #flood: FloodGuard;
  readonly #cookies: CookieSecret;
  readonly #pinned: (node: number) => Uint8Array | null;
  /** When each node's key was last fetched again because its PILH carried a newer binding. */
  readonly #newerBindingRefetch = new Map<number, number>();

  constructor(
    core: TunnelCore,
    lookups: KeyLookups,
    flood: FloodGuard,
    cookies: CookieSecret,
    pinned: (node: number) => Uint8Array | null = () => null,
  ) {
    this.#pinned = pinned;
    this.#core = core;
    this.#lookups = lookups;
    this.#flood = flood;
    this.#cookies = cookies;
  }

  /** Key lookups waiting for an answer. */
  get waitingLookups(): number {
    return this.#lookups.waiting;
  }

  /** A classified PILH (224 bytes) from `source`. */
  onInitiation(bytes: Uint8Array, source: FrameSource): void {
    const core = this.#core;
    const now = core.now();
    if (!verifyMac1(core.local.mac1Key, bytes, PILH_MAC1_OFFSET)) {
      core.drops.add("bad_mac1");
      return;
    }
    this.#flood.recordHandshake(now);
    if (this.#flood.underLoad(now, this.#lookups.waiting)) {
      const src = cookieSource(source);
      if (!this.#cookies.verifyMac2(src, bytes, PILH_MAC2_OFFSET)) {
        this.#sendCookie(bytes, source, src, now);
        return;
      }
    }
    if (!this.#flood.allowSource(rateLimitKey(source), now)) {
      core.drops.add("hs_rate");
      return;
    }
    const read = readInitiation(core.local, bytes);
    if (!read.ok) {
      core.drops.add(read.reason);
      return;
    }
    const hello = read.hello;
    if (source.kind === "relay" && source.node !== hello.initiatorNode) {
      core.drops.add("relay_mismatch");
      return;
    }
    const known = core.peers.get(hello.initiatorNode);
    // Cheap pre-check: a replay should not cost a key lookup.
    if (!this.#timestampFresh(known, hello)) {
      core.drops.add("hs_replay");
      return;
    }
    const cached = known?.identityKey;
    if (cached !== undefined && cached !== null && now - cached.fetchedAtMs < KEY_CACHE_MS) {
      this.#finish(hello, source, cached.publicKey, cached.fetchedAtMs);
      return;
    }
    // A pinned key needs no registry round trip when the binding verifies under it (the usual case for a trusted
    // peer that restarted); otherwise the resolver decides (key chain, §6.3).
    const pin = this.#pinned(hello.initiatorNode);
    if (pin !== null && verifyNoiseBinding(pin, hello.initiatorStatic, hello.noiseIssuedAt, hello.noiseSig)) {
      this.#finish(hello, source, pin, now, true);
      return;
    }
    const started = this.#lookups.lookup(hello.initiatorNode, (r) => this.#onLookup(hello, source, r));
    if (!started) core.drops.add("hs_lookup_full");
  }

  #onLookup(hello: InitiatorHello, source: FrameSource, result: LookupResult): void {
    if (this.#core.closed) return;
    if (result.kind === "keys") this.#finish(hello, source, result.keys.publicKey, null);
    else this.#core.drops.add(result.kind === "timeout" ? "hs_lookup_timeout" : "hs_unknown_key");
  }

  /**
   * The checks after the key is known, then the PILR. `cachedAtMs` is null for a key just looked up;
   * `bindingVerified`: the caller already checked the binding under `identityKey` (a pin).
   */
  #finish(
    hello: InitiatorHello,
    source: FrameSource,
    identityKey: Uint8Array,
    cachedAtMs: number | null,
    bindingVerified = false,
  ): void {
    const core = this.#core;
    const now = core.now();
    const node = hello.initiatorNode;
    let peer = core.peers.get(node);
    const bound = bindingVerified ||
      verifyNoiseBinding(identityKey, hello.initiatorStatic, hello.noiseIssuedAt, hello.noiseSig);
    if (!bound) {
      if (cachedAtMs !== null && this.#refetchForNewerBinding(peer, hello, source, now)) return;
      // The node may have rotated its identity key: let a later PILH look it up again.
      if (peer !== undefined && cachedAtMs !== null && now - cachedAtMs >= KEY_REFETCH_MIN_AGE_MS) {
        peer.identityKey = null;
      }
      core.drops.add("hs_bad_binding");
      return;
    }
    if (peer !== undefined && hello.noiseIssuedAt < peer.newestBindingMs) {
      core.drops.add("hs_stale_binding");
      return;
    }
    if (!this.#timestampFresh(peer, hello)) {
      core.drops.add("hs_replay");
      return;
    }
    if (core.unconfirmedKeysets() >= MAX_HANDSHAKES_IN_PROGRESS) {
      core.drops.add("hs_limit");
      return;
    }
    peer ??= core.obtainPeer(node) ?? undefined;
    if (peer === undefined) {
      core.drops.add("peer_limit");
      return;
    }
    peer.lastHandshakeTimestampMs = hello.timestampMs;
    peer.newestBindingMs = hello.noiseIssuedAt;
    peer.noiseStatic = hello.initiatorStatic.slice();
    peer.identityKey = { publicKey: identityKey.slice(), fetchedAtMs: cachedAtMs ?? now };
    this.#respond(peer, hello, source, now);
  }

  /**
   * The cached key failed a binding issued after the newest one we accepted: the node has probably rotated its key.
   * Looks the key up again (the resolver skips its own cache for it) and finishes with the answer. False when the
   * binding is not newer, the node was re-fetched within 5 s, or no lookup slot is free.
   */
  #refetchForNewerBinding(peer: Peer | undefined, hello: InitiatorHello, source: FrameSource, now: number): boolean {
    const node = hello.initiatorNode;
    if (peer === undefined || hello.noiseIssuedAt <= peer.newestBindingMs) return false;
    const last = this.#newerBindingRefetch.get(node);
    if (last !== undefined && now - last < NEWER_BINDING_REFETCH_MIN_MS) return false;
    if (!this.#lookups.hasRoom()) return false;
    this.#newerBindingRefetch.delete(node);
    this.#newerBindingRefetch.set(node, now);
    if (this.#newerBindingRefetch.size > NEWER_BINDING_REFETCH_MAX_ENTRIES) {
      const oldest = this.#newerBindingRefetch.keys().next().value;
      if (oldest !== undefined) this.#newerBindingRefetch.delete(oldest);
    }
    const hint = { minNoiseIssuedAt: hello.noiseIssuedAt };
    return this.#lookups.lookup(node, (r) => this.#onLookup(hello, source, r), hint);
  }

  #respond(peer: Peer, hello: InitiatorHello, source: FrameSource, now: number): void {
    const core = this.#core;
    let frame: Uint8Array = new Uint8Array(0);
    const entry = core.indexes.allocate((localIndex) => {
      const made = createResponse(core.local, hello, localIndex);
      frame = made.frame;
      const keyset = new Keyset({
        peerNode: peer.node,
        localIndex,
        remoteIndex: hello.senderIndex,
        role: "responder",
        createdAtMs: now,
        sendKey: made.keys.send,
        receiveKey: made.keys.receive,
      });
      return { kind: "keyset", keyset, peer };
    });
    if (entry.kind !== "keyset") return;
    core.releaseKeysets(peer.addNext(entry.keyset));
    core.transmit(frame, replyPath(source), peer.node);
  }

  /** §3.3: within ±300 s of our clock and newer than the last PILH accepted from that node. */
  #timestampFresh(peer: Peer | undefined, hello: InitiatorHello): boolean {
    const wall = this.#core.clock.now();
    if (Math.abs(hello.timestampMs - wall) > HANDSHAKE_TIMESTAMP_SKEW_MS) return false;
    return peer === undefined || hello.timestampMs > peer.lastHandshakeTimestampMs;
  }

  #sendCookie(bytes: Uint8Array, source: FrameSource, src: Uint8Array, now: number): void {
    const core = this.#core;
    if (!this.#flood.allowCookieReply(now)) {
      core.drops.add("cookie_rate");
      return;
    }
    const frame = createCookieReply(
      core.local,
      readIndex(bytes, PILH_SENDER_INDEX_OFFSET),
      bytes.subarray(PILH_MAC1_OFFSET, PILH_MAC2_OFFSET),
      this.#cookies.cookieFor(src),
      core.random(COOKIE_NONCE_BYTES),
    );
    core.transmit(frame, replyPath(source), source.kind === "relay" ? source.node : 0);
    core.drops.add("hs_cookie");
  }
}
