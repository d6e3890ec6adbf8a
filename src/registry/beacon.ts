// The beacon (PROTOCOL-BRIEF §5.1–5.4): DISCOVER/DISCOVER_REPLY with the HMAC challenge bound to the source
// endpoint (current and previous 60 s epoch), authenticated REGISTER (challenge vs. datagram source, ts ±60 s,
// signature with the node's registry key) recording node → endpoint for 60 s, PUNCH_COMMAND to both peers of a punch
// job, and RELAY → RELAY_DELIVER after the anti-spoofing, visibility, inner-frame and budget checks. The socket is a
// narrow injected interface, so all of this runs in tests without UDP. Drops are counted, never thrown.
import { ed25519Verify, hmacSha256 } from "../crypto/mod.ts";
import type { Logger } from "../log/logger.ts";
import { constantTimeEqual, fromHex, randomBytes } from "../util/bytes.ts";
import type { Clock } from "../util/clock.ts";
import {
  BEACON_CHALLENGE_BYTES,
  BEACON_RELAY_DELIVER,
  beaconChallengeInput,
  beaconRegisterSignedBytes,
  decodeBeaconMessage,
  DISCOVER_STATUS_NOT_REGISTERED,
  DISCOVER_STATUS_OTHER_ENDPOINT,
  DISCOVER_STATUS_REGISTERED,
  encodeBeaconMessage,
  formatEndpoint,
  type Ip,
  ipFromText,
  ipToText,
  parseEndpoint,
  REGISTER_STATUS_BAD_SIGNATURE,
  REGISTER_STATUS_CLOCK_SKEW,
  REGISTER_STATUS_OK,
  REGISTER_STATUS_RATE_LIMITED,
  REGISTER_STATUS_STALE_CHALLENGE,
  REGISTER_STATUS_UNKNOWN_NODE,
  RELAY_INNER_MAX_BYTES,
  WireFormatError,
} from "../wire/mod.ts";
import type { BeaconHooks } from "./context.ts";
import { KeyedBuckets, type RegistryLimits } from "./limits.ts";
import type { RegistryMetrics } from "./metrics.ts";
import { PUNCH_DELAY_MS } from "./protocol.ts";
import type { PunchJob, RegistryStore } from "./store.ts";
import { visibleEitherWay } from "./visibility.ts";

export const BEACON_REGISTRATION_TTL_MS = 60_000;
export const BEACON_EPOCH_MS = 60_000;
export const BEACON_MAX_SKEW_MS = 60_000;
/** The stored TTL is renewed when less than this is left, so DISCOVERs every 20 s cost a write every ~40 s. */
const STORE_RENEW_BELOW_MS = 30_000;
const PUNCH_PAIR_INTERVAL_MS = 5_000;
const PUNCH_JOBS_PER_DRAIN = 100;
/** Relay visibility answers are reused this long, keeping the store off the per-packet path. */
const VISIBILITY_CACHE_MS = 10_000;
const VISIBILITY_CACHE_MAX = 50_000;
/** REGISTER is signature work: a source IP gets a burst of 10 and one more per second. */
const REGISTER_BURST = 10;
const REGISTER_PER_S = 1;
const SECRET_BYTES = 32;
const INNER_MAGICS: readonly string[] = ["PILH", "PILR", "PILC", "PILS"];
const MAGIC_BYTES = 4;

/** Where a datagram came from or goes to. */
export interface UdpAddr {
  readonly hostname: string;
  readonly port: number;
}

/** The send half of the beacon's UDP socket; the receive half calls Beacon.handleDatagram. */
export interface DatagramSink {
  /** Sends one datagram; failures are the sink's to count, never thrown. */
  send(bytes: Uint8Array, to: UdpAddr): void;
}

interface Registration {
  readonly ip: Ip;
  readonly port: number;
  /** Canonical `ip:port`, compared against datagram sources. */
  readonly key: string;
  /** Where datagrams for the node go, as the socket reported the source. */
  readonly addr: UdpAddr;
  expiresAtMs: number;
  storedUntilMs: number;
}

export interface BeaconOptions {
  readonly store: RegistryStore;
  readonly clock: Clock;
  readonly log: Logger;
  readonly metrics: RegistryMetrics;
  readonly limits: RegistryLimits;
  /** HMAC key for DISCOVER challenges; random per process when omitted (restarts then surface as status 1). */
  readonly secret?: Uint8Array;
}

