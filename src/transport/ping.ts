// The control ping, protocol 0x03 (PROTOCOL-BRIEF §7.10), used by the SDK ping() and traceroute: a request has
// flags 0, Dst port 0, a non-zero Src port, Seq = ping id and ≤ 64 payload bytes; the reply has flags ACK, ports
// swapped, Seq = id, Ack = id + 1 and the same payload. No reply to a reply or to Src port 0; at most 20 replies per
// second per peer; untrusted peers' pings are dropped.
import type { Clock } from "../util/clock.ts";
import { InvalidArgumentError, NotTrustedError, TimeoutError } from "../util/errors.ts";
import { type Addr, addrKey, FLAG_ACK, formatAddr, type Packet, PROTO_CONTROL, WIRE_VERSION } from "../wire/mod.ts";
import { PING_PAYLOAD_MAX_BYTES, PING_REPLIES_PER_PEER_PER_SEC, PORT_PING } from "./constants.ts";
import type { TimerSource } from "./driver.ts";
import { cryptoRandom, drawEphemeralPort } from "./ports.ts";
import { KeyedRateLimit } from "./rate_limit.ts";

export const PING_TIMEOUT_MS = 5000;

export interface PingDeps {
  readonly clock: Clock;
  readonly timers: TimerSource;
  readonly localNode: number;
  readonly output: (packet: Packet) => void;
  readonly isTrusted: (peer: Addr) => boolean;
  readonly random?: () => number;
  readonly onDrop?: (reason: string) => void;
}

export interface PingResult {
  readonly rttMs: number;
  readonly bytes: number;
}

interface Outstanding {
  readonly peer: number;
  readonly srcPort: number;
  readonly sentAt: number;
  readonly timer: unknown;
  readonly resolve: (r: PingResult) => void;
  readonly reject: (e: Error) => void;
}

export class PingService {
  readonly #d: PingDeps;
  readonly #pending = new Map<number, Outstanding>();
  readonly #replies = new KeyedRateLimit(PING_REPLIES_PER_PEER_PER_SEC);

  constructor(deps: PingDeps) {
    this.#d = deps;
  }

  /** Pings `dst`; resolves with the round-trip time, rejects with `timeout` if no reply comes in time. */
  ping(dst: Addr, payload: Uint8Array = new Uint8Array(0), timeoutMs = PING_TIMEOUT_MS): Promise<PingResult> {
    if (payload.length > PING_PAYLOAD_MAX_BYTES) {
      return Promise.reject(
        new InvalidArgumentError(`ping payload of ${payload.length} bytes exceeds ${PING_PAYLOAD_MAX_BYTES}`, {
          detail: "too_large",
        }),
      );
    }
    if (!this.#d.isTrusted(dst)) return Promise.reject(new NotTrustedError(formatAddr(dst)));
    const random = this.#d.random ?? cryptoRandom;
    let id = Math.floor(random() * 0x1_0000_0000) >>> 0;
    for (let i = 0; this.#pending.has(id) && i < 64; i++) id = Math.floor(random() * 0x1_0000_0000) >>> 0;
    const srcPort = drawEphemeralPort(() => false, random);
    const sentAt = this.#d.clock.monotonic();
    return new Promise<PingResult>((resolve, reject) => {
      const timer = this.#d.timers.schedule(sentAt + timeoutMs, () => {
        if (this.#pending.get(id)?.timer !== timer) return;
        this.#pending.delete(id);
        reject(new TimeoutError(`no ping reply from ${formatAddr(dst)} within ${timeoutMs} ms`));
      });
      this.#pending.set(id, { peer: addrKey(dst), srcPort, sentAt, timer, resolve, reject });
      this.#d.output({
        version: WIRE_VERSION,
        flags: 0,
        proto: PROTO_CONTROL,
        src: { network: dst.network, node: this.#d.localNode },
        dst,
        srcPort,
        dstPort: PORT_PING,
        seq: id,
        ack: 0,
        window: 0,
        payload,
      });
    });
  }

  /** Takes one incoming control packet. Never throws. */
  handle(p: Packet): void {
    const d = this.#d;
    if (!d.isTrusted(p.src)) {
      d.onDrop?.("untrusted");
      return;
    }
    if (p.flags === FLAG_ACK) {
      this.#reply(p);
      return;
    }
    if (p.flags !== 0 || p.srcPort === PORT_PING || p.dstPort !== PORT_PING) {
      d.onDrop?.("bad_ping");
      return;
    }
    if (p.payload.length > PING_PAYLOAD_MAX_BYTES) {
      d.onDrop?.("ping_too_large");
      return;
    }
    if (!this.#replies.take(addrKey(p.src), d.clock.monotonic())) {
      d.onDrop?.("ping_rate");
      return;
    }
    d.output({
      version: WIRE_VERSION,
      flags: FLAG_ACK,
      proto: PROTO_CONTROL,
      src: p.dst,
      dst: p.src,
      srcPort: p.dstPort,
      dstPort: p.srcPort,
      seq: p.seq,
      ack: (p.seq + 1) >>> 0,
      window: 0,
      payload: p.payload,
    });
  }

  #reply(p: Packet): void {
    const o = this.#pending.get(p.seq);
    const valid = o !== undefined && o.peer === addrKey(p.src) && o.srcPort === p.dstPort &&
      p.srcPort === PORT_PING && p.ack === ((p.seq + 1) >>> 0);
    if (!valid || o === undefined) {
      this.#d.onDrop?.("ping_unmatched");
      return;
    }
    this.#pending.delete(p.seq);
    this.#d.timers.cancel(o.timer);
    o.resolve({ rttMs: this.#d.clock.monotonic() - o.sentAt, bytes: p.payload.length });
  }

  /** Fails every outstanding ping (shutdown). */
  close(): void {
    for (const [id, o] of this.#pending) {
      this.#d.timers.cancel(o.timer);
      o.reject(new TimeoutError("ping cancelled: shutting down"));
      this.#pending.delete(id);
    }
  }
}
