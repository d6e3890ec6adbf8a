// Path MTU probing (PROTOCOL-BRIEF §3.5 MTU_PROBE / MTU_ACK, "MAY"): the payload limit of a peer's path is 1,152
// bytes unless a probe of a larger size was acknowledged on it. Probing is allowed only where the socket sets
// don't-fragment or the path is loopback; Deno cannot set don't-fragment, so only loopback paths (127.0.0.0/8, ::1)
// are probed. Two sizes go out together — the largest UDP datagram and 16 KiB — and the largest one acknowledged
// wins. A receiver acknowledges only sizes its socket buffer can queue many of (see maxProbeAckDatagramBytes), so a
// peer whose kernel buffer stayed small gets 16 KiB datagrams, not bursts it would drop. A new path, the relay, or
// wiped keys bring the limit back to the default; the owner is told every time the limit changes (streams
// re-segment).
import { encodeMtuProbe, HEADER_BYTES, MAX_PAYLOAD_ABSOLUTE_BYTES, PILS_OVERHEAD_BYTES } from "../wire/mod.ts";
import { DEFAULT_PATH_PAYLOAD_BYTES } from "./constants.ts";
import type { TunnelCore } from "./core.ts";
import { endpointKey } from "./endpoint.ts";
import type { Peer } from "./peer.ts";
import type { FrameSource, TunnelEvent } from "./types.ts";

/**
 * The UDP payloads probed on loopback paths, largest first. Larger datagrams mean fewer per-packet costs (system
 * calls, AEAD calls, ACKs: 64 KiB moved ~25 % more per stream than 16 KiB in our measurements), but a receiver's
 * default socket buffer (Linux: 208 KiB) holds only 12 datagrams of 16 KiB and 3 of 64 KiB.
 */
export const LOOPBACK_PROBE_DATAGRAM_SIZES: readonly number[] = [
  MAX_PAYLOAD_ABSOLUTE_BYTES + HEADER_BYTES + PILS_OVERHEAD_BYTES, // 65,507: the largest UDP payload over IPv4
  16_384,
];
/** The largest probed datagram. */
export const LOOPBACK_PROBE_DATAGRAM_BYTES = LOOPBACK_PROBE_DATAGRAM_SIZES[0];
/** Every receiver acknowledges probes up to this datagram size (it fits a dozen times in any default buffer). */
export const SMALL_PROBE_DATAGRAM_BYTES = 16_384;
/** A receive buffer must hold this many datagrams of a size for that size to be acknowledged. */
export const PROBE_ACK_BUFFER_DATAGRAMS = 32;
/** The plaintext of the largest probe (§3.5: its length is the probed size). */
export const LOOPBACK_PROBE_PLAINTEXT_BYTES = LOOPBACK_PROBE_DATAGRAM_BYTES - PILS_OVERHEAD_BYTES;
/** The packet payload limit once the largest probe is acknowledged: the overlay header (§2.1) comes off. */
export const LOOPBACK_PATH_LIMIT_BYTES = LOOPBACK_PROBE_PLAINTEXT_BYTES - HEADER_BYTES;

/** The packet payload limit a probe of `datagramBytes` gives once acknowledged. */
export function pathLimitOf(datagramBytes: number): number {
  return datagramBytes - PILS_OVERHEAD_BYTES - HEADER_BYTES;
}

/**
 * The largest probe (UDP payload bytes) a node acknowledges, given its socket's receive buffer (null: unknown, the
 * system default): a size must fit PROBE_ACK_BUFFER_DATAGRAMS times, and 16 KiB is always accepted.
 */
export function maxProbeAckDatagramBytes(receiveBufferBytes: number | null): number {
  if (receiveBufferBytes === null) return SMALL_PROBE_DATAGRAM_BYTES;
  return Math.max(SMALL_PROBE_DATAGRAM_BYTES, Math.floor(receiveBufferBytes / PROBE_ACK_BUFFER_DATAGRAMS));
}
/** An unanswered probe is sent again after this long, at most MTU_PROBE_TRIES_MAX times per path. */
export const MTU_PROBE_RETRY_MS = 1_000;
export const MTU_PROBE_TRIES_MAX = 3;

interface PathMtu {
  /** The direct endpoint this state belongs to. */
  readonly endpoint: string;
  limit: number;
  /** The outstanding probes of the current round: probe id → datagram size. Empty once probing is over. */
  probes: Map<number, number>;
  sentAtMs: number;
  tries: number;
}

/** A host of the loopback network: the only paths this runtime may probe. */
export function isLoopbackHost(host: string): boolean {
  return host.startsWith("127.") || host === "::1";
}

