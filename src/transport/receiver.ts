// The receive half of a connection (PROTOCOL-BRIEF §7.3, §7.4, §7.7): acceptability of incoming sequence numbers,
// byte-accurate reassembly, the advertised window (in 1152-byte units, never moving its right edge backwards), the
// delayed-ACK policy (every second full segment, else within 5 ms; at once for out-of-order, hole-filling and
// duplicate data, FIN and window updates) and the SACK / D-SACK report of the next stream-ack packet.
// Offsets are unwrapped from the peer's ISN: 0 is its SYN, 1 its first data byte.
import {
  DELAYED_ACK_FULL_SEGMENTS,
  DELAYED_ACK_MS,
  WINDOW_FIELD_MAX_UNITS,
  WINDOW_UNIT_BYTES,
  WINDOW_UPDATE_BUFFER_FRACTION,
  WINDOW_UPDATE_MIN_UNITS,
} from "./constants.ts";
import { SACK_MAX_BLOCKS } from "../wire/mod.ts";
import { Reassembly } from "./reassembly.ts";
import type { SeqRange } from "./scoreboard.ts";

export interface SackReport {
  readonly dsack: boolean;
  readonly blocks: readonly SeqRange[];
}

export class Receiver {
  readonly capacity: number;
  #reasm = new Reassembly(1);
  /** Bytes handed to the application and not yet given back as read credit. */
  #unread = 0;
  #finOffset: number | null = null;
  #finConsumed = false;
  /** Highest right edge ever advertised: data up to it stays acceptable even if rounding shrank the window. */
  #advRight = 1;
  #lastAdvUnits = -1;
  #lastAdvRight = 1;
  #ackNow = false;
  #delackAt: number | null = null;
  #unackedFullSegs = 0;
  #rcvMss = 0;
  #dsack: SeqRange | null = null;
  bytesReceived = 0;

  constructor(capacityBytes: number) {
    this.capacity = capacityBytes;
  }

  get rcvNxt(): number {
    return this.#reasm.rcvNxt;
  }

  get oooBytes(): number {
    return this.#reasm.oooBytes;
  }

  get unread(): number {
    return this.#unread;
  }

  get finReceived(): boolean {
    return this.#finConsumed;
  }

  get ackNow(): boolean {
    return this.#ackNow;
  }

  get delackAt(): number | null {
    return this.#delackAt;
  }

  /** Whether the next ACK must be a stream-ack (0x04) packet (§7.4). */
  get hasSackInfo(): boolean {
    return this.#reasm.hasOutOfOrder || this.#dsack !== null;
  }

