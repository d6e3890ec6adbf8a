// Path state of a peer (PROTOCOL-BRIEF §3.8 endpoints and roaming, §5.6 path validation): which authenticated
// input may move the endpoint, and the PATH_CHALLENGE / PATH_RESPONSE primitive the NAT strategy builds on.
import { toHex } from "../util/bytes.ts";
import { encodePathChallenge, PATH_TOKEN_BYTES } from "../wire/mod.ts";
import { PATH_PROBES_PER_PEER_MAX, PATH_RESPONSE_TIMEOUT_MS } from "./constants.ts";
import type { TunnelCore } from "./core.ts";
import { pathsEqual, replyPath } from "./endpoint.ts";
import type { Peer } from "./peer.ts";
import type { FrameSource, PeerPath } from "./types.ts";

export class PathManager {
  readonly #core: TunnelCore;

  constructor(core: TunnelCore) {
    this.#core = core;
  }

  /** Sets the peer's path; emits `path_changed` when an established path moves. */
  setPath(peer: Peer, path: PeerPath): void {
    const old = peer.path;
    if (pathsEqual(old, path)) return;
    peer.path = path;
    if (old !== null) {
      this.#core.emit({
        type: "path_changed",
        peer: peer.node,
        path: path.kind,
        endpoint: path.kind === "direct" ? path.endpoint : null,
      });
    }
  }

  /**
   * A handshake completed by input from `source` (a valid PILR, or the first PILS under a next keyset): the path is
   * the one it arrived by — except that relay → direct needs a PATH_CHALLENGE answered from that address first.
   */
  onHandshakeSource(peer: Peer, source: FrameSource, firstContact: boolean): void {
    const path = replyPath(source);
    const old = peer.path;
    if (firstContact || old === null || old.kind === "direct") {
      this.setPath(peer, path);
      return;
    }
    if (path.kind === "direct") this.#probeInBackground(peer, path);
  }

  /**
   * A PILS on the current keyset verified and raised the newest counter: a direct peer roams to its source. Relayed
   * frames and direct frames while relayed never move the path here.
   */
  onNewestCounter(peer: Peer, source: FrameSource): void {
    if (source.kind !== "direct" || peer.path === null || peer.path.kind !== "direct") return;
    this.setPath(peer, replyPath(source));
  }

  /**
   * Sends a PATH_CHALLENGE on `path` under the current keyset; resolves true when the matching PATH_RESPONSE comes
   * back from that same path within 2 s (switching the peer there when `switchOnSuccess`), false otherwise.
   */
  probe(
    peer: Peer,
    path: PeerPath,
    switchOnSuccess: boolean,
    timeoutMs: number = PATH_RESPONSE_TIMEOUT_MS,
  ): Promise<boolean> {
    const tokenBytes = this.#core.random(PATH_TOKEN_BYTES);
    const sent = this.#core.sendSealed(peer, encodePathChallenge(tokenBytes), null, path);
    if (sent !== "sent") return Promise.resolve(false);
    return new Promise((resolve) => {
      const sentAtMs = this.#core.now();
      peer.probes.push({ token: toHex(tokenBytes), path, sentAtMs, timeoutMs, switchOnSuccess, resolve });
      while (peer.probes.length > PATH_PROBES_PER_PEER_MAX) peer.probes.shift()!.resolve(false);
    });
  }

  /** An authenticated PATH_RESPONSE from `source`; false when it answers no outstanding challenge. */
  onPathResponse(peer: Peer, token: Uint8Array, source: FrameSource): boolean {
    const key = toHex(token);
    const from = replyPath(source);
    const i = peer.probes.findIndex((p) => p.token === key && pathsEqual(p.path, from));
    if (i < 0) return false;
    const [probe] = peer.probes.splice(i, 1);
    if (this.#core.now() - probe.sentAtMs > probe.timeoutMs) {
      probe.resolve(false);
      return true;
    }
    if (probe.switchOnSuccess) this.setPath(peer, probe.path);
    probe.resolve(true);
    return true;
  }

  /** Fails challenges older than their timeout (2 s unless the caller chose another). */
  expireProbes(peer: Peer, nowMs: number): void {
    if (peer.probes.length === 0) return;
    peer.probes = peer.probes.filter((p) => {
      if (nowMs - p.sentAtMs <= p.timeoutMs) return true;
      p.resolve(false);
      return false;
    });
  }

  /** Resolves every outstanding challenge as unanswered (shutdown, keys wiped). */
  failAll(peer: Peer): void {
    for (const p of peer.probes) p.resolve(false);
    peer.probes = [];
  }

  #probeInBackground(peer: Peer, path: PeerPath): void {
    if (peer.probes.some((p) => pathsEqual(p.path, path))) return;
    this.probe(peer, path, true).catch(() => {});
  }
}