export class MtuProber {
  readonly #core: TunnelCore;
  readonly #onLimit: (peerNode: number, bytes: number) => void;
  readonly #paths = new Map<number, PathMtu>();
  #nextProbeId = 1;

  constructor(core: TunnelCore, onLimit: (peerNode: number, bytes: number) => void) {
    this.#core = core;
    this.#onLimit = onLimit;
  }

  /** The payload limit for packets to `peerNode`. */
  limit(peerNode: number): number {
    return this.#paths.get(peerNode)?.limit ?? DEFAULT_PATH_PAYLOAD_BYTES;
  }

  /** Tunnel events: a session on a loopback path is probed; a moved path or wiped keys reset the limit. */
  onEvent(e: TunnelEvent): void {
    if (e.type === "keys_wiped" || e.type === "handshake_failed") {
      this.#reset(e.peer);
      return;
    }
    const peer = this.#core.peers.get(e.peer);
    if (peer === undefined) return;
    if (e.type === "path_changed") this.#reset(e.peer);
    // After the event's own sends (the queue, the key confirmation): the probe must not hold them up.
    queueMicrotask(() => {
      if (!this.#core.closed) this.#start(peer);
    });
  }

  /**
   * An MTU_ACK: raises the limit when it answers an outstanding probe of the size it names and came back on the
   * probed path. The largest size acknowledged ends probing; a smaller one leaves the larger probes running.
   */
  onAck(peer: Peer, probeId: number, size: number, source: FrameSource): void {
    const state = this.#paths.get(peer.node);
    const datagram = state?.probes.get(probeId);
    if (state === undefined || datagram === undefined || size !== datagram - PILS_OVERHEAD_BYTES) return;
    if (source.kind !== "direct" || endpointKey(source.endpoint) !== state.endpoint) return;
    for (const [id, bytes] of state.probes) if (bytes <= datagram) state.probes.delete(id);
    const limit = pathLimitOf(datagram);
    if (limit <= state.limit) return;
    state.limit = limit;
    this.#notify(peer.node, state.limit);
  }

  /** Retries unanswered probes; run from the tunnel's tick. */
  onTick(peer: Peer, nowMs: number): void {
    const state = this.#paths.get(peer.node);
    if (state === undefined || state.probes.size === 0 || nowMs - state.sentAtMs < MTU_PROBE_RETRY_MS) return;
    if (state.tries >= MTU_PROBE_TRIES_MAX) {
      state.probes.clear();
      return;
    }
    this.#send(peer, state);
  }

  #start(peer: Peer): void {
    const path = peer.path;
    if (path === null || path.kind !== "direct" || !isLoopbackHost(path.endpoint.hostname)) return;
    const endpoint = endpointKey(path.endpoint);
    const known = this.#paths.get(peer.node);
    if (known !== undefined && known.endpoint === endpoint) return;
    const state: PathMtu = { endpoint, limit: DEFAULT_PATH_PAYLOAD_BYTES, probes: new Map(), sentAtMs: 0, tries: 0 };
    this.#paths.set(peer.node, state);
    this.#send(peer, state);
  }

  /** One round: a fresh probe of every size above the current limit (the ids of earlier rounds stop counting). */
  #send(peer: Peer, state: PathMtu): void {
    state.probes.clear();
    state.sentAtMs = this.#core.now();
    state.tries++;
    // Without the libcrypto accelerator large frames use the WebCrypto keys from now on, in both directions.
    peer.current?.prepareAsync();
    for (const datagram of LOOPBACK_PROBE_DATAGRAM_SIZES) {
      if (pathLimitOf(datagram) <= state.limit) continue;
      const probeId = this.#nextProbeId;
      this.#nextProbeId = (this.#nextProbeId % 0xffff_ffff) + 1;
      state.probes.set(probeId, datagram);
      this.#core.sendSealed(peer, encodeMtuProbe(probeId, datagram - PILS_OVERHEAD_BYTES), null);
    }
  }

  #reset(peerNode: number): void {
    const state = this.#paths.get(peerNode);
    if (state === undefined) return;
    this.#paths.delete(peerNode);
    if (state.limit !== DEFAULT_PATH_PAYLOAD_BYTES) this.#notify(peerNode, DEFAULT_PATH_PAYLOAD_BYTES);
  }

  #notify(peerNode: number, bytes: number): void {
    try {
      this.#onLimit(peerNode, bytes);
    } catch (err) {
      this.#core.log.limited("warn", "path_limit_handler", "path limit handler failed", { error: String(err) });
    }
  }
}
