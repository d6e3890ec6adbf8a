// The receive checks of PROTOCOL-BRIEF §2.3 for every overlay packet after tunnel decryption (or the local loopback),
// in order: decode (length, version, CRC, protocol, flags), reserved ids (§1.3 `reserved_addr`), Src node = the
// tunnel-authenticated peer (`src_spoof`), Src network = Dst network and a network of ours, Dst = our node or a
// datagram broadcast (`bad_dst`), then the trust filter of §6.4 and dispatch by protocol. Every drop is counted by
// reason; nothing here throws.
import { TRUST_PORT } from "../trust/mod.ts";
import {
  decodePacket,
  FLAG_SYN,
  isReservedNode,
  NETWORK_BACKBONE,
  NODE_BROADCAST,
  type Packet,
  PROTO_CONTROL,
  PROTO_DATAGRAM,
  PROTO_STREAM,
  PROTO_STREAM_ACK,
  WireFormatError,
} from "../wire/mod.ts";

export interface PacketInDeps {
  readonly localNode: number;
  /** Networks this node belongs to (the backbone always). */
  readonly isMember: (network: number) => boolean;
  /** §6.4: trusted or self. */
  readonly isTrusted: (peerNode: number) => boolean;
  /** Stream (0x01) and stream-ack (0x04) packets: the StreamStack (it answers an untrusted SYN with RST 2). */
  readonly stream: (p: Packet) => void;
  readonly datagram: (p: Packet) => void;
  readonly control: (p: Packet) => void;
  readonly drop: (reason: string) => void;
  /** A packet from an untrusted peer was dropped by the trust filter (`security.untrusted_dropped`). */
  readonly untrusted?: (peerNode: number) => void;
}

export class PacketIn {
  readonly #d: PacketInDeps;

  constructor(deps: PacketInDeps) {
    this.#d = deps;
  }

  /** One authenticated plaintext from `peerNode` (our own id for loopback). */
  handle(peerNode: number, plaintext: Uint8Array): void {
    const d = this.#d;
    let p: Packet;
    try {
      p = decodePacket(plaintext);
    } catch (err) {
      d.drop(err instanceof WireFormatError ? err.field : "malformed");
      return;
    }
    const reason = this.#addressCheck(peerNode, p);
    if (reason !== null) {
      d.drop(reason);
      return;
    }
    try {
      this.#dispatch(peerNode, p);
    } catch {
      d.drop("malformed");
    }
  }

  /** Steps 2–3 of §2.3 and §1.3; the drop reason, or null when the addresses are acceptable. */
  #addressCheck(peerNode: number, p: Packet): string | null {
    const d = this.#d;
    if (isReservedNode(p.src.node) || isReservedNode(p.dst.node)) return "reserved_addr";
    if (p.src.node !== peerNode || p.src.node === NODE_BROADCAST) return "src_spoof";
    const network = p.dst.network;
    if (p.src.network !== network) return "bad_dst";
    if (network !== NETWORK_BACKBONE && !d.isMember(network)) return "bad_dst";
    if (p.dst.node === d.localNode) return null;
    // §7.10: a datagram to the broadcast address of a non-zero network we belong to.
    if (p.dst.node === NODE_BROADCAST && p.proto === PROTO_DATAGRAM && network !== NETWORK_BACKBONE) return null;
    return "bad_dst";
  }

  /** Step 4: the trust filter, then the protocol's handler. */
  #dispatch(peerNode: number, p: Packet): void {
    const d = this.#d;
    const trusted = d.isTrusted(peerNode);
    switch (p.proto) {
      case PROTO_STREAM:
      case PROTO_STREAM_ACK:
        // Untrusted peers reach only port 444 (either end). A SYN elsewhere is refused by the stack with RST 2 and
        // counted here as an untrusted drop; anything else is dropped silently.
        if (trusted || p.dstPort === TRUST_PORT || p.srcPort === TRUST_PORT) {
          d.stream(p);
          return;
        }
        this.#untrusted(peerNode);
        if (isPureSyn(p)) d.stream(p);
        return;
      case PROTO_DATAGRAM:
        if (trusted) d.datagram(p);
        else this.#untrusted(peerNode);
        return;
      case PROTO_CONTROL:
        if (trusted) d.control(p);
        else this.#untrusted(peerNode);
        return;
      default:
        d.drop("bad_proto");
    }
  }

  #untrusted(peerNode: number): void {
    this.#d.drop("untrusted");
    this.#d.untrusted?.(peerNode);
  }
}

function isPureSyn(p: Packet): boolean {
  return p.proto === PROTO_STREAM && p.flags === FLAG_SYN;
}
