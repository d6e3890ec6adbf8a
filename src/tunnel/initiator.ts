// The initiator side of the handshake (PROTOCOL-BRIEF §3.3, §3.4, §3.9, §5.6): connect() and rekeys send PILH to
// every target, retry with a fresh PILH after 1, 2, 4, 8, 8… s until the deadline, and complete on a valid PILR;
// a PILC stores a cookie for the next retry's mac2.
import { verifyNoiseBinding } from "../crypto/mod.ts";
import { ConnectionFailedError, InvalidArgumentError } from "../util/errors.ts";
import {
  HANDSHAKE_ATTEMPTS_PER_PEER_MAX,
  HANDSHAKE_RETRY_FIRST_MS,
  HANDSHAKE_RETRY_MAX_MS,
  MAX_CANDIDATE_ENDPOINTS,
  MAX_HANDSHAKES_IN_PROGRESS,
  REKEY_HANDSHAKE_DEADLINE_MS,
} from "./constants.ts";
import { nodeText, type TunnelCore } from "./core.ts";
import { canonicalEndpoint, endpointsEqual } from "./endpoint.ts";
import { consumeCookieReply, consumeResponse, Initiation, isPeerNodeId, readIndex } from "./handshake.ts";
import { KEY_CACHE_MS, type KeyLookups, type LookupResult } from "./key_lookup.ts";
import { Keyset } from "./keyset.ts";
import type { HandshakeRun, Peer } from "./peer.ts";
import type { Sessions } from "./session.ts";
import type { Endpoint, FrameSource, PeerPath } from "./types.ts";

const NEVER = Number.POSITIVE_INFINITY;
/** PILR receiver index offset; PILC carries it at 4. */
const PILR_RECEIVER_INDEX_OFFSET = 8;
const PILC_RECEIVER_INDEX_OFFSET = 4;

export interface ConnectOptions {
  /** Also send every PILH through the relay (§5.6 from 4 s on). */
  readonly relay?: boolean;
  /** Send a fresh PILH at once even when the targets are already known (right after a punch, §5.3). */
  readonly fresh?: boolean;
  /** Handshake even though a current keyset exists (its peer stopped answering: it may have moved). */
  readonly rehandshake?: boolean;
}

export class Initiator {
  readonly #core: TunnelCore;
  readonly #lookups: KeyLookups;
  readonly #sessions: Sessions;

  constructor(core: TunnelCore, lookups: KeyLookups, sessions: Sessions) {
    this.#core = core;
    this.#lookups = lookups;
    this.#sessions = sessions;
  }

