// Per-peer tunnel state (PROTOCOL-BRIEF §3.7 keysets current / previous / next, §3.3 handshake retries and the
// outbound queue, §3.8 endpoint, §5.6 path probes). A data holder with keyset bookkeeping; the Tunnel decides.
import type { Initiation } from "./handshake.ts";
import type { Keyset } from "./keyset.ts";
import { PendingQueue } from "./queue.ts";
import type { Endpoint, PeerPath } from "./types.ts";
import { NEXT_KEYSET_TTL_MS, NEXT_KEYSETS_PER_PEER_MAX, PREVIOUS_KEYSET_MAX_AGE_MS } from "./constants.ts";

/** Someone awaiting connect(). */
export interface ConnectWaiter {
  readonly resolve: (path: PeerPath) => void;
  readonly reject: (err: Error) => void;
}

/** An initiator handshake in progress: its live attempts and retry schedule (§3.3). */
export interface HandshakeRun {
  /** Outstanding initiations, oldest first. */
  readonly attempts: Initiation[];
  retryDelayMs: number;
  nextRetryAtMs: number;
  deadlineAtMs: number;
  /** Direct candidates every PILH goes to (≤ 4). */
  directTargets: Endpoint[];
  viaRelay: boolean;
  readonly rekey: boolean;
  readonly waiters: ConnectWaiter[];
}

/** An outstanding PATH_CHALLENGE (§5.6). */
export interface PathProbe {
  readonly token: string;
  readonly path: PeerPath;
  readonly sentAtMs: number;
  /** An answer later than this (ms after sending) does not count. */
  readonly timeoutMs: number;
  readonly switchOnSuccess: boolean;
  readonly resolve: (answered: boolean) => void;
}

const NEVER = Number.NEGATIVE_INFINITY;

export class Peer {
  readonly node: number;
  /** The peer's X25519 static key, its binding verified; what our PILH encrypts to. */
  noiseStatic: Uint8Array | null = null;
  /** The identity key that verified the peer's binding, and when it was looked up (monotonic). */
  identityKey: { readonly publicKey: Uint8Array; readonly fetchedAtMs: number } | null = null;
  /** Highest noise_issued_at accepted for this node; older bindings are rejected (§3.2). */
  newestBindingMs = -1;
  /** Highest P1 timestamp accepted from this node (§3.3 `hs_replay`), unix ms. */
  lastHandshakeTimestampMs = -1;
  /** The P1 timestamp of our last PILH to this node. */
  lastSentHandshakeTimestampMs = -1;
  current: Keyset | null = null;
  previous: Keyset | null = null;
  /** Unconfirmed keysets we created as responder, oldest first. */
  next: Keyset[] = [];
  handshake: HandshakeRun | null = null;
  cookie: { readonly value: Uint8Array; readonly receivedAtMs: number } | null = null;
  path: PeerPath | null = null;
  readonly queue = new PendingQueue();
  probes: PathProbe[] = [];
  // Monotonic times; NEVER until the first event.
  lastSentAtMs = NEVER;
  lastReceivedAtMs = NEVER;
  /** Last overlay packet either way (keepalives do not count): §3.7 unused peer, §5.5 keepalives. */
  lastTrafficAtMs = NEVER;
  /** First overlay send not yet followed by authenticated input (§3.7 stale peer). */
  unansweredSinceMs: number | null = null;
  /** Authenticated data arrived and nothing went back yet. */
  keepaliveOwed = false;
  keepaliveOwedSinceMs = NEVER;
  bytesSent = 0;
  bytesReceived = 0;
  packetsSent = 0;
  packetsReceived = 0;

  constructor(node: number) {
    this.node = node;
  }

  hasKeysets(): boolean {
    return this.current !== null || this.previous !== null || this.next.length > 0;
  }

  /** Makes `keyset` current; the old current becomes previous. Returns the keysets that fell out. */
  install(keyset: Keyset): Keyset[] {
    const dropped: Keyset[] = [];
    this.next = this.next.filter((k) => k !== keyset);
    if (this.current !== null && this.current !== keyset) {
      if (this.previous !== null) dropped.push(this.previous);
      this.previous = this.current;
    }
    this.current = keyset;
    return dropped;
  }

  /** Adds an unconfirmed responder keyset; returns the oldest one when over the per-peer cap. */
  addNext(keyset: Keyset): Keyset[] {
    this.next.push(keyset);
    const dropped: Keyset[] = [];
    while (this.next.length > NEXT_KEYSETS_PER_PEER_MAX) dropped.push(this.next.shift()!);
    return dropped;
  }

  isNext(keyset: Keyset): boolean {
    return this.next.includes(keyset);
  }

  /** Removes keysets past their lifetime (§3.7); returns them. */
  expireKeysets(nowMs: number): Keyset[] {
    const dropped: Keyset[] = [];
    this.next = this.next.filter((k) => {
      const keep = k.ageMs(nowMs) < NEXT_KEYSET_TTL_MS;
      if (!keep) dropped.push(k);
      return keep;
    });
    if (this.previous !== null && this.previous.ageMs(nowMs) >= PREVIOUS_KEYSET_MAX_AGE_MS) {
      dropped.push(this.previous);
      this.previous = null;
    }
    if (this.current !== null && !this.current.canReceive(nowMs)) {
      dropped.push(this.current);
      this.current = null;
    }
    return dropped;
  }

  /** Forgets every keyset; returns them so their indexes can be released. */
  wipeKeysets(): Keyset[] {
    const all = this.allKeysets();
    this.current = null;
    this.previous = null;
    this.next = [];
    return all;
  }

  allKeysets(): Keyset[] {
    const out: Keyset[] = [...this.next];
    if (this.current !== null) out.push(this.current);
    if (this.previous !== null) out.push(this.previous);
    return out;
  }

  /** Records authenticated input. */
  markReceived(nowMs: number, overlayBytes: number | null): void {
    this.lastReceivedAtMs = nowMs;
    this.unansweredSinceMs = null;
    if (overlayBytes !== null) {
      this.lastTrafficAtMs = nowMs;
      this.bytesReceived += overlayBytes;
      this.packetsReceived++;
      if (!this.keepaliveOwed) this.keepaliveOwedSinceMs = nowMs;
      this.keepaliveOwed = true;
    }
  }

  /** Records a frame sent; `overlayBytes` for an overlay packet, null for control and keepalives. */
  markSent(nowMs: number, overlayBytes: number | null): void {
    this.lastSentAtMs = nowMs;
    this.keepaliveOwed = false;
    if (overlayBytes !== null) {
      this.lastTrafficAtMs = nowMs;
      this.bytesSent += overlayBytes;
      this.packetsSent++;
      if (this.unansweredSinceMs === null) this.unansweredSinceMs = nowMs;
    }
  }
}