export class Beacon implements BeaconHooks {
  readonly #sink: DatagramSink;
  readonly #store: RegistryStore;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #metrics: RegistryMetrics;
  readonly #limitsOn: boolean;
  readonly #secret: Uint8Array;
  readonly #regs = new Map<number, Registration>();
  readonly #visibility = new Map<string, { ok: boolean; untilMs: number }>();
  readonly #lastPunch = new Map<string, number>();
  readonly #relayPackets: KeyedBuckets<number>;
  readonly #relayBytes: KeyedBuckets<number>;
  readonly #registers: KeyedBuckets<string>;
  #draining: Promise<void> | null = null;
  #drainAgain = false;
  #closed = false;

  constructor(sink: DatagramSink, opts: BeaconOptions) {
    this.#sink = sink;
    this.#store = opts.store;
    this.#clock = opts.clock;
    this.#log = opts.log;
    this.#metrics = opts.metrics;
    this.#limitsOn = opts.limits.enabled;
    this.#secret = opts.secret ?? randomBytes(SECRET_BYTES);
    const l = opts.limits;
    this.#relayPackets = new KeyedBuckets({ burst: l.relayPacketsPerS, count: l.relayPacketsPerS, windowMs: 1000 });
    this.#relayBytes = new KeyedBuckets({ burst: l.relayBytesPerS, count: l.relayBytesPerS, windowMs: 1000 });
    this.#registers = new KeyedBuckets({ burst: REGISTER_BURST, count: REGISTER_PER_S, windowMs: 1000 });
  }

