// The node side of the beacon protocol (PROTOCOL-BRIEF §5): DISCOVER from the tunnel socket at start and every
// 20 s ± 2 s (retried at 3, 6 and 12 s while unanswered; three unanswered mark the beacon unreachable), REGISTER
// signed over the endpoint the beacon reported when it says we are not registered (status 1) or registered
// elsewhere (status 2), PUNCH_COMMAND (at most 10 per 10 s: after delay_ms, 3 PILP 50 ms apart, then the owner
// continues with a handshake), and RELAY_DELIVER to the tunnel after checking dst = own id. Bad input is counted.
import { ed25519Sign, type Identity } from "../crypto/mod.ts";
import type { Logger } from "../log/logger.ts";
import type { Endpoint } from "../tunnel/mod.ts";
import { randomBytes, toHex } from "../util/bytes.ts";
import type { Clock } from "../util/clock.ts";
import {
  type BeaconMessage,
  beaconRegisterSignedBytes,
  decodeBeaconMessage,
  DISCOVER_STATUS_REGISTERED,
  encodeBeaconMessage,
  formatEndpoint,
  ipToText,
  REGISTER_STATUS_OK,
  TXID_BYTES,
  WireFormatError,
} from "../wire/mod.ts";
import type { DropRegistry } from "./drops.ts";
import { abortableSleep, Wakeable } from "./timing.ts";

export const DISCOVER_INTERVAL_MS = 20_000;
export const DISCOVER_JITTER_MS = 2_000;
/** Retries of an unanswered DISCOVER, measured from the first send: at 3, 6 and 12 s (§5.2). */
export const DISCOVER_RETRY_AT_MS: readonly number[] = [3_000, 6_000, 12_000];
export const UNANSWERED_BEFORE_UNREACHABLE = 3;
export const PUNCH_COMMANDS_PER_WINDOW = 10;
export const PUNCH_WINDOW_MS = 10_000;
export const PUNCH_PROBES = 3;
export const PUNCH_PROBE_GAP_MS = 50;
/** Outstanding txids remembered; replies to older ones are dropped as unknown. */
const TXIDS_MAX = 8;

export interface BeaconClientOptions {
  readonly nodeId: number;
  /** The current identity (REGISTER is signed with it). */
  readonly identity: () => Identity;
  /** The configured beacon address text, for `info`. */
  readonly address: string;
  /** Sends a beacon message from the tunnel socket to the beacon. */
  readonly send: (bytes: Uint8Array) => Promise<void>;
  readonly sendPunchProbe: (endpoint: Endpoint, punchId: Uint8Array) => Promise<void>;
  /** A RELAY_DELIVER for us: the inner frame and its source node. */
  readonly onRelayDeliver: (srcNode: number, inner: Uint8Array) => void;
  /** The probes of a PUNCH_COMMAND went out: the peer's NAT mapping toward `endpoint` should be open now. */
  readonly onPunched: (peerNode: number, endpoint: Endpoint) => void;
  readonly drops: DropRegistry;
  readonly clock: Clock;
  readonly log: Logger;
  readonly random?: (n: number) => Uint8Array;
}

/** What `info.beacon` shows. */
export interface BeaconStatus {
  readonly address: string;
  readonly reachable: boolean;
  readonly registered: boolean;
  /** Our endpoint as the beacon sees it. */
  readonly endpoint: string | null;
}

export class BeaconClient implements AsyncDisposable {
  readonly #o: BeaconClientOptions;
  readonly #random: (n: number) => Uint8Array;
  readonly #abort = new AbortController();
  readonly #wakeable = new Wakeable(this.#abort.signal);
  /** txid hex → kind of request. */
  readonly #txids = new Map<string, "discover" | "register">();
  readonly #punchTimes: number[] = [];
  readonly #tasks = new Set<Promise<void>>();
  #loop: Promise<void> | null = null;
  #answered = false;
  #unanswered = 0;
  #registered = false;
  #endpoint: string | null = null;

  constructor(o: BeaconClientOptions) {
    this.#o = o;
    this.#random = o.random ?? randomBytes;
  }

