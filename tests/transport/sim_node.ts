// Test support: a minimal node on the simulated network — one PacketConn, a receive loop that decodes overlay
// packets with the wire codec and dispatches them by protocol to a StreamStack, a DatagramService and a
// PingService (the daemon's job in production, without tunnel and trust machinery: trust is a set of node ids).
import type { SimNetwork, SimPacketConn } from "../_support/sim_net.ts";
import type { NetAddr } from "../../src/net/packet_conn.ts";
import { DatagramService } from "../../src/transport/datagram.ts";
import { PingService } from "../../src/transport/ping.ts";
import { StreamStack, type StreamStackDeps } from "../../src/transport/stack.ts";
import {
  type Addr,
  decodePacket,
  encodePacket,
  type Packet,
  PROTO_CONTROL,
  PROTO_DATAGRAM,
  PROTO_STREAM,
  PROTO_STREAM_ACK,
  WireFormatError,
} from "../../src/wire/mod.ts";

const UDP_PORT = 7000;

export class SimNode {
  readonly addr: Addr;
  readonly stack: StreamStack;
  readonly dgram: DatagramService;
  readonly ping: PingService;
  readonly trusted = new Set<number>();
  readonly drops: string[] = [];
  readonly #sock: SimPacketConn;
  readonly #routes: Map<number, NetAddr>;
  readonly #loop: Promise<void>;

  constructor(
    net: SimNetwork,
    host: string,
    node: number,
    routes: Map<number, NetAddr>,
    extra: Partial<StreamStackDeps> = {},
  ) {
    this.addr = { network: 0, node };
    this.#routes = routes;
    routes.set(node, { hostname: host, port: UDP_PORT });
    this.#sock = net.bind(host, UDP_PORT);
    const isTrusted = (peer: Addr) => this.trusted.has(peer.node);
    const onDrop = (r: string) => this.drops.push(r);
    const output = (p: Packet, via: Addr = p.dst) => {
      const to = this.#routes.get(via.node);
      if (to !== undefined) void this.#sock.send(encodePacket(p), to);
    };
    this.stack = new StreamStack({
      clock: net.clock,
      timers: net.clock,
      localNode: node,
      output,
      isTrusted,
      onDrop,
      ...extra,
    });
    this.dgram = new DatagramService({ localNode: node, output, isTrusted, onDrop });
    this.ping = new PingService({ clock: net.clock, timers: net.clock, localNode: node, output, isTrusted, onDrop });
    this.#loop = this.#receiveLoop();
  }

  async #receiveLoop(): Promise<void> {
    for (;;) {
      const d = await this.#sock.receive();
      if (d === null) return;
      let p: Packet;
      try {
        p = decodePacket(d[0]);
      } catch (err) {
        if (!(err instanceof WireFormatError)) throw err;
        this.drops.push(err.field);
        continue;
      }
      if (p.proto === PROTO_STREAM || p.proto === PROTO_STREAM_ACK) this.stack.handle(p);
      else if (p.proto === PROTO_DATAGRAM) this.dgram.handle(p);
      else if (p.proto === PROTO_CONTROL) this.ping.handle(p);
    }
  }

  async close(): Promise<void> {
    this.stack.close();
    this.ping.close();
    await this.#sock.close();
    await this.#loop;
  }
}
