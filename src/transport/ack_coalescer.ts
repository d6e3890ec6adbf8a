// ACK coalescing on the way out (PROTOCOL-BRIEF §7.3, §7.7): a plain pure ACK (protocol 0x01, flags exactly ACK, no
// payload) is held until the end of the event-loop turn, and any later packet of the same connection in that turn
// replaces it, because every stream packet carries the newest Ack and Window. In a bulk transfer the receiver's
// delayed ACK (every second full segment) and the window update that follows as soon as the application has read
// those segments (a few microtasks later) become one packet instead of two. Stream-acks (0x04) carry SACK blocks and
// are never held; neither is anything but stream traffic. Nothing is delayed beyond the current turn.
import { type Addr, FLAG_ACK, type Packet, PROTO_STREAM, PROTO_STREAM_ACK } from "../wire/mod.ts";

/** Runs a callback once the current event-loop turn (its microtasks and completed I/O) is done. */
export interface TurnScheduler {
  later(fn: () => void): void;
  close(): void;
}

/**
 * A TurnScheduler on a MessageChannel: a posted message is delivered in a later turn of the event loop, after the
 * microtasks of this one (setTimeout(0) waits a millisecond or more). The channel exists only while in use and is
 * closed by close(), so it never keeps a process alive.
 */
export class MessageChannelTurn implements TurnScheduler {
  #channel: MessageChannel | null = null;
  #pending: (() => void)[] = [];
  #closed = false;

  later(fn: () => void): void {
    if (this.#closed) return;
    this.#pending.push(fn);
    if (this.#pending.length > 1) return;
    if (this.#channel === null) {
      this.#channel = new MessageChannel();
      this.#channel.port1.onmessage = () => this.#run();
    }
    this.#channel.port2.postMessage(null);
  }

  close(): void {
    this.#closed = true;
    this.#pending = [];
    this.#channel?.port1.close();
    this.#channel?.port2.close();
    this.#channel = null;
  }

  #run(): void {
    const due = this.#pending;
    this.#pending = [];
    for (const fn of due) fn();
  }
}

function isPlainAck(p: Packet): boolean {
  return p.proto === PROTO_STREAM && p.flags === FLAG_ACK && p.payload.length === 0;
}

/** The connection a stream packet belongs to, as seen from its sender. */
function connectionKey(p: Packet, via: Addr): string {
  return `${via.node}/${p.dst.network}/${p.srcPort}/${p.dstPort}`;
}

export class AckCoalescer {
  readonly #send: (p: Packet, via: Addr) => void;
  readonly #turn: TurnScheduler;
  readonly #held = new Map<string, { readonly packet: Packet; readonly via: Addr }>();
  #scheduled = false;

  constructor(send: (p: Packet, via: Addr) => void, turn: TurnScheduler) {
    this.#send = send;
    this.#turn = turn;
  }

  /** Sends `p` toward `via`, or holds it until the end of the turn when it is a plain pure ACK. */
  output(p: Packet, via: Addr): void {
    if (p.proto !== PROTO_STREAM && p.proto !== PROTO_STREAM_ACK) {
      this.#send(p, via);
      return;
    }
    const key = connectionKey(p, via);
    if (isPlainAck(p)) {
      this.#held.set(key, { packet: p, via });
      if (!this.#scheduled) {
        this.#scheduled = true;
        this.#turn.later(() => this.flush());
      }
      return;
    }
    // This packet carries the same or a newer Ack and Window than the held one.
    this.#held.delete(key);
    this.#send(p, via);
  }

  /** Sends every held ACK now. */
  flush(): void {
    this.#scheduled = false;
    if (this.#held.size === 0) return;
    const held = [...this.#held.values()];
    this.#held.clear();
    for (const { packet, via } of held) this.#send(packet, via);
  }

  /** Drops what is held (the node is stopping) and releases the scheduler. */
  close(): void {
    this.#held.clear();
    this.#turn.close();
  }
}
