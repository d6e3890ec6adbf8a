// The timers of one connection (PROTOCOL-BRIEF §7.5, §7.7, §7.8, §7.2): retransmission, zero-window persist,
// keepalive, idle and user timeouts, TIME_WAIT, FIN_WAIT_2 abandonment and the dial deadline, plus the challenge-ACK
// rate limit. Deadlines are monotonic milliseconds; the connection asks for the earliest and, when it fires, which
// terminal timer (if any) expired.
import {
  CHALLENGE_ACKS_PER_SEC,
  FIN_WAIT_2_TIMEOUT_MS,
  IDLE_TIMEOUT_MS,
  KEEPALIVE_IDLE_MS,
  KEEPALIVE_INTERVAL_MS,
  PERSIST_MAX_MS,
  USER_TIMEOUT_MS,
  ZERO_WINDOW_NO_ANSWER_MS,
} from "./constants.ts";
import type { Receiver } from "./receiver.ts";
import type { SegmentPlan, Sender } from "./sender.ts";
import { type ConnState, SENDING_STATES, SYNCHRONIZED_STATES } from "./types.ts";

const ONE_SECOND_MS = 1000;

/** Timers whose expiry ends the connection. */
export type TerminalTimer = "dial" | "time_wait" | "fin_wait_2" | "idle" | "user";

export class ConnTimers {
  rtxAt: number | null = null;
  /** The retransmission timer is armed as a tail loss probe timeout rather than the RTO. */
  rtxIsProbe = false;
  persistAt: number | null = null;
  timeWaitAt: number | null = null;
  finWait2At: number | null = null;
  dialDeadline: number | null = null;
  lastRecvAt = 0;
  lastKeepaliveAt = -Infinity;
  lastAnswerAt = -Infinity;
  /** When SND.UNA last advanced or data started to be outstanding (user timeout, §7.5). */
  progressAt = 0;
  #persistIntervalMs: number | null = null;
  #persistSince: number | null = null;
  #challengeWindowStart = -Infinity;
  #challengeCount = 0;

  /**
   * The retransmission timer of an open (§7.5): `resend` the SYN or SYN|ACK with a backed-off RTO, counting it in
   * `counts`; false, with nothing sent, once `max` retransmissions were made (the caller ends the open).
   */
  retransmitOpen(
    resend: () => void,
    counts: { synRetransmits: number },
    max: number,
    snd: Sender,
    now: number,
  ): boolean {
    if (counts.synRetransmits >= max) return false;
    counts.synRetransmits++;
    snd.rtt.backoff();
    snd.cancelTiming();
    resend();
    this.rtxAt = now + snd.rtt.rtoMs;
    return true;
  }

  keepaliveDue(): number {
    return this.lastKeepaliveAt > this.lastRecvAt
      ? this.lastKeepaliveAt + KEEPALIVE_INTERVAL_MS
      : this.lastRecvAt + KEEPALIVE_IDLE_MS;
  }

  /** Re-arms the retransmission and persist timers after an event (RFC 6298 §5.1–5.3, §7.8). */
  update(now: number, state: ConnState, snd: Sender): void {
    if (!SENDING_STATES.has(state)) {
      if (state !== "SYN_SENT" && state !== "SYN_RCVD") this.rtxAt = null;
      this.#leavePersist();
      return;
    }
    if (snd.zeroWindowStalled) {
      this.rtxAt = null;
      if (this.persistAt === null) {
        this.#persistIntervalMs ??= snd.rtt.rtoMs;
        this.#persistSince ??= now;
        this.persistAt = now + this.#persistIntervalMs;
      }
      return;
    }
    this.#leavePersist();
    if (snd.flight === 0) {
      this.rtxAt = null;
    } else if (this.rtxAt === null) {
      const pto = snd.probeTimeoutMs();
      this.rtxIsProbe = pto !== null;
      this.rtxAt = now + (pto ?? snd.rtt.rtoMs);
    }
  }