  #drop(reason: string): void {
    this.#metrics.drop(reason);
    this.#log.limited("debug", reason, "beacon datagram dropped", { reason });
  }

  /** The challenge for (node, endpoint) in `epoch` (§5.2 step 2). */
  challenge(nodeId: number, ip: Ip, port: number, epoch: number): Uint8Array {
    return hmacSha256(this.#secret, beaconChallengeInput(nodeId, ip, port, epoch)).subarray(0, BEACON_CHALLENGE_BYTES);
  }

  #epoch(nowMs: number): number {
    return Math.floor(nowMs / BEACON_EPOCH_MS);
  }

  /** Live registration of a node, or undefined (expired ones are forgotten on sight). */
  registration(nodeId: number): { ip: string; port: number } | undefined {
    const reg = this.#live(nodeId, this.#clock.now());
    return reg === undefined ? undefined : { ip: ipToText(reg.ip), port: reg.port };
  }

  #live(nodeId: number, nowMs: number): Registration | undefined {
    const reg = this.#regs.get(nodeId);
    if (reg !== undefined && reg.expiresAtMs <= nowMs) {
      this.#regs.delete(nodeId);
      return undefined;
    }
    return reg;
  }

  get registrations(): number {
    return this.#regs.size;
  }

  /** Handles one datagram from `from`. Never throws. */
  async handleDatagram(data: Uint8Array, from: UdpAddr): Promise<void> {
    const ip = ipFromText(from.hostname);
    if (ip === null || from.port < 1 || from.port > 0xffff) return this.#drop("beacon_bad_source");
    let msg;
    try {
      msg = decodeBeaconMessage(data);
    } catch (err) {
      return this.#drop(err instanceof WireFormatError ? err.field : "beacon_bad_len");
    }
    this.#metrics.beaconMessage(msg.type);
    try {
      switch (msg.type) {
        case "discover":
          return await this.#discover(msg.nodeId, msg.txid, ip, from);
        case "register":
          return await this.#register(msg, ip, from);
        case "relay":
          return await this.#relay(msg.srcNode, msg.dstNode, msg.inner, data, ip, from.port);
        default:
          return this.#drop("beacon_bad_type");
      }
    } catch (err) {
      // A store failure must not take the receive loop down; the sender retries.
      this.#log.limited("warn", "beacon_error", "beacon message failed", {
        type: msg.type,
        error: err instanceof Error ? err.message : String(err),
      });
      this.#drop("beacon_internal");
    }
  }

  #send(bytes: Uint8Array, ip: Ip, port: number): void {
    this.#sink.send(bytes, { hostname: ipToText(ip), port });
  }

  /** Replies go to the datagram's source exactly as the socket reported it (it may be IPv4-mapped IPv6). */
  #reply(bytes: Uint8Array, to: UdpAddr): void {
    this.#sink.send(bytes, to);
  }

  async #discover(nodeId: number, txid: Uint8Array, ip: Ip, from: UdpAddr): Promise<void> {
    const port = from.port;
    const now = this.#clock.now();
    const key = formatEndpoint({ ip, port });
    let status = DISCOVER_STATUS_NOT_REGISTERED;
    const reg = nodeId === 0 ? undefined : this.#live(nodeId, now);
    if (reg !== undefined && reg.key === key) {
      status = DISCOVER_STATUS_REGISTERED;
      reg.expiresAtMs = now + BEACON_REGISTRATION_TTL_MS;
      if (reg.storedUntilMs - now < STORE_RENEW_BELOW_MS) {
        reg.storedUntilMs = reg.expiresAtMs;
        await this.#store.transaction((tx) =>
          tx.putBeaconEndpoint({ nodeId, ip: ipToText(ip), port, expiresAtMs: reg.expiresAtMs })
        );
      }
    } else if (reg !== undefined) {
      status = DISCOVER_STATUS_OTHER_ENDPOINT;
    }
    const challenge = this.challenge(nodeId, ip, port, this.#epoch(now));
    this.#reply(encodeBeaconMessage({ type: "discover_reply", txid, status, ip, port, challenge }), from);
  }

  async #register(
    m: { nodeId: number; txid: Uint8Array; tsMs: number; challenge: Uint8Array; sig: Uint8Array },
    ip: Ip,
    from: UdpAddr,
  ): Promise<void> {
    const port = from.port;
    const now = this.#clock.now();
    const ack = (status: number) => {
      if (status !== REGISTER_STATUS_OK) this.#metrics.beaconMessage(`register_rejected_${status}`);
      this.#reply(
        encodeBeaconMessage({ type: "register_ack", txid: m.txid, status, ttlS: BEACON_REGISTRATION_TTL_MS / 1000 }),
        from,
      );
    };
    const epoch = this.#epoch(now);
    const fresh = [epoch, epoch - 1].some((e) => constantTimeEqual(this.challenge(m.nodeId, ip, port, e), m.challenge));
    if (m.nodeId === 0 || !fresh) return ack(REGISTER_STATUS_STALE_CHALLENGE);
    if (Math.abs(m.tsMs - now) > BEACON_MAX_SKEW_MS) return ack(REGISTER_STATUS_CLOCK_SKEW);
    // Keyed by source, not node id: anyone can obtain a valid challenge for someone else's id at their own address.
    if (this.#limitsOn && this.#registers.take(ipToText(ip), now) > 0) return ack(REGISTER_STATUS_RATE_LIMITED);
    const node = await this.#store.read((tx) => tx.nodeById(m.nodeId));
    if (node === null) return ack(REGISTER_STATUS_UNKNOWN_NODE);
    if (!ed25519Verify(node.publicKey, beaconRegisterSignedBytes(m.nodeId, m.tsMs, m.challenge, ip, port), m.sig)) {
      return ack(REGISTER_STATUS_BAD_SIGNATURE);
    }
    const expiresAtMs = now + BEACON_REGISTRATION_TTL_MS;
    await this.#store.transaction((tx) =>
      tx.putBeaconEndpoint({ nodeId: m.nodeId, ip: ipToText(ip), port, expiresAtMs })
    );
    this.#regs.set(m.nodeId, {
      ip,
      port,
      key: formatEndpoint({ ip, port }),
      addr: { hostname: from.hostname, port },
      expiresAtMs,
      storedUntilMs: expiresAtMs,
    });
    ack(REGISTER_STATUS_OK);
  }

  async #relay(src: number, dst: number, inner: Uint8Array, datagram: Uint8Array, ip: Ip, port: number) {
    const now = this.#clock.now();
    const srcReg = this.#live(src, now);
    if (srcReg === undefined || srcReg.key !== formatEndpoint({ ip, port })) return this.#drop("relay_spoof");
    const dstReg = this.#live(dst, now);
    if (dstReg === undefined) return this.#drop("relay_unknown_dst");
    if (inner.length > RELAY_INNER_MAX_BYTES) return this.#drop("relay_too_large");
    const magic = inner.length < MAGIC_BYTES ? "" : String.fromCharCode(...inner.subarray(0, MAGIC_BYTES));
    if (!INNER_MAGICS.includes(magic)) return this.#drop("relay_bad_inner");
    if (this.#limitsOn) {
      if (this.#relayPackets.take(src, now) > 0) return this.#drop("relay_rate");
      if (this.#relayBytes.take(src, now, datagram.length) > 0) return this.#drop("relay_rate");
    }
    if (!(await this.#visible(src, dst, now))) return this.#drop("relay_not_visible");
    const out = datagram.slice();
    // RELAY_DELIVER repeats the RELAY bytes (same ids, same inner frame) under its own type.
    out[0] = BEACON_RELAY_DELIVER;
    this.#reply(out, dstReg.addr);
  }

  async #visible(a: number, b: number, nowMs: number): Promise<boolean> {
    const key = a < b ? `${a}/${b}` : `${b}/${a}`;
    const cached = this.#visibility.get(key);
    if (cached !== undefined && cached.untilMs > nowMs) return cached.ok;
    const ok = await this.#store.read(async (tx) => {
      const [x, y] = [await tx.nodeById(a), await tx.nodeById(b)];
      return x !== null && y !== null && await visibleEitherWay(tx, x, y);
    });
    if (this.#visibility.size >= VISIBILITY_CACHE_MAX) this.#visibility.clear();
    this.#visibility.set(key, { ok, untilMs: nowMs + VISIBILITY_CACHE_MS });
    return ok;
  }

  // ── BeaconHooks

  forget(nodeId: number): void {
    this.#regs.delete(nodeId);
    for (const key of this.#visibility.keys()) {
      const [a, b] = key.split("/");
      if (Number(a) === nodeId || Number(b) === nodeId) this.#visibility.delete(key);
    }
  }

  punchJobsQueued(): void {
    this.#startDrain();
  }

  /** Takes queued punch jobs from the store and sends them; at most one drain runs, re-run if kicked meanwhile. */
  #startDrain(): void {
    if (this.#closed) return;
    if (this.#draining !== null) {
      this.#drainAgain = true;
      return;
    }
    this.#draining = (async () => {
      do {
        this.#drainAgain = false;
        try {
          const jobs = await this.#store.transaction((tx) => tx.takePunchJobs(PUNCH_JOBS_PER_DRAIN));
          for (const job of jobs) this.#punch(job);
          if (jobs.length === PUNCH_JOBS_PER_DRAIN) this.#drainAgain = true;
        } catch (err) {
          this.#log.limited("warn", "punch_drain", "cannot read punch jobs", {
            error: err instanceof Error ? err.message : String(err),
          });
        }
      } while (this.#drainAgain && !this.#closed);
      this.#draining = null;
    })();
  }

  /** Polls the store for jobs queued by other registry instances. */
  pollPunchJobs(): Promise<void> {
    this.#startDrain();
    return this.#draining ?? Promise.resolve();
  }

  #punch(job: PunchJob): void {
    const now = this.#clock.now();
    const pair = job.nodeA < job.nodeB ? `${job.nodeA}/${job.nodeB}` : `${job.nodeB}/${job.nodeA}`;
    const last = this.#lastPunch.get(pair);
    if (last !== undefined && now - last < PUNCH_PAIR_INTERVAL_MS) return this.#drop("punch_too_often");
    const a = parseEndpoint(job.endpointA);
    const b = parseEndpoint(job.endpointB);
    if (a === null || b === null) return this.#drop("punch_bad_endpoint");
    this.#lastPunch.set(pair, now);
    if (this.#lastPunch.size > VISIBILITY_CACHE_MAX) this.#lastPunch.clear();
    const punchId = fromHex(job.punchId);
    const command = (peerNode: number, peer: typeof a) =>
      encodeBeaconMessage({
        type: "punch_command",
        peerNode,
        punchId,
        delayMs: PUNCH_DELAY_MS,
        ip: peer.ip,
        port: peer.port,
      });
    this.#send(command(job.nodeB, b), a.ip, a.port);
    this.#send(command(job.nodeA, a), b.ip, b.port);
  }

  /** Forgets expired registrations and old limiter state. */
  prune(nowMs: number): void {
    for (const [id, reg] of this.#regs) if (reg.expiresAtMs <= nowMs) this.#regs.delete(id);
    for (const [k, v] of this.#visibility) if (v.untilMs <= nowMs) this.#visibility.delete(k);
    for (const [k, at] of this.#lastPunch) if (nowMs - at >= PUNCH_PAIR_INTERVAL_MS) this.#lastPunch.delete(k);
    this.#relayPackets.prune(nowMs);
    this.#relayBytes.prune(nowMs);
    this.#registers.prune(nowMs);
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.#draining;
  }
}