  /**
   * Opens (or joins) a handshake to `node`, sending PILH to each candidate (≤ 4) and, with `relay`, via the relay.
   * Resolves with the path once a keyset is established; rejects with ConnectionFailedError after `timeoutMs`.
   * A call while a handshake runs adds its targets (sending a fresh PILH at once) and extends the deadline.
   */
  connect(
    node: number,
    candidates: readonly Endpoint[],
    timeoutMs: number,
    opts: ConnectOptions = {},
  ): Promise<PeerPath> {
    const core = this.#core;
    if (!isPeerNodeId(node)) {
      return Promise.reject(new InvalidArgumentError(`invalid node id "${node}": not a peer node`));
    }
    if (node === core.local.nodeId) {
      return Promise.reject(new InvalidArgumentError(`cannot connect to ${nodeText(node)}: own node id`));
    }
    if (core.closed) return Promise.reject(new ConnectionFailedError(`cannot connect to ${nodeText(node)}: closed`));
    const peer = core.obtainPeer(node);
    if (peer === null) return Promise.reject(this.#failure(node, "too many tunnel peers", "peer_limit"));
    if (opts.rehandshake !== true && peer.current !== null && peer.path !== null && peer.current.canSend(core.now())) {
      return Promise.resolve(peer.path);
    }
    const targets = candidates.slice(0, MAX_CANDIDATE_ENDPOINTS).map(canonicalEndpoint);
    return new Promise<PeerPath>((resolve, reject) => {
      const deadline = core.now() + Math.max(0, timeoutMs);
      let run = peer.handshake;
      if (run !== null) {
        run.waiters.push({ resolve, reject });
        run.deadlineAtMs = Math.max(run.deadlineAtMs, deadline);
        const added = this.#addTargets(run, targets, opts.relay === true);
        if ((added || opts.fresh === true) && run.attempts.length > 0) this.#sendAttempt(peer);
        return;
      }
      if (core.handshakesInProgress() >= MAX_HANDSHAKES_IN_PROGRESS) {
        reject(this.#failure(node, "too many handshakes in progress", "handshake_limit"));
        return;
      }
      run = newRun(targets, opts.relay === true, deadline, false);
      run.waiters.push({ resolve, reject });
      peer.handshake = run;
      this.#withResponderKey(peer);
    });
  }

  /** Starts a rekey / recovery handshake on the peer's current path (no-op if one runs or nothing is known). */
  startHandshake(peer: Peer): void {
    const core = this.#core;
    if (peer.handshake !== null || core.closed || peer.path === null) return;
    if (core.handshakesInProgress() >= MAX_HANDSHAKES_IN_PROGRESS) return;
    const direct = peer.path.kind === "direct" ? [peer.path.endpoint] : [];
    peer.handshake = newRun(direct, peer.path.kind === "relay", core.now() + REKEY_HANDSHAKE_DEADLINE_MS, true);
    this.#withResponderKey(peer);
  }

  /** Retries and deadline of the peer's handshake (§3.3); run from the tick. */
  onTick(peer: Peer, now: number): void {
    const run = peer.handshake;
    if (run === null) return;
    if (now >= run.deadlineAtMs) {
      this.#fail(peer, "no path", "no_path");
      return;
    }
    if (now >= run.nextRetryAtMs) this.#sendAttempt(peer);
  }

  /** A classified PILR from `source`. */
  onResponse(bytes: Uint8Array, source: FrameSource): void {
    const core = this.#core;
    const localIndex = readIndex(bytes, PILR_RECEIVER_INDEX_OFFSET);
    const entry = core.indexes.get(localIndex);
    if (entry === undefined || entry.kind !== "initiation") {
      core.drops.add("unknown_index");
      return;
    }
    const { initiation, peer } = entry;
    if (source.kind === "relay" && source.node !== peer.node) {
      core.drops.add("relay_mismatch");
      return;
    }
    const result = consumeResponse(core.local, initiation, bytes);
    if (!result.ok) {
      core.drops.add(result.reason);
      return;
    }
    const keyset = new Keyset({
      peerNode: peer.node,
      localIndex,
      remoteIndex: result.responderIndex,
      role: "initiator",
      createdAtMs: core.now(),
      sendKey: result.keys.send,
      receiveKey: result.keys.receive,
    });
    core.indexes.replace(localIndex, { kind: "keyset", keyset, peer });
    // This attempt's index now belongs to the keyset; onEstablished() releases the other attempts.
    const at = peer.handshake?.attempts.indexOf(initiation) ?? -1;
    if (at >= 0) peer.handshake!.attempts.splice(at, 1);
    this.#sessions.establish(peer, keyset, source);
  }

  /**
   * A keyset of the peer became current — through our PILR or the peer's own handshake (simultaneous initiation,
   * §3.7): the running handshake stops and connect() callers get the path.
   */
  onEstablished(peer: Peer): void {
    const run = peer.handshake;
    if (run === null) return;
    peer.handshake = null;
    this.#core.releaseInitiations(run.attempts);
    const path = peer.path;
    if (path === null) return;
    for (const w of run.waiters) w.resolve(path);
  }

  /** A classified PILC from `source`: keep its cookie for the next PILH (§3.9). */
  onCookie(bytes: Uint8Array, source: FrameSource): void {
    const core = this.#core;
    const entry = core.indexes.get(readIndex(bytes, PILC_RECEIVER_INDEX_OFFSET));
    if (entry === undefined || entry.kind !== "initiation") {
      core.drops.add("unknown_index");
      return;
    }
    if (source.kind === "relay" && source.node !== entry.peer.node) {
      core.drops.add("relay_mismatch");
      return;
    }
    const cookie = consumeCookieReply(entry.initiation, bytes);
    if (cookie === null) {
      core.drops.add("bad_cookie");
      return;
    }
    entry.peer.cookie = { value: cookie, receivedAtMs: core.now() };
  }

  /** Rejects every waiter and forgets every attempt (shutdown). */
  abortAll(reason: string): void {
    for (const peer of this.#core.peers.values()) if (peer.handshake !== null) this.#fail(peer, reason, "closed");
  }

  #withResponderKey(peer: Peer): void {
    const known = peer.identityKey;
    // A rekey uses the key of the running session; a new session re-reads keys older than the 10 min cache.
    const fresh = known !== null && this.#core.now() - known.fetchedAtMs < KEY_CACHE_MS;
    if (peer.noiseStatic !== null && (fresh || peer.hasKeysets())) {
      this.#firstAttempt(peer);
      return;
    }
    const started = this.#lookups.lookup(peer.node, (result) => this.#onKeys(peer, result));
    if (!started) this.#fail(peer, "too many key lookups", "lookup_limit");
  }

  #onKeys(peer: Peer, result: LookupResult): void {
    if (peer.handshake === null || this.#core.closed) return;
    if (result.kind !== "keys") {
      this.#fail(peer, result.kind === "timeout" ? "key lookup timed out" : "no keys for node", "no_keys");
      return;
    }
    const k = result.keys;
    if (!verifyNoiseBinding(k.publicKey, k.noisePublicKey, k.noiseIssuedAt, k.noiseSig)) {
      this.#fail(peer, "bad noise key binding", "bad_binding");
      return;
    }
    if (k.noiseIssuedAt >= peer.newestBindingMs) {
      peer.noiseStatic = k.noisePublicKey.slice();
      peer.newestBindingMs = k.noiseIssuedAt;
    } else if (peer.noiseStatic === null) {
      // Older than a binding seen before (§3.2), and no newer key to use instead.
      this.#fail(peer, "stale noise key binding", "bad_binding");
      return;
    }
    peer.identityKey = { publicKey: k.publicKey.slice(), fetchedAtMs: this.#core.now() };
    this.#firstAttempt(peer);
  }

  #firstAttempt(peer: Peer): void {
    const run = peer.handshake;
    if (run === null) return;
    run.retryDelayMs = HANDSHAKE_RETRY_FIRST_MS;
    this.#sendAttempt(peer);
  }

  /** A fresh PILH (new ephemeral, timestamp and index) to every target of the run. */
  #sendAttempt(peer: Peer): void {
    const core = this.#core;
    const run = peer.handshake;
    if (run === null || peer.noiseStatic === null) return;
    const now = core.now();
    const cookie = peer.cookie !== null ? peer.cookie.value : null;
    // Strictly increasing, or two attempts in one millisecond would make the second an hs_replay.
    const timestampMs = Math.max(Math.floor(core.clock.now()), peer.lastSentHandshakeTimestampMs + 1);
    peer.lastSentHandshakeTimestampMs = timestampMs;
    let frame: Uint8Array = new Uint8Array(0);
    const entry = core.indexes.allocate((senderIndex) => {
      const made = Initiation.create(core.local, {
        responderNode: peer.node,
        responderStatic: peer.noiseStatic!,
        senderIndex,
        timestampMs,
        cookie,
      });
      frame = made.frame;
      return { kind: "initiation", initiation: made.initiation, peer };
    });
    if (entry.kind !== "initiation") return;
    const initiation = entry.initiation;
    run.attempts.push(initiation);
    while (run.attempts.length > HANDSHAKE_ATTEMPTS_PER_PEER_MAX) core.releaseInitiations([run.attempts.shift()!]);
    for (const endpoint of run.directTargets) core.transmit(frame, { kind: "direct", endpoint }, peer.node);
    if (run.viaRelay) core.transmit(frame, { kind: "relay" }, peer.node);
    run.nextRetryAtMs = now + run.retryDelayMs;
    run.retryDelayMs = Math.min(run.retryDelayMs * 2, HANDSHAKE_RETRY_MAX_MS);
  }

  #addTargets(run: HandshakeRun, targets: readonly Endpoint[], relay: boolean): boolean {
    let changed = false;
    for (const t of targets) {
      if (run.directTargets.some((e) => endpointsEqual(e, t))) continue;
      // Newer candidates (a punched endpoint) displace the oldest beyond the cap.
      run.directTargets = [...run.directTargets, t].slice(-MAX_CANDIDATE_ENDPOINTS);
      changed = true;
    }
    if (relay && !run.viaRelay) {
      run.viaRelay = true;
      changed = true;
    }
    return changed;
  }

  #fail(peer: Peer, why: string, detail: string): void {
    const run = peer.handshake;
    if (run === null) return;
    peer.handshake = null;
    this.#core.releaseInitiations(run.attempts);
    if (peer.current === null) {
      const n = peer.queue.length;
      peer.queue.clear();
      if (n > 0) this.#core.drops.add("no_path", n);
    }
    const err = this.#failure(peer.node, why, detail);
    for (const w of run.waiters) w.reject(err);
    this.#core.emit({ type: "handshake_failed", peer: peer.node });
  }

  #failure(node: number, why: string, detail: string): ConnectionFailedError {
    return new ConnectionFailedError(`cannot connect to ${nodeText(node)}: ${why}`, { detail });
  }
}

function newRun(direct: Endpoint[], viaRelay: boolean, deadlineAtMs: number, rekey: boolean): HandshakeRun {
  return {
    attempts: [],
    retryDelayMs: HANDSHAKE_RETRY_FIRST_MS,
    nextRetryAtMs: NEVER,
    deadlineAtMs,
    directTargets: direct,
    viaRelay,
    rekey,
    waiters: [],
  };
}
