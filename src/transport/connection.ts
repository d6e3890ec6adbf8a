// The stream connection state machine (PROTOCOL-BRIEF §7.2–7.9): pure, fed events (segment, timer, application
// write / close / abort / read credit, path-limit change) and answering with actions (packets, data, EOF, state
// changes, the next timer deadline). It owns no I/O and no real timers; time comes from the injected Clock.
// The send and receive halves live in Sender and Receiver; this file holds states, transitions and timers.
import type { Clock } from "../util/clock.ts";
import { FLAG_ACK, FLAG_FIN, FLAG_RST, FLAG_SYN, type Packet, PROTO_STREAM, PROTO_STREAM_ACK } from "../wire/mod.ts";
import {
  DEFAULT_PATH_LIMIT_BYTES,
  MAX_PATH_LIMIT_BYTES,
  MAX_RTO_EXPIRIES,
  MAX_SEGMENTS_PER_EVENT,
  SYN_RETRANSMITS_MAX,
  SYNACK_RETRANSMITS_MAX,
  TIME_WAIT_MS,
} from "./constants.ts";
import { type ConnectionOptions, resolveOptions } from "./conn_options.ts";
import { ConnOutput } from "./conn_output.ts";
import { connStats } from "./conn_stats.ts";
import { ConnTimers } from "./conn_timers.ts";
import { PacketBuilder, type SocketEnd } from "./packets.ts";
import { Receiver } from "./receiver.ts";
import { type CloseReason, resetFor, RST_ABORTED, RST_NO_CONNECTION, RST_TIMEOUT, rstReasonOf } from "./rst.ts";
import { type SegmentPlan, Sender } from "./sender.ts";
import type { SeqRange } from "./scoreboard.ts";
import { seqGt } from "./seq.ts";
import { decodeSackOffsets, parseSynOptions } from "./segment_parse.ts";
import {
  type Action,
  type ConnState,
  type ConnStats,
  RECEIVING_STATES,
  SENDING_STATES,
  SYNCHRONIZED_STATES,
  WRITABLE_STATES,
} from "./types.ts";

export class Connection {
  readonly local: SocketEnd;
  readonly remote: SocketEnd;
  readonly iss: number;
  readonly #clock: Clock;
  readonly #o: ConnOutput;
  readonly #snd: Sender;
  readonly #rcv: Receiver;
  readonly #t: ConnTimers;
  readonly #dialTimeoutMs: number;
  #state: ConnState = "CLOSED";
  #active = false;
  #readShut = false;
  #lastDeadline: number | null = null;
  #rtoExpiries = 0;
  readonly #counts = { segsRecv: 0, sackRecv: 0, synRetransmits: 0 };
  #closeReason: CloseReason | null = null;

  constructor(opts: ConnectionOptions) {
    this.local = opts.local;
    this.remote = opts.remote;
    this.#clock = opts.clock;
    const o = resolveOptions(opts);
    this.iss = o.iss;
    this.#dialTimeoutMs = o.dialTimeoutMs;
    this.#snd = new Sender(o.sendBufferBytes, o.pathLimit, DEFAULT_PATH_LIMIT_BYTES, o.nodelay);
    this.#rcv = new Receiver(o.recvBufferBytes);
    this.#o = new ConnOutput(new PacketBuilder(opts.local, opts.remote), this.#snd, this.#rcv, this.iss, o.localMaxSeg);
    this.#t = new ConnTimers();
  }

  get state(): ConnState {
    return this.#state;
  }

  /** How the connection ended, once CLOSED. */
  get closeReason(): CloseReason | null {
    return this.#closeReason;
  }

  /** True for a connection opened by connect() (dial errors apply until it is established). */
  get active(): boolean {
    return this.#active;
  }

  /** Bytes the application may write now. */
  get sendSpace(): number {
    return this.canWrite ? this.#snd.buffer.space : 0;
  }

  get canWrite(): boolean {
    return this.#snd.finOff === null && WRITABLE_STATES.has(this.#state);
  }

  get mss(): number {
    return this.#snd.mss;
  }

  /** The next monotonic time timer() must run, or null. */
  nextDeadline(): number | null {
    return this.#t.next(this.#state, this.#snd, this.#rcv);
  }