  windowUnits(): number {
    const free = Math.max(0, this.capacity - this.#unread);
    return Math.min(WINDOW_FIELD_MAX_UNITS, Math.floor(free / WINDOW_UNIT_BYTES));
  }

  windowBytes(): number {
    return this.windowUnits() * WINDOW_UNIT_BYTES;
  }

  rightEdge(): number {
    return Math.max(this.#advRight, this.rcvNxt + this.windowBytes());
  }

  /**
   * RFC 793 acceptability with the §7.3 rule: a segment with data must overlap [RCV.NXT, right edge); a zero window
   * takes no data. Empty segments (ACKs) are accepted from RCV.NXT up to one past the right edge: a peer that filled
   * our window sends its ACKs with Seq = that edge, and one whose zero-window probe byte we dropped (§7.8) with
   * Seq one beyond it. Refusing those would discard the ACKs of our own data (RFC 793's "special allowance").
   */
  isAcceptable(seqOff: number, payloadLen: number): boolean {
    const nxt = this.rcvNxt;
    const right = this.rightEdge();
    if (payloadLen === 0) return seqOff >= nxt && seqOff <= right + 1;
    if (right === nxt) return false;
    return seqOff < right && seqOff + payloadLen > nxt;
  }

  /** Records an entirely old segment for the D-SACK of the next ACK, and asks for that ACK now. */
  noteDuplicate(seqOff: number, payloadLen: number): void {
    if (payloadLen > 0 && seqOff + payloadLen <= this.rcvNxt) this.#dsack = { start: seqOff, end: seqOff + payloadLen };
    this.#ackNow = true;
  }

  /**
   * Takes an acceptable segment's payload (and FIN) at `seqOff`. Returns the in-order bytes now deliverable; the
   * caller hands them to the application and later returns read credit.
   */
  accept(seqOff: number, payload: Uint8Array, fin: boolean, now: number): Uint8Array[] {
    let data = payload;
    const right = this.rightEdge();
    let finFits = fin;
    if (seqOff + data.length > right) {
      data = data.subarray(0, Math.max(0, right - seqOff));
      finFits = false;
    }
    if (this.#finOffset !== null && seqOff + data.length > this.#finOffset) {
      // Nothing follows a FIN: bytes beyond it are a protocol violation and are not delivered.
      data = data.subarray(0, Math.max(0, this.#finOffset - seqOff));
    }
    if (finFits && this.#finOffset === null) {
      this.#finOffset = seqOff + data.length;
      this.#reasm.truncateAt(this.#finOffset);
    }
    let delivered: Uint8Array[] = [];
    if (data.length > 0) {
      const r = this.#reasm.insert(seqOff, data);
      delivered = r.delivered;
      if (r.duplicate !== null) this.#dsack = r.duplicate;
      if (r.outOfOrder || r.filledHole || r.duplicate !== null) {
        this.#ackNow = true;
      } else {
        if (data.length > this.#rcvMss) this.#rcvMss = data.length;
        if (data.length >= Math.min(this.#rcvMss, WINDOW_UNIT_BYTES)) this.#unackedFullSegs++;
        if (this.#unackedFullSegs >= DELAYED_ACK_FULL_SEGMENTS) this.#ackNow = true;
        else if (this.#delackAt === null) this.#delackAt = now + DELAYED_ACK_MS;
      }
      for (const chunk of delivered) {
        this.#unread += chunk.length;
        this.bytesReceived += chunk.length;
      }
    }
    if (fin) this.#ackNow = true;
    return delivered;
  }

  /** Consumes the FIN once every byte before it has arrived; true exactly once, when that happens. */
  takeFin(): boolean {
    if (this.#finConsumed || this.#finOffset === null || this.rcvNxt !== this.#finOffset) return false;
    this.#reasm.consumeControl();
    this.#finConsumed = true;
    this.#ackNow = true;
    return true;
  }

  /** The application consumed `n` bytes. Returns true when a window update is due (§7.3). */
  credit(n: number): boolean {
    this.#unread = Math.max(0, this.#unread - n);
    if (this.#finConsumed) return false;
    const units = this.windowUnits();
    if (units === 0) return false;
    if (this.#lastAdvUnits === 0) return this.#requestAck();
    const threshold = Math.min(
      WINDOW_UPDATE_MIN_UNITS * WINDOW_UNIT_BYTES,
      Math.floor(this.capacity * WINDOW_UPDATE_BUFFER_FRACTION),
    );
    if (this.rcvNxt + units * WINDOW_UNIT_BYTES - this.#lastAdvRight >= threshold) return this.#requestAck();
    return false;
  }

  #requestAck(): boolean {
    this.#ackNow = true;
    return true;
  }

  requestAck(): void {
    this.#ackNow = true;
  }

  /** The SACK report for a stream-ack packet: D-SACK first, then out-of-order blocks, most recent first. */
  sackReport(): SackReport | null {
    if (!this.hasSackInfo) return null;
    const room = this.#dsack === null ? SACK_MAX_BLOCKS : SACK_MAX_BLOCKS - 1;
    const blocks = this.#reasm.sackBlocks(room);
    if (this.#dsack !== null) return { dsack: true, blocks: [this.#dsack, ...blocks] };
    return { dsack: false, blocks };
  }

  /** Any packet carrying our ACK went out with `units` advertised: the pending ACK state is satisfied. */
  onAckSent(units: number, withSack: boolean): void {
    const right = this.rcvNxt + units * WINDOW_UNIT_BYTES;
    if (right > this.#advRight) this.#advRight = right;
    this.#lastAdvUnits = units;
    this.#lastAdvRight = right;
    this.#unackedFullSegs = 0;
    this.#delackAt = null;
    this.#ackNow = false;
    if (withSack) this.#dsack = null;
  }
}
