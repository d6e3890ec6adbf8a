// Builders of the stream packets a connection sends (PROTOCOL-BRIEF §2.1, §7.1, §7.4, §7.9): one place that knows
// the header fields of SYN, SYN-ACK, data / FIN, pure ACK, stream-ack (SACK) and abort RST for one connection.
import {
  type Addr,
  encodeSack,
  encodeSynOptions,
  FLAG_ACK,
  FLAG_FIN,
  FLAG_RST,
  FLAG_SYN,
  type Packet,
  PROTO_STREAM,
  PROTO_STREAM_ACK,
  type SackBlock,
  WIRE_VERSION,
} from "../wire/mod.ts";

export interface SocketEnd {
  readonly addr: Addr;
  readonly port: number;
}

const EMPTY = new Uint8Array(0);

export class PacketBuilder {
  readonly #local: SocketEnd;
  readonly #remote: SocketEnd;

  constructor(local: SocketEnd, remote: SocketEnd) {
    this.#local = local;
    this.#remote = remote;
  }

  #packet(proto: number, flags: number, seq: number, ack: number, window: number, payload: Uint8Array): Packet {
    return {
      version: WIRE_VERSION,
      flags,
      proto,
      src: this.#local.addr,
      dst: this.#remote.addr,
      srcPort: this.#local.port,
      dstPort: this.#remote.port,
      seq,
      ack,
      window,
      payload,
    };
  }

  syn(iss: number, window: number, maxSeg: number): Packet {
    return this.#packet(PROTO_STREAM, FLAG_SYN, iss, 0, window, encodeSynOptions({ maxSeg }));
  }

  synAck(iss: number, ack: number, window: number, maxSeg: number): Packet {
    return this.#packet(PROTO_STREAM, FLAG_SYN | FLAG_ACK, iss, ack, window, encodeSynOptions({ maxSeg }));
  }

  data(seq: number, ack: number, window: number, payload: Uint8Array, fin: boolean): Packet {
    return this.#packet(PROTO_STREAM, fin ? FLAG_ACK | FLAG_FIN : FLAG_ACK, seq, ack, window, payload);
  }

  ack(seq: number, ack: number, window: number): Packet {
    return this.#packet(PROTO_STREAM, FLAG_ACK, seq, ack, window, EMPTY);
  }

  /** §7.4: flags exactly ACK, Seq = SND.NXT, Ack = RCV.NXT, Window, then count ‖ flags ‖ blocks. */
  sack(seq: number, ack: number, window: number, dsack: boolean, blocks: readonly SackBlock[]): Packet {
    return this.#packet(PROTO_STREAM_ACK, FLAG_ACK, seq, ack, window, encodeSack({ dsack, blocks }));
  }

  /** An RST of our own making (abort, timeout): Seq = SND.NXT so the peer accepts it, reason byte as payload. */
  reset(seq: number, ack: number, reason: number): Packet {
    return this.#packet(PROTO_STREAM, FLAG_RST | FLAG_ACK, seq, ack, 0, Uint8Array.of(reason));
  }
}