  /** In TIME_WAIT, a SYN whose ISN is after the old RCV.NXT may start a new connection on this tuple (§7.2). */
  acceptsNewSyn(syn: Packet): boolean {
    return this.#state === "TIME_WAIT" && seqGt(syn.seq, this.#o.rcvWire(this.#rcv.rcvNxt));
  }

  // ---- application events ----

  /** Active open: CLOSED → SYN_SENT. */
  connect(): Action[] {
    const now = this.#beginOpen("connect");
    this.#active = true;
    this.#t.dialDeadline = now + this.#dialTimeoutMs;
    this.#setState("SYN_SENT");
    this.#o.syn();
    return this.#finish();
  }

  /** Passive open from a listener: the SYN `syn` (already validated by the caller) → SYN_RCVD. */
  acceptSyn(syn: Packet): Action[] {
    const now = this.#beginOpen("acceptSyn");
    const opts = parseSynOptions(syn);
    if (opts === null) return this.#terminate({ kind: "reset", rst: null }, true);
    this.#o.irs = syn.seq;
    this.#snd.setPeerMaxSeg(opts.maxSeg);
    this.#snd.initWindow(0, 0, syn.window);
    this.#t.lastRecvAt = now;
    this.#setState("SYN_RCVD");
    this.#o.synAck();
    return this.#finish();
  }

  /** Starts an open: our SYN takes offset 0, is timed, and the retransmission timer runs (1 s, §7.5). */
  #beginOpen(what: string): number {
    if (this.#state !== "CLOSED" || this.#closeReason !== null) throw new Error(`${what}() on a used connection`);
    this.#begin();
    const now = this.#now();
    this.#snd.nxt = 1;
    this.#snd.startSynTiming(now);
    this.#t.rtxAt = now + this.#snd.rtt.rtoMs;
    return now;
  }

