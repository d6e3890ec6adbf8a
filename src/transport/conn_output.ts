// The outgoing half of one connection event (PROTOCOL-BRIEF §7): collects the actions of the event and turns the
// sender's plans into packets with the right Seq / Ack / Window, pure ACKs into stream-ack packets when there is
// SACK information (§7.4), and maps between unwrapped offsets and wire sequence numbers in both directions.
import type { Packet } from "../wire/mod.ts";
import type { PacketBuilder } from "./packets.ts";
import type { Receiver } from "./receiver.ts";
import type { SegmentPlan, Sender } from "./sender.ts";
import { unwrapSeq, wrapSeq } from "./seq.ts";
import type { Action } from "./types.ts";

export class ConnOutput {
  readonly iss: number;
  /** The peer's ISN, once its SYN arrived. */
  irs = 0;
  segsSent = 0;
  sackSent = 0;
  #actions: Action[] = [];
  readonly #pkt: PacketBuilder;
  readonly #snd: Sender;
  readonly #rcv: Receiver;
  readonly #localMaxSeg: number;

  constructor(pkt: PacketBuilder, snd: Sender, rcv: Receiver, iss: number, localMaxSeg: number) {
    this.#pkt = pkt;
    this.#snd = snd;
    this.#rcv = rcv;
    this.iss = iss;
    this.#localMaxSeg = localMaxSeg;
  }

  push(action: Action): void {
    this.#actions.push(action);
  }

  /** Returns and forgets the actions collected so far. */
  take(): Action[] {
    const out = this.#actions;
    this.#actions = [];
    return out;
  }

  emit(packet: Packet): void {
    this.segsSent++;
    this.#actions.push({ type: "send", packet });
  }

  emitIf(packet: Packet | null): void {
    if (packet !== null) this.emit(packet);
  }

  sndWire(off: number): number {
    return wrapSeq(this.iss, off);
  }

  rcvWire(off: number): number {
    return wrapSeq(this.irs, off);
  }

  /** Our offset nearest SND.UNA for a wire Ack / SACK edge. */
  sndOff(wire: number): number {
    const una = this.#snd.una;
    return unwrapSeq(wire, una, this.sndWire(una));
  }

  /** The peer's offset nearest RCV.NXT for a wire Seq. */
  rcvOff(wire: number): number {
    const nxt = this.#rcv.rcvNxt;
    return unwrapSeq(wire, nxt, this.rcvWire(nxt));
  }

  syn(): void {
    this.emit(this.#pkt.syn(this.iss, this.#rcv.windowUnits(), this.#localMaxSeg));
  }

  synAck(): void {
    const units = this.#rcv.windowUnits();
    this.emit(this.#pkt.synAck(this.iss, this.rcvWire(1), units, this.#localMaxSeg));
    this.#rcv.onAckSent(units, false);
  }

  segment(plan: SegmentPlan): void {
    const units = this.#rcv.windowUnits();
    const ack = this.rcvWire(this.#rcv.rcvNxt);
    this.emit(this.#pkt.data(this.sndWire(plan.seqOff), ack, units, plan.payload, plan.fin));
    this.#rcv.onAckSent(units, false);
  }

  /** A pure ACK with Seq at `seqOff`, as a stream-ack packet when there is SACK information (§7.4). */
  ack(seqOff: number): void {
    const units = this.#rcv.windowUnits();
    const seq = this.sndWire(seqOff);
    const ack = this.rcvWire(this.#rcv.rcvNxt);
    const report = this.#rcv.sackReport();
    if (report !== null && report.blocks.length > 0) {
      const blocks = report.blocks.map((b) => ({ left: this.rcvWire(b.start), right: this.rcvWire(b.end) }));
      this.emit(this.#pkt.sack(seq, ack, units, report.dsack, blocks));
      this.sackSent++;
      this.#rcv.onAckSent(units, true);
      return;
    }
    this.emit(this.#pkt.ack(seq, ack, units));
    this.#rcv.onAckSent(units, false);
  }

  /** Our own RST (abort or timeout), Seq = SND.NXT. */
  reset(reason: number): void {
    this.emit(this.#pkt.reset(this.sndWire(this.#snd.nxt), this.rcvWire(this.#rcv.rcvNxt), reason));
  }
}