  /** Starts the DISCOVER schedule (the first one goes out now). */
  start(): void {
    this.#loop ??= this.#run();
  }

  /** Sends a DISCOVER now (after a registry registration or a key change, so REGISTER follows soon). */
  refresh(): void {
    this.#registered = false;
    this.#wakeable.wake();
  }

  status(): BeaconStatus {
    return {
      address: this.#o.address,
      reachable: this.#unanswered < UNANSWERED_BEFORE_UNREACHABLE,
      registered: this.#registered,
      endpoint: this.#endpoint,
    };
  }

  /** Sends `inner` to `dstNode` through the beacon relay (§5.4); the tunnel's RelaySender. */
  relay(dstNode: number, inner: Uint8Array): Promise<void> {
    return this.#o.send(encodeBeaconMessage({ type: "relay", srcNode: this.#o.nodeId, dstNode, inner }));
  }

  /** One beacon message from the configured beacon address (the tunnel checked the source). Never throws. */
  handle(bytes: Uint8Array): void {
    let m: BeaconMessage;
    try {
      m = decodeBeaconMessage(bytes);
    } catch (err) {
      this.#o.drops.add(err instanceof WireFormatError ? err.field : "beacon_malformed");
      return;
    }
    switch (m.type) {
      case "discover_reply":
        this.#onDiscoverReply(m);
        return;
      case "register_ack":
        this.#onRegisterAck(m);
        return;
      case "punch_command":
        this.#onPunchCommand(m);
        return;
      case "relay_deliver":
        if (m.dstNode !== this.#o.nodeId) {
          this.#o.drops.add("relay_bad_dst");
          return;
        }
        this.#o.onRelayDeliver(m.srcNode, m.inner);
        return;
      default:
        // DISCOVER, REGISTER and RELAY only ever go toward the beacon.
        this.#o.drops.add("beacon_bad_type");
    }
  }