  /** Queues `data` (at most sendSpace bytes) for sending. */
  write(data: Uint8Array): Action[] {
    if (!this.canWrite) throw new Error(`cannot write in state ${this.#state}`);
    if (data.length > this.#snd.buffer.space) throw new RangeError(`write of ${data.length} bytes exceeds send space`);
    this.#begin();
    this.#snd.buffer.append(data);
    return this.#finish(true);
  }

  /** Half-close: FIN after all queued data; reading continues until the peer's FIN. */
  closeWrite(): Action[] {
    this.#begin();
    if (this.canWrite) {
      this.#snd.finOff = this.#snd.dataEnd;
      if (this.#state === "ESTABLISHED") this.#setState("FIN_WAIT_1");
      else if (this.#state === "CLOSE_WAIT") this.#setState("LAST_ACK");
    }
    return this.#finish(true);
  }

  /** Full close: half-close, and the application reads no more (later data is answered with RST 5). */
  close(): Action[] {
    this.#readShut = true;
    if (this.#state === "FIN_WAIT_2") this.#t.armFinWait2(this.#now());
    return this.closeWrite();
  }

  /**
   * Abort: RST with `rst` as reason (5 by default; 2 when trust is revoked). No RST goes out before the peer knows
   * us (SYN_SENT) or in TIME_WAIT.
   */
  abort(rst: number = RST_ABORTED): Action[] {
    this.#begin();
    const s = this.#state;
    if (s === "TIME_WAIT") this.#terminate({ kind: "normal" }); // both FINs were already exchanged
    else if (s === "SYN_SENT") this.#terminate({ kind: "aborted", rst });
    else if (s !== "CLOSED") this.#abortWith(rst, { kind: "aborted", rst });
    return this.#finish();
  }

  /** The application consumed `n` delivered bytes; may send a window update. */
  readCredit(n: number): Action[] {
    this.#begin();
    if (this.#state !== "CLOSED" && this.#rcv.credit(n)) this.#output();
    return this.#finish();
  }

  setNoDelay(on: boolean): Action[] {
    this.#begin();
    this.#snd.nodelay = on;
    return this.#finish(true);
  }

  /** The tunnel's path limit changed (relay → 1152, probed → larger): the send MSS follows (§3.5). */
  setPathLimit(bytes: number): Action[] {
    this.#begin();
    this.#snd.pathLimit = Math.min(MAX_PATH_LIMIT_BYTES, Math.max(DEFAULT_PATH_LIMIT_BYTES, Math.floor(bytes)));
    return this.#finish(true);
  }

  /** A new tunnel session to the peer (it may have moved): an unanswered SYN is retransmitted now, and counted. */
  pathRenewed(): Action[] {
    this.#begin();
    if (this.#state === "SYN_SENT" && this.#t.rtxAt !== null) this.#onRetransmitTimer(this.#now());
    return this.#finish(false);
  }

  // ---- network and timer events ----

  segment(p: Packet): Action[] {
    this.#begin();
    this.#counts.segsRecv++;
    if (p.proto === PROTO_STREAM_ACK) this.#counts.sackRecv++;
    if (this.#state === "SYN_SENT") this.#inSynSent(p);
    else if (this.#state !== "CLOSED" && this.#state !== "LISTEN") this.#inSynchronized(p);
    return this.#finish(true);
  }

  timer(): Action[] {
    this.#begin();
    const now = this.#now();
    const due = this.#t.due(now, this.#state, this.#snd, this.#active);
    if (due === null) this.#runTimers(now);
    else if (due === "dial") this.#terminate({ kind: "timeout", detail: "dial" });
    else if (due === "time_wait" || due === "fin_wait_2") this.#terminate({ kind: "normal" });
    else this.#abortWith(RST_TIMEOUT, { kind: "timeout", detail: due === "idle" ? "idle" : "retransmit" });
    return this.#finish(true);
  }

  stats(): ConnStats {
    return connStats(this.#state, this.#snd, this.#rcv, this.#o, this.#counts);
  }

  // ---- segment arrival ----

  #inSynSent(p: Packet): void {
    if (p.proto !== PROTO_STREAM) return;
    const hasAck = (p.flags & FLAG_ACK) !== 0;
    if (hasAck && p.ack !== this.#o.sndWire(1)) {
      this.#o.emitIf(resetFor(p, RST_NO_CONNECTION));
      return;
    }
    if (p.flags & FLAG_RST) {
      if (hasAck) this.#terminate({ kind: "reset", rst: rstReasonOf(p) });
      return;
    }
    if (!(p.flags & FLAG_SYN)) return;
    const opts = parseSynOptions(p);
    if (opts === null) return;
    const now = this.#now();
    this.#o.irs = p.seq;
    this.#snd.setPeerMaxSeg(opts.maxSeg);
    this.#t.lastRecvAt = now;
    if (hasAck) {
      this.#snd.initWindow(0, 1, p.window);
      this.#establish(now);
      this.#rcv.requestAck();
    } else {
      // Simultaneous open (RFC 793 fig. 8): answer with SYN|ACK carrying our same ISN.
      this.#snd.initWindow(0, 0, p.window);
      this.#setState("SYN_RCVD");
      this.#o.synAck();
    }
  }

  #inSynchronized(p: Packet): void {
    const now = this.#now();
    const isSack = p.proto === PROTO_STREAM_ACK;
    let sackBlocks: SeqRange[] = [];
    if (isSack) {
      const decoded = decodeSackOffsets(p.payload, (w) => this.#o.sndOff(w));
      if (decoded === null) return; // bad_sack: dropped before it changes anything
      sackBlocks = decoded;
    }
    const syn = (p.flags & FLAG_SYN) !== 0;
    const fin = (p.flags & FLAG_FIN) !== 0;
    const rst = (p.flags & FLAG_RST) !== 0;
    // Only a data segment's payload is data: a RST carries its reason byte, a stream-ack its SACK blocks.
    const payloadLen = isSack || rst ? 0 : p.payload.length;
    const hasAck = (p.flags & FLAG_ACK) !== 0;
    this.#t.lastRecvAt = now;
    if (hasAck) this.#t.lastAnswerAt = now;
    const seqOff = this.#o.rcvOff(p.seq);

    if (syn) {
      if (this.#state === "SYN_RCVD" && p.seq === this.#o.irs) {
        if (!hasAck) this.#o.synAck(); // a duplicate SYN: the same SYN|ACK again
        else if (this.#o.sndOff(p.ack) === 1) this.#establish(now); // simultaneous open completes
        else this.#o.emitIf(resetFor(p, RST_NO_CONNECTION));
        if (hasAck && this.#state !== "SYN_RCVD") this.#rcv.requestAck();
        return;
      }
      this.#challengeAck(now);
      return;
    }
    if (!this.#rcv.isAcceptable(seqOff, payloadLen)) {
      if (!rst) {
        this.#rcv.noteDuplicate(seqOff, payloadLen);
        if (this.#state === "TIME_WAIT" && fin) this.#t.timeWaitAt = now + TIME_WAIT_MS;
      }
      return;
    }
    if (rst) {
      if (seqOff === this.#rcv.rcvNxt) this.#terminate({ kind: "reset", rst: rstReasonOf(p) });
      else this.#challengeAck(now);
      return;
    }
    if (!hasAck) return;
    const ackOff = this.#o.sndOff(p.ack);
    if (this.#state === "SYN_RCVD") {
      if (ackOff !== 1) {
        this.#o.emitIf(resetFor(p, RST_NO_CONNECTION));
        return;
      }
      this.#snd.initWindow(seqOff, 1, p.window);
      this.#establish(now);
    }
    if (ackOff > this.#snd.nxt) {
      this.#rcv.requestAck();
      return;
    }
    this.#processAck(p, seqOff, ackOff, sackBlocks, payloadLen === 0 && !fin, now);
    if (this.#state === "CLOSED") return;
    if (payloadLen > 0 || fin) this.#processData(seqOff, isSack ? new Uint8Array(0) : p.payload, fin, now);
  }

  #processAck(p: Packet, seqOff: number, ackOff: number, sack: readonly SeqRange[], pure: boolean, now: number) {
    const snd = this.#snd;
    const spaceBefore = snd.buffer.space;
    const acked = snd.takeAck(p.proto === PROTO_STREAM_ACK, seqOff, ackOff, p.window, sack, pure, now);
    if (acked > 0) {
      this.#t.rtxAt = null; // RFC 6298 §5.3: restart on new data acknowledged
      this.#t.progressAt = now;
      this.#rtoExpiries = 0;
      if (snd.buffer.space > spaceBefore && this.canWrite) this.#o.push({ type: "writable", space: snd.buffer.space });
    }
    if (!snd.finAcked) return;
    if (this.#state === "FIN_WAIT_1") {
      this.#setState("FIN_WAIT_2");
      if (this.#readShut) this.#t.armFinWait2(now);
    } else if (this.#state === "CLOSING") {
      this.#enterTimeWait(now);
    } else if (this.#state === "LAST_ACK") {
      this.#terminate({ kind: "normal" });
    }
  }

  #processData(seqOff: number, payload: Uint8Array, fin: boolean, now: number): void {
    if (!RECEIVING_STATES.has(this.#state)) return;
    if (this.#readShut && payload.length > 0 && seqOff + payload.length > this.#rcv.rcvNxt) {
      this.#abortWith(RST_ABORTED, { kind: "aborted", rst: RST_ABORTED });
      return;
    }
    for (const data of this.#rcv.accept(seqOff, payload, fin, now)) this.#o.push({ type: "deliver", data });
    if (!this.#rcv.takeFin()) return;
    this.#o.push({ type: "eof" });
    if (this.#state === "ESTABLISHED") this.#setState("CLOSE_WAIT");
    else if (this.#state === "FIN_WAIT_1") this.#setState("CLOSING");
    else if (this.#state === "FIN_WAIT_2") this.#enterTimeWait(now);
  }

  // ---- timers ----

  #runTimers(now: number): void {
    const t = this.#t;
    if (t.rtxAt !== null && now >= t.rtxAt) this.#onRetransmitTimer(now);
    if (this.#state === "CLOSED") return;
    if (t.persistAt !== null && now >= t.persistAt) {
      const plan = this.#snd.probe(now);
      if (plan !== null) this.#sendSegment(plan, now);
      t.backoffPersist(now);
    }
    if (SYNCHRONIZED_STATES.has(this.#state) && now >= t.keepaliveDue()) {
      t.lastKeepaliveAt = now;
      this.#o.ack(this.#snd.nxt - 1);
    }
    const delack = this.#rcv.delackAt;
    if (delack !== null && now >= delack) this.#rcv.requestAck();
    if (SENDING_STATES.has(this.#state)) this.#snd.maybeEnterRecovery(); // a hole may have aged into a loss
  }

  #onRetransmitTimer(now: number): void {
    const t = this.#t;
    const snd = this.#snd;
    t.rtxAt = null;
    if (this.#state === "SYN_SENT" || this.#state === "SYN_RCVD") {
      const synSent = this.#state === "SYN_SENT";
      const resend = synSent ? () => this.#o.syn() : () => this.#o.synAck();
      const max = synSent ? SYN_RETRANSMITS_MAX : SYNACK_RETRANSMITS_MAX;
      // Exhausted: the dial deadline ends an active open; a passive half-open gives up now.
      const sent = t.retransmitOpen(resend, this.#counts, max, snd, now);
      if (!sent && !this.#active) this.#abortWith(RST_TIMEOUT, { kind: "timeout", detail: "retransmit" });
      return;
    }
    if (snd.flight === 0 || snd.zeroWindowStalled) return;
    const probe = t.rtxIsProbe ? snd.probeTail(now) : null;
    t.rtxIsProbe = false;
    if (probe !== null) {
      this.#sendSegment(probe, now);
      t.rtxAt = now + snd.rtt.rtoMs; // RFC 8985 §7.3: after the probe, the RTO
      return;
    }
    this.#rtoExpiries++;
    if (this.#rtoExpiries >= MAX_RTO_EXPIRIES) {
      this.#abortWith(RST_TIMEOUT, { kind: "timeout", detail: "retransmit" });
      return;
    }
    snd.onRto(this.#rtoExpiries === 1);
  }

  // ---- output ----

  #output(): void {
    const now = this.#now();
    // SACK information never rides on data (§7.4): an ACK owed with it goes out as stream-ack even after data.
    const needSack = this.#rcv.ackNow && this.#rcv.hasSackInfo;
    if (SENDING_STATES.has(this.#state)) {
      for (let i = 0; i < MAX_SEGMENTS_PER_EVENT; i++) {
        const plan = this.#snd.next(now, true);
        if (plan === null) break;
        this.#sendSegment(plan, now);
      }
    }
    const synced = SYNCHRONIZED_STATES.has(this.#state) || this.#state === "TIME_WAIT";
    if (synced && (this.#rcv.ackNow || needSack)) this.#o.ack(this.#snd.nxt);
  }

  #sendSegment(plan: SegmentPlan, now: number): void {
    this.#t.onSent(plan, this.#snd, now);
    this.#o.segment(plan);
  }

  #challengeAck(now: number): void {
    if (this.#t.takeChallengeAck(now)) this.#o.ack(this.#snd.nxt);
  }

  // ---- transitions ----

  #establish(now: number): void {
    this.#snd.ackSyn(now);
    this.#t.rtxAt = null;
    this.#t.dialDeadline = null;
    this.#t.lastRecvAt = now;
    this.#setState("ESTABLISHED");
    this.#o.push({ type: "established" });
    if (this.#snd.finOff !== null) this.#setState("FIN_WAIT_1");
  }

  #enterTimeWait(now: number): void {
    this.#setState("TIME_WAIT");
    this.#t.timeWaitAt = now + TIME_WAIT_MS;
    this.#t.rtxAt = null;
  }

  #abortWith(rstReason: number, reason: CloseReason): void {
    this.#o.reset(rstReason);
    this.#terminate(reason);
  }

  #terminate(reason: CloseReason, returnNow = false): Action[] {
    if (this.#state !== "CLOSED" || this.#closeReason === null) {
      this.#closeReason = reason;
      this.#setState("CLOSED");
      this.#t.clear();
      this.#o.push({ type: "closed", reason });
    }
    return returnNow ? this.#finish() : [];
  }

  #setState(s: ConnState): void {
    if (this.#state === s) return;
    this.#state = s;
    this.#o.push({ type: "state", state: s });
  }

  // ---- plumbing ----

  #now(): number {
    return this.#clock.monotonic();
  }

  #begin(): void {
    this.#o.take();
    this.#snd.setNow(this.#now());
  }

  /** Ends an event: optionally lets the sender run, re-arms timers and reports a changed deadline. */
  #finish(output = false): Action[] {
    if (output && this.#state !== "CLOSED") this.#output();
    if (this.#state !== "CLOSED") this.#t.update(this.#now(), this.#state, this.#snd);
    const at = this.nextDeadline();
    if (at !== this.#lastDeadline) {
      this.#lastDeadline = at;
      this.#o.push({ type: "timer", at });
    }
    return this.#o.take();
  }
}