  /** A segment went out: bookkeeping for the user timeout and the retransmission timer. */
  onSent(plan: SegmentPlan, snd: Sender, now: number): void {
    // The user timeout (§7.5) counts from when data started to be outstanding.
    if (!plan.retransmit && snd.flight === plan.payload.length + (plan.fin ? 1 : 0)) this.progressAt = now;
    // A resent first segment gets a whole RTO to be acknowledged before the timer declares it lost again.
    if (plan.retransmit && plan.seqOff === snd.una && this.rtxAt !== null) {
      this.rtxAt = now + snd.rtt.rtoMs;
      this.rtxIsProbe = false;
    }
  }

  #leavePersist(): void {
    this.persistAt = null;
    this.#persistIntervalMs = null;
    this.#persistSince = null;
  }

  /** After a probe: the next one waits twice as long, at most 10 s. */
  backoffPersist(now: number): void {
    const interval = Math.min(PERSIST_MAX_MS, 2 * (this.#persistIntervalMs ?? PERSIST_MAX_MS / 2));
    this.#persistIntervalMs = interval;
    this.persistAt = now + interval;
  }

  armFinWait2(now: number): void {
    this.finWait2At ??= now + FIN_WAIT_2_TIMEOUT_MS;
  }

  #userDue(snd: Sender): number | null {
    if (this.#persistSince !== null) {
      return Math.max(this.#persistSince, this.lastAnswerAt) + ZERO_WINDOW_NO_ANSWER_MS;
    }
    return snd.flight > 0 ? this.progressAt + USER_TIMEOUT_MS : null;
  }

  /** The terminal timer that has expired at `now`, if any (checked before the others run). */
  due(now: number, state: ConnState, snd: Sender, active: boolean): TerminalTimer | null {
    if ((state === "SYN_SENT" || state === "SYN_RCVD") && active && this.dialDeadline !== null) {
      if (now >= this.dialDeadline) return "dial";
    }
    if (state === "TIME_WAIT" && this.timeWaitAt !== null && now >= this.timeWaitAt) return "time_wait";
    if (state === "FIN_WAIT_2" && this.finWait2At !== null && now >= this.finWait2At) return "fin_wait_2";
    if (SYNCHRONIZED_STATES.has(state)) {
      if (now >= this.lastRecvAt + IDLE_TIMEOUT_MS) return "idle";
      const user = this.#userDue(snd);
      if (user !== null && now >= user) return "user";
    }
    return null;
  }

  next(state: ConnState, snd: Sender, rcv: Receiver): number | null {
    if (state === "CLOSED") return null;
    let at = Infinity;
    if (this.rtxAt !== null) at = Math.min(at, this.rtxAt);
    if (SENDING_STATES.has(state)) at = Math.min(at, snd.lossDeadline() ?? Infinity);
    if (this.persistAt !== null) at = Math.min(at, this.persistAt);
    const delack = rcv.delackAt;
    if (delack !== null) at = Math.min(at, delack);
    if (state === "TIME_WAIT" && this.timeWaitAt !== null) at = Math.min(at, this.timeWaitAt);
    if (state === "FIN_WAIT_2" && this.finWait2At !== null) at = Math.min(at, this.finWait2At);
    if ((state === "SYN_SENT" || state === "SYN_RCVD") && this.dialDeadline !== null) {
      at = Math.min(at, this.dialDeadline);
    }
    if (SYNCHRONIZED_STATES.has(state)) {
      at = Math.min(at, this.keepaliveDue(), this.lastRecvAt + IDLE_TIMEOUT_MS);
      const user = this.#userDue(snd);
      if (user !== null) at = Math.min(at, user);
    }
    return at === Infinity ? null : at;
  }

  /** Challenge ACKs are limited to 10 per second (§7.9). */
  takeChallengeAck(now: number): boolean {
    if (now - this.#challengeWindowStart >= ONE_SECOND_MS) {
      this.#challengeWindowStart = now;
      this.#challengeCount = 0;
    }
    if (this.#challengeCount >= CHALLENGE_ACKS_PER_SEC) return false;
    this.#challengeCount++;
    return true;
  }

  clear(): void {
    this.rtxAt = null;
    this.persistAt = null;
    this.timeWaitAt = null;
    this.finWait2At = null;
    this.dialDeadline = null;
    this.#leavePersist();
  }
}