  close(): Promise<void> {
    this.#abort.abort();
    return Promise.all([this.#loop, ...this.#tasks]).then(() => {});
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #run(): Promise<void> {
    const signal = this.#abort.signal;
    while (!signal.aborted) {
      this.#answered = false;
      const startedAt = this.#o.clock.monotonic();
      await this.#sendDiscover();
      // A refresh() wakes a retry wait early: that is a new round at once, not a missed reply.
      const early = (at: number) => this.#o.clock.monotonic() - startedAt < at;
      let restart = false;
      for (const at of DISCOVER_RETRY_AT_MS) {
        await this.#wakeable.sleep(at - (this.#o.clock.monotonic() - startedAt));
        if (signal.aborted || this.#answered) break;
        if ((restart = early(at))) break;
        this.#missed();
        await this.#sendDiscover();
      }
      if (restart) continue;
      if (!this.#answered && !signal.aborted) {
        const last = this.#o.clock.monotonic();
        await this.#wakeable.sleep(DISCOVER_RETRY_AT_MS[0]);
        if (this.#o.clock.monotonic() - last < DISCOVER_RETRY_AT_MS[0] && !signal.aborted) continue;
        if (!this.#answered) this.#missed();
      }
      const jitter = (this.#random(1)[0] / 255) * 2 * DISCOVER_JITTER_MS - DISCOVER_JITTER_MS;
      // Every 20 s ± 2 s from the previous DISCOVER, not from the end of its retry window: the NAT keepalive must
      // stay within 25 s (§5.5).
      await this.#wakeable.sleep(DISCOVER_INTERVAL_MS + jitter - (this.#o.clock.monotonic() - startedAt));
    }
  }

  #missed(): void {
    if (++this.#unanswered === UNANSWERED_BEFORE_UNREACHABLE) {
      this.#o.log.warn("beacon unreachable: no DISCOVER reply", { beacon: this.#o.address });
    }
  }

  async #sendDiscover(): Promise<void> {
    const txid = this.#newTxid("discover");
    await this.#send(encodeBeaconMessage({ type: "discover", nodeId: this.#o.nodeId, txid }));
  }

  #onDiscoverReply(m: Extract<BeaconMessage, { type: "discover_reply" }>): void {
    if (!this.#takeTxid(m.txid, "discover")) return;
    this.#answered = true;
    if (this.#unanswered >= UNANSWERED_BEFORE_UNREACHABLE) this.#o.log.info("beacon reachable again");
    this.#unanswered = 0;
    this.#endpoint = formatEndpoint({ ip: m.ip, port: m.port });
    if (m.status === DISCOVER_STATUS_REGISTERED) {
      this.#registered = true;
      return;
    }
    // Not registered (a new daemon, a beacon restart) or registered at another endpoint (NAT rebinding).
    this.#registered = false;
    const nodeId = this.#o.nodeId;
    const tsMs = Math.floor(this.#o.clock.now());
    const identity = this.#o.identity();
    const sig = ed25519Sign(identity.seed, beaconRegisterSignedBytes(nodeId, tsMs, m.challenge, m.ip, m.port));
    const txid = this.#newTxid("register");
    this.#spawn(this.#send(encodeBeaconMessage({ type: "register", nodeId, txid, tsMs, challenge: m.challenge, sig })));
  }

  #onRegisterAck(m: Extract<BeaconMessage, { type: "register_ack" }>): void {
    if (!this.#takeTxid(m.txid, "register")) return;
    if (m.status === REGISTER_STATUS_OK) {
      if (!this.#registered) this.#o.log.debug("registered with the beacon", { endpoint: this.#endpoint ?? "" });
      this.#registered = true;
      return;
    }
    this.#o.log.limited("warn", "beacon_register", "beacon refused our registration", { status: m.status });
  }

  #onPunchCommand(m: Extract<BeaconMessage, { type: "punch_command" }>): void {
    const now = this.#o.clock.monotonic();
    while (this.#punchTimes.length > 0 && now - this.#punchTimes[0] >= PUNCH_WINDOW_MS) this.#punchTimes.shift();
    if (this.#punchTimes.length >= PUNCH_COMMANDS_PER_WINDOW) {
      this.#o.drops.add("punch_rate");
      return;
    }
    this.#punchTimes.push(now);
    const endpoint: Endpoint = { hostname: ipToText(m.ip), port: m.port };
    const punchId = m.punchId.slice();
    this.#spawn(this.#punch(m.peerNode, endpoint, punchId, m.delayMs));
  }

  async #punch(peer: number, endpoint: Endpoint, punchId: Uint8Array, delayMs: number): Promise<void> {
    const signal = this.#abort.signal;
    await abortableSleep(delayMs, signal);
    for (let i = 0; i < PUNCH_PROBES && !signal.aborted; i++) {
      if (i > 0) await abortableSleep(PUNCH_PROBE_GAP_MS, signal);
      await this.#o.sendPunchProbe(endpoint, punchId).catch(() => this.#o.drops.add("send_error"));
    }
    if (signal.aborted) return;
    try {
      this.#o.onPunched(peer, endpoint);
    } catch (err) {
      this.#o.log.warn("punch handler failed", { error: err instanceof Error ? err.message : String(err) });
    }
  }

  #newTxid(kind: "discover" | "register"): Uint8Array {
    const txid = this.#random(TXID_BYTES);
    this.#txids.set(toHex(txid), kind);
    while (this.#txids.size > TXIDS_MAX) this.#txids.delete(this.#txids.keys().next().value!);
    return txid;
  }

  /** True (and forgotten) when `txid` is an outstanding request of `kind`; otherwise a counted drop. */
  #takeTxid(txid: Uint8Array, kind: "discover" | "register"): boolean {
    const key = toHex(txid);
    if (this.#txids.get(key) !== kind) {
      this.#o.drops.add("beacon_bad_txid");
      return false;
    }
    this.#txids.delete(key);
    return true;
  }

  async #send(bytes: Uint8Array): Promise<void> {
    try {
      await this.#o.send(bytes);
    } catch (err) {
      this.#o.log.limited("debug", "beacon_send", "cannot send to the beacon", {
        error: err instanceof Error ? err.message : String(err),
      });
    }
  }

  #spawn(task: Promise<void>): void {
    this.#tasks.add(task);
    task.finally(() => this.#tasks.delete(task)).catch(() => {});
  }
}
