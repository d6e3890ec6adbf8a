// Finding a path to a peer (PROTOCOL-BRIEF §5.6): at 0 the registry `lookup` gives dial candidates and the same PILH
// goes to each (≤ 4); at 1 s without an answer we ask the registry to `punch` (the beacon's PUNCH_COMMAND leads to
// PILPs and a fresh PILH to the punched endpoint); at 4 s the PILH also goes through the relay; the caller's deadline
// (dial: 20 s) ends it with `connection_failed` detail `no_path`. While a session we started runs on the relay, we
// keep asking for a punch every 60 s ± 10 s (every 10 min after 5 failures) and move to direct when it answers.
import type { Logger } from "../log/logger.ts";
import type { PunchOk, RegistryClient } from "../registry/mod.ts";
import type { Endpoint, Tunnel, TunnelEvent } from "../tunnel/mod.ts";
import type { Clock } from "../util/clock.ts";
import { ConnectionFailedError, toPilotError } from "../util/errors.ts";
import { formatAddr, ipToText, NETWORK_BACKBONE, parseEndpoint } from "../wire/mod.ts";
import { abortableSleep, withDeadline } from "./timing.ts";

export const DIAL_TIMEOUT_MS = 20_000;
export const PUNCH_AFTER_MS = 1_000;
export const RELAY_AFTER_MS = 4_000;
export const MAX_DIAL_CANDIDATES = 4;
export const UPGRADE_PUNCH_INTERVAL_MS = 60_000;
export const UPGRADE_PUNCH_JITTER_MS = 10_000;
export const UPGRADE_FAILURES_BEFORE_SLOWDOWN = 5;
export const UPGRADE_SLOW_INTERVAL_MS = 10 * 60_000;
/** After a punch for an upgrade, how long the PILPs and PATH_CHALLENGEs get before we count a failure. */
const UPGRADE_SETTLE_MS = 5_000;
/** A `punch` answered with an already-run job is asked again this often, at most this many times (§5.3 5 s window). */
const PUNCH_REUSED_RETRY_MS = 1_000;
const PUNCH_REUSED_RETRIES_MAX = 5;
/**
 * A session whose peer said nothing for this long is checked with a PATH_CHALLENGE before a dial relies on it: the
 * peer may have restarted elsewhere (kill -9, new port) while our keyset still looks usable.
 */
export const LIVENESS_CHECK_AFTER_MS = 3_000;

export interface DialerDeps {
  readonly nodeId: number;
  readonly tunnel: () => Tunnel;
  readonly hasSession: (peer: number) => boolean;
  /** The registry connection; throws while unreachable. */
  readonly registry: () => RegistryClient;
  /** Each successful lookup (for the hostname cache). */
  readonly onLookup?: (node: number, hostname: string | undefined) => void;
  /** Starts fetching the peer's keys while the lookup runs (the handshake needs both; one round trip, not two). */
  readonly prefetchKeys?: (node: number) => void;
  readonly clock: Clock;
  readonly log: Logger;
  readonly random?: () => number;
}

interface Attempt {
  readonly promise: Promise<void>;
  readonly deadlineAtMs: number;
}

/** `cannot connect to <addr>: no path` (§5.6 give-up). */
export function noPathError(peer: number): ConnectionFailedError {
  const addr = formatAddr({ network: NETWORK_BACKBONE, node: peer });
  return new ConnectionFailedError(`cannot connect to ${addr}: no path`, {
    detail: "no_path",
    hint: `pilotctl ping ${addr}`,
  });
}

export class Dialer implements AsyncDisposable {
  readonly #d: DialerDeps;
  readonly #abort = new AbortController();
  readonly #attempts = new Map<number, Attempt>();
  /** Peers whose session we started: we drive their relay → direct upgrade. */
  readonly #dialed = new Set<number>();
  readonly #upgrades = new Map<number, AbortController>();
  readonly #tasks = new Set<Promise<void>>();

  constructor(deps: DialerDeps) {
    this.#d = deps;
  }

