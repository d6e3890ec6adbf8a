// The datagram protocol 0x02 (PROTOCOL-BRIEF §7.10): bind a port, sendto, deliver to the binder of the destination
// port. Unordered, no duplicate suppression; payload 0 to the path limit (else `invalid_argument` detail
// `too_large`); trust required both ways (untrusted senders' datagrams are dropped, sending to an untrusted peer
// fails with `unauthorized` detail `not_trusted`). Broadcast fan-out is the daemon's: it sends one copy per member
// with `via` naming the member and Dst the broadcast address.
import { AlreadyExistsError, InvalidArgumentError, NotTrustedError } from "../util/errors.ts";
import { type Addr, formatAddr, type Packet, PROTO_DATAGRAM, WIRE_VERSION } from "../wire/mod.ts";
import { DATAGRAM_BINDINGS_MAX, DEFAULT_PATH_LIMIT_BYTES } from "./constants.ts";
import { checkBindPort, checkRemotePort, cryptoRandom, drawEphemeralPort } from "./ports.ts";

export interface ReceivedDatagram {
  readonly src: Addr;
  readonly srcPort: number;
  readonly dst: Addr;
  readonly dstPort: number;
  readonly payload: Uint8Array;
}

export interface DatagramDeps {
  readonly localNode: number;
  /** Sends a packet toward `via` (the packet's Dst, or a broadcast member). */
  readonly output: (packet: Packet, via: Addr) => void;
  readonly isTrusted: (peer: Addr) => boolean;
  readonly pathLimit?: (peer: Addr) => number;
  readonly random?: () => number;
  readonly onDrop?: (reason: string) => void;
}

export class DatagramSocket {
  readonly port: number;
  readonly #svc: DatagramService;
  #closed = false;

  /** @internal created by DatagramService.bind */
  constructor(svc: DatagramService, port: number) {
    this.#svc = svc;
    this.port = port;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Sends one datagram to `dst`:`dstPort` (through `via`, for a broadcast copy). */
  sendTo(dst: Addr, dstPort: number, payload: Uint8Array, via: Addr = dst): void {
    if (this.#closed) throw new InvalidArgumentError(`cannot send from datagram port ${this.port}: unbound`);
    this.#svc.send(this.port, dst, dstPort, payload, via);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#svc.unbind(this.port, this);
  }
}

export class DatagramService {
  readonly #d: DatagramDeps;
  readonly #bound = new Map<number, { socket: DatagramSocket; onDatagram: (d: ReceivedDatagram) => void }>();

  constructor(deps: DatagramDeps) {
    this.#d = deps;
  }

  /** Binds a datagram port (0 = ephemeral); one binder per port. */
  bind(port: number, onDatagram: (d: ReceivedDatagram) => void): DatagramSocket {
    checkBindPort(port);
    if (this.#bound.size >= DATAGRAM_BINDINGS_MAX) {
      throw new InvalidArgumentError(`cannot bind datagram port ${port}: ${DATAGRAM_BINDINGS_MAX} bindings already`, {
        detail: "limit",
      });
    }
    const p = port === 0 ? drawEphemeralPort((q) => this.#bound.has(q), this.#d.random ?? cryptoRandom) : port;
    if (this.#bound.has(p)) throw new AlreadyExistsError(`port ${p} is already bound`, { detail: "port_bound" });
    const socket = new DatagramSocket(this, p);
    this.#bound.set(p, { socket, onDatagram });
    return socket;
  }

  /** @internal */
  unbind(port: number, socket: DatagramSocket): void {
    if (this.#bound.get(port)?.socket === socket) this.#bound.delete(port);
  }

  /** @internal */
  send(srcPort: number, dst: Addr, dstPort: number, payload: Uint8Array, via: Addr): void {
    checkRemotePort(dstPort);
    if (!this.#d.isTrusted(via)) throw new NotTrustedError(formatAddr(via));
    const limit = this.#d.pathLimit?.(via) ?? DEFAULT_PATH_LIMIT_BYTES;
    if (payload.length > limit) {
      throw new InvalidArgumentError(`datagram of ${payload.length} bytes exceeds the path limit of ${limit} bytes`, {
        detail: "too_large",
      });
    }
    this.#d.output({
      version: WIRE_VERSION,
      flags: 0,
      proto: PROTO_DATAGRAM,
      src: { network: dst.network, node: this.#d.localNode },
      dst,
      srcPort,
      dstPort,
      seq: 0,
      ack: 0,
      window: 0,
      payload,
    }, via);
  }

  /** Takes one incoming datagram packet (header checks of §2.3 already passed). Never throws, never answers. */
  handle(p: Packet): void {
    if (!this.#d.isTrusted(p.src)) {
      this.#d.onDrop?.("untrusted");
      return;
    }
    const b = this.#bound.get(p.dstPort);
    if (b === undefined) {
      this.#d.onDrop?.("dgram_no_port");
      return;
    }
    b.onDatagram({ src: p.src, srcPort: p.srcPort, dst: p.dst, dstPort: p.dstPort, payload: p.payload });
  }

  /** Whether a datagram port is bound (ports are a separate namespace from streams, §1.4). */
  isBound(port: number): boolean {
    return this.#bound.has(port);
  }
}
