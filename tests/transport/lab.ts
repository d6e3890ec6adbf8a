// Test support for connection unit tests: two connection endpoints driven by the real ConnDriver on a virtual
// clock, with packets held in per-side outboxes so a test decides what is delivered, dropped or reordered. Side
// "a" dials (0:0000.0000.0101 port 50000); side "b" is created by the first SYN it receives (port 1000).
import { SimClock } from "../_support/sim_clock.ts";
import { Connection } from "../../src/transport/connection.ts";
import type { ConnectionOptions } from "../../src/transport/conn_options.ts";
import { ConnDriver } from "../../src/transport/driver.ts";
import type { CloseReason } from "../../src/transport/rst.ts";
import type { ConnState } from "../../src/transport/types.ts";
import {
  type Addr,
  FLAG_ACK,
  FLAG_FIN,
  FLAG_RST,
  FLAG_SYN,
  type Packet,
  PROTO_STREAM,
  WIRE_VERSION,
} from "../../src/wire/mod.ts";

export const A_ADDR: Addr = { network: 0, node: 0x101 };
export const B_ADDR: Addr = { network: 0, node: 0x102 };
export const A_PORT = 50_000;
export const B_PORT = 1000;

export type Overrides = Partial<Omit<ConnectionOptions, "local" | "remote" | "clock">>;

export class Side {
  readonly name: "a" | "b";
  driver: ConnDriver | null = null;
  /** Packets sent and not yet delivered (or dropped) by the test. */
  outbox: Packet[] = [];
  /** Every packet this side ever sent. */
  readonly sent: Packet[] = [];
  readonly data: Uint8Array[] = [];
  eof = false;
  established = false;
  closed: CloseReason | null = null;
  readonly states: ConnState[] = [];
  autoCredit = true;
  writableEvents = 0;

  constructor(name: "a" | "b") {
    this.name = name;
  }

  get conn(): Connection {
    if (this.driver === null) throw new Error(`side ${this.name} has no connection`);
    return this.driver.conn;
  }

  get state(): ConnState {
    return this.driver?.conn.state ?? "CLOSED";
  }

  received(): string {
    return new TextDecoder().decode(concat(this.data));
  }

  receivedBytes(): Uint8Array {
    return concat(this.data);
  }

  attach(conn: Connection, clock: SimClock): void {
    this.driver = new ConnDriver(conn, {
      timers: clock,
      output: (p) => {
        this.outbox.push(p);
        this.sent.push(p);
      },
    }, {
      onDeliver: (d) => {
        this.data.push(d);
        if (this.autoCredit) this.driver?.run((c) => c.readCredit(d.length));
      },
      onEof: () => this.eof = true,
      onEstablished: () => this.established = true,
      onWritable: () => this.writableEvents++,
      onState: (s) => this.states.push(s),
      onClosed: (r) => this.closed = r,
    });
  }

  /** Takes (and clears) the outbox. */
  take(): Packet[] {
    const out = this.outbox;
    this.outbox = [];
    return out;
  }

  write(text: string | Uint8Array): void {
    const bytes = typeof text === "string" ? new TextEncoder().encode(text) : text;
    this.driver?.run((c) => c.write(bytes));
  }
}

export function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export class Lab {
  readonly clock = new SimClock();
  readonly a = new Side("a");
  readonly b = new Side("b");
  readonly #bOverrides: Overrides;

  constructor(opts: { a?: Overrides; b?: Overrides } = {}) {
    this.#bOverrides = opts.b ?? {};
    this.a.attach(
      new Connection({
        local: { addr: A_ADDR, port: A_PORT },
        remote: { addr: B_ADDR, port: B_PORT },
        clock: this.clock,
        ...opts.a,
      }),
      this.clock,
    );
  }

  /** Creates b's connection now (for simultaneous open): b also dials a. */
  makeB(): Connection {
    const conn = new Connection({
      local: { addr: B_ADDR, port: B_PORT },
      remote: { addr: A_ADDR, port: A_PORT },
      clock: this.clock,
      ...this.#bOverrides,
    });
    this.b.attach(conn, this.clock);
    return conn;
  }

  /** Delivers one packet to a side (creating b from a SYN if it has no connection yet). */
  deliver(to: "a" | "b", p: Packet): void {
    const side = to === "a" ? this.a : this.b;
    if (side.driver === null && to === "b" && p.flags === FLAG_SYN) {
      this.makeB();
      this.b.driver?.run((c) => c.acceptSyn(p));
      return;
    }
    side.driver?.segment(p);
  }

  /**
   * Delivers outboxes in both directions until both are empty (bounded). `drop` may discard a packet;
   * packets sent during delivery are delivered too, in order.
   */
  flush(drop: (p: Packet, from: "a" | "b") => boolean = () => false, maxPackets = 10_000): number {
    let n = 0;
    while ((this.a.outbox.length > 0 || this.b.outbox.length > 0) && n < maxPackets) {
      for (const p of this.a.take()) {
        n++;
        if (!drop(p, "a")) this.deliver("b", p);
      }
      for (const p of this.b.take()) {
        n++;
        if (!drop(p, "b")) this.deliver("a", p);
      }
    }
    return n;
  }

  /** Handshake a → b with nothing lost. */
  open(): void {
    this.a.driver?.run((c) => c.connect());
    this.flush();
  }

  /** Advances virtual time, running due timers, then leaves packets in the outboxes. */
  advance(ms: number): void {
    this.clock.advance(ms);
  }
}

/** A stream packet from a to b (or the reverse) for crafted-segment tests. */
export function craft(
  from: "a" | "b",
  fields: { flags: number; seq: number; ack?: number; window?: number; payload?: Uint8Array; proto?: number },
): Packet {
  const aToB = from === "a";
  return {
    version: WIRE_VERSION,
    flags: fields.flags,
    proto: fields.proto ?? PROTO_STREAM,
    src: aToB ? A_ADDR : B_ADDR,
    dst: aToB ? B_ADDR : A_ADDR,
    srcPort: aToB ? A_PORT : B_PORT,
    dstPort: aToB ? B_PORT : A_PORT,
    seq: fields.seq >>> 0,
    ack: (fields.ack ?? 0) >>> 0,
    window: fields.window ?? 1820,
    payload: fields.payload ?? new Uint8Array(0),
  };
}

export const isData = (p: Packet) => p.proto === PROTO_STREAM && p.payload.length > 0 && !(p.flags & FLAG_SYN);
export const isFin = (p: Packet) => (p.flags & FLAG_FIN) !== 0;
export const isRst = (p: Packet) => (p.flags & FLAG_RST) !== 0;
export const isPureAck = (p: Packet) => p.proto === PROTO_STREAM && p.flags === FLAG_ACK && p.payload.length === 0;