  /** Resolves once a tunnel session to `peer` exists; rejects with `no_path` at the deadline. */
  ensurePath(peer: number, timeoutMs: number = DIAL_TIMEOUT_MS): Promise<void> {
    if (peer === this.#d.nodeId) return Promise.resolve();
    const row = this.#d.tunnel().peers().find((p) => p.node_id === peer);
    const quiet = row === undefined || row.last_seen_ms === null ||
      this.#d.clock.now() - row.last_seen_ms > LIVENESS_CHECK_AFTER_MS;
    if (this.#d.hasSession(peer) && !quiet) return Promise.resolve();
    // Keys that still look usable but a peer that went quiet: check it is there before relying on them.
    const session = row !== undefined && row.authenticated && quiet;
    if (this.#abort.signal.aborted) return Promise.reject(noPathError(peer));
    let attempt = this.#attempts.get(peer);
    if (attempt === undefined) {
      const deadlineAtMs = this.#d.clock.monotonic() + timeoutMs;
      const promise = session ? this.#verify(peer, timeoutMs) : this.#run(peer, timeoutMs);
      attempt = { promise, deadlineAtMs };
      this.#attempts.set(peer, attempt);
      const forget = () => {
        if (this.#attempts.get(peer) === attempt) this.#attempts.delete(peer);
      };
      promise.then(forget, forget);
    }
    return withDeadline(attempt.promise, timeoutMs, () => noPathError(peer));
  }

  /**
   * A dial over an existing session got no answer yet: check the peer still answers on its path and, if not, look it
   * up and handshake anew (it may have restarted elsewhere). Runs in the background; at most one check per peer.
   */
  recheck(peer: number, timeoutMs: number = DIAL_TIMEOUT_MS): void {
    if (peer === this.#d.nodeId || this.#attempts.has(peer) || this.#abort.signal.aborted) return;
    const deadlineAtMs = this.#d.clock.monotonic() + timeoutMs;
    const promise = this.#verify(peer, timeoutMs);
    const attempt = { promise, deadlineAtMs };
    this.#attempts.set(peer, attempt);
    const forget = () => {
      if (this.#attempts.get(peer) === attempt) this.#attempts.delete(peer);
    };
    this.#spawn(promise.then(forget, (err) => {
      forget();
      this.#d.log.debug("peer recheck failed", { peer, error: toPilotError(err).message });
    }));
  }

  /** Whether the registry shows us `peer` with at least one dial candidate (a cheap check before a dial). */
  async hasCandidates(peer: number): Promise<boolean> {
    try {
      return (await this.#candidates(peer)).length > 0;
    } catch {
      return false;
    }
  }

  /** A packet waits for `peer`: find a path without anyone waiting for it. */
  background(peer: number): void {
    if (this.#attempts.has(peer) || this.#abort.signal.aborted) return;
    this.#spawn(
      this.ensurePath(peer).catch((err) => {
        this.#d.log.debug("no path to peer", { peer, error: toPilotError(err).message });
      }),
    );
  }

  /** The PILPs of a PUNCH_COMMAND for `peer` went out toward `endpoint` (§5.3). */
  onPunched(peer: number, endpoint: Endpoint): void {
    const tunnel = this.#d.tunnel();
    const attempt = this.#attempts.get(peer);
    if (attempt !== undefined) {
      // A fresh PILH to the punched endpoint, joining the running handshake.
      const left = Math.max(1, attempt.deadlineAtMs - this.#d.clock.monotonic());
      tunnel.connect(peer, [endpoint], left, { fresh: true, rehandshake: true }).catch(() => {});
      return;
    }
    const row = tunnel.peers().find((p) => p.node_id === peer);
    if (row?.authenticated && row.path === "relay") {
      this.#spawn(
        tunnel.probePath(peer, endpoint).then((ok) => {
          if (ok) this.#d.log.info("peer moved from relay to direct", { peer, endpoint: `${endpoint.hostname}` });
        }),
      );
    }
  }

  /** Tunnel events drive the relay → direct upgrade of sessions we started. */
  onTunnelEvent(e: TunnelEvent): void {
    if (e.type === "keys_wiped" || e.type === "handshake_failed") {
      this.#stopUpgrade(e.peer);
      if (e.type === "keys_wiped") this.#dialed.delete(e.peer);
      return;
    }
    if (e.path === "direct") {
      this.#stopUpgrade(e.peer);
      return;
    }
    if (this.#dialed.has(e.peer) && !this.#upgrades.has(e.peer)) this.#startUpgrade(e.peer);
  }

  close(): Promise<void> {
    this.#abort.abort();
    for (const u of this.#upgrades.values()) u.abort();
    this.#upgrades.clear();
    return Promise.all([...this.#tasks, ...[...this.#attempts.values()].map((a) => a.promise.catch(() => {}))])
      .then(() => {});
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** A quiet session: keep it if its peer answers on the current path, else find the peer again (a new handshake). */
  async #verify(peer: number, timeoutMs: number): Promise<void> {
    const startedAt = this.#d.clock.monotonic();
    if (await this.#d.tunnel().probeCurrentPath(peer)) return;
    this.#d.log.info("peer silent on its session; looking it up again", { peer });
    const left = Math.max(1, timeoutMs - (this.#d.clock.monotonic() - startedAt));
    await this.#run(peer, left, true);
  }

  async #run(peer: number, timeoutMs: number, rehandshake = false): Promise<void> {
    const d = this.#d;
    const startedAt = d.clock.monotonic();
    const left = () => Math.max(1, timeoutMs - (d.clock.monotonic() - startedAt));
    this.#dialed.add(peer);
    d.prefetchKeys?.(peer);
    const candidates = await withDeadline(this.#candidates(peer), left(), () => new Error("lookup timed out"))
      .catch(() => [] as Endpoint[]);
    const tunnel = d.tunnel();
    const connecting = tunnel.connect(peer, candidates, left(), { rehandshake });
    const stop = new AbortController();
    const schedule = this.#escalate(peer, tunnel, startedAt, left, stop.signal, rehandshake);
    try {
      await connecting;
    } catch (err) {
      d.log.debug("tunnel setup failed", { peer, error: toPilotError(err).message });
      throw noPathError(peer);
    } finally {
      stop.abort();
      await schedule;
    }
  }

  /** §5.6 from 1 s: punch; from 4 s: the relay too. */
  async #escalate(
    peer: number,
    tunnel: Tunnel,
    startedAt: number,
    left: () => number,
    signal: AbortSignal,
    rehandshake: boolean,
  ): Promise<void> {
    const elapsed = () => this.#d.clock.monotonic() - startedAt;
    const stop = AbortSignal.any([signal, this.#abort.signal]);
    await abortableSleep(PUNCH_AFTER_MS - elapsed(), stop);
    if (stop.aborted) return;
    this.#punch(peer);
    await abortableSleep(RELAY_AFTER_MS - elapsed(), stop);
    if (stop.aborted) return;
    tunnel.connect(peer, [], left(), { relay: true, rehandshake }).catch(() => {});
  }

  #punch(peer: number): void {
    this.#spawn(this.#punchUntilFresh(peer));
  }

  /**
   * Asks the registry to `punch` (§5.3). Inside the one-punch-per-pair window the registry answers with the job it
   * already ran (fire_in_ms 0), whose PUNCH_COMMANDs may have gone to an endpoint one side no longer has (a daemon
   * restarted and dialled again within 5 s). While we still want a path, ask again until a fresh job comes.
   */
  async #punchUntilFresh(peer: number): Promise<void> {
    for (let retry = 0;; retry++) {
      let reply: PunchOk;
      try {
        reply = await this.#d.registry().punch(peer);
      } catch (err) {
        this.#d.log.debug("punch refused", { peer, error: toPilotError(err).message });
        return;
      }
      if (reply.fire_in_ms > 0 || retry >= PUNCH_REUSED_RETRIES_MAX) return;
      await abortableSleep(PUNCH_REUSED_RETRY_MS, this.#abort.signal);
      if (this.#abort.signal.aborted || !this.#wantsPunch(peer)) return;
    }
  }

  /** A dial to `peer` still runs, or its session is relayed (a punch may move it to direct). */
  #wantsPunch(peer: number): boolean {
    if (this.#attempts.has(peer)) return true;
    const row = this.#d.tunnel().peers().find((p) => p.node_id === peer);
    return row?.authenticated === true && row.path === "relay";
  }

  /** Dial candidates from the registry (best first); none when the peer is not visible to us. */
  async #candidates(peer: number): Promise<Endpoint[]> {
    const record = await this.#d.registry().lookup(peer);
    this.#d.onLookup?.(peer, record.hostname);
    const out: Endpoint[] = [];
    for (const text of record.endpoints ?? []) {
      const ep = typeof text === "string" ? parseEndpoint(text) : null;
      if (ep !== null) out.push({ hostname: ipToText(ep.ip), port: ep.port });
      if (out.length === MAX_DIAL_CANDIDATES) break;
    }
    return out;
  }

  #startUpgrade(peer: number): void {
    const stop = new AbortController();
    this.#upgrades.set(peer, stop);
    const signal = AbortSignal.any([stop.signal, this.#abort.signal]);
    const random = this.#d.random ?? Math.random;
    this.#spawn((async () => {
      for (let failures = 0; !signal.aborted;) {
        const base = failures >= UPGRADE_FAILURES_BEFORE_SLOWDOWN
          ? UPGRADE_SLOW_INTERVAL_MS
          : UPGRADE_PUNCH_INTERVAL_MS;
        await abortableSleep(base + (random() * 2 - 1) * UPGRADE_PUNCH_JITTER_MS, signal);
        if (signal.aborted) return;
        this.#punch(peer);
        await abortableSleep(UPGRADE_SETTLE_MS, signal);
        failures++;
      }
    })());
  }

  #stopUpgrade(peer: number): void {
    this.#upgrades.get(peer)?.abort();
    this.#upgrades.delete(peer);
  }

  #spawn(task: Promise<void>): void {
    this.#tasks.add(task);
    task.finally(() => this.#tasks.delete(task)).catch(() => {});
  }
}
