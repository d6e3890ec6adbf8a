// Test support: two stream connection endpoints wired through the simulated network (tests/_support/sim_net.ts),
// every packet encoded and decoded with the wire header codec. Host "a" dials, host "b" answers the SYN with a new
// connection. Used by the transport's simulation tests; the harness records what each application saw.
import { Prng } from "../_support/prng.ts";
import { SimClock } from "../_support/sim_clock.ts";
import { type LinkConfig, SimNetwork } from "../_support/sim_net.ts";
import type { NetAddr } from "../../src/net/packet_conn.ts";
import { Connection } from "../../src/transport/connection.ts";
import type { ConnectionOptions } from "../../src/transport/conn_options.ts";
import { ConnDriver } from "../../src/transport/driver.ts";
import type { CloseReason } from "../../src/transport/rst.ts";
import type { ConnState } from "../../src/transport/types.ts";
import { decodePacket, encodePacket, FLAG_ACK, FLAG_SYN, type Packet } from "../../src/wire/mod.ts";

export const CLIENT_ADDR = { network: 0, node: 0x101 };
export const SERVER_ADDR = { network: 0, node: 0x102 };
export const CLIENT_PORT = 50_000;
export const SERVER_PORT = 1000;
const UDP_PORT = 4000;
const HOST_A: NetAddr = { hostname: "a", port: UDP_PORT };
const HOST_B: NetAddr = { hostname: "b", port: UDP_PORT };

export type ConnOverrides = Partial<Omit<ConnectionOptions, "local" | "remote" | "clock">>;

export interface PairConfig {
  readonly seed?: number;
  /** Impairments of both directions (overridden per direction by ab / ba). */
  readonly link?: LinkConfig;
  readonly ab?: LinkConfig;
  readonly ba?: LinkConfig;
  readonly client?: ConnOverrides;
  readonly server?: ConnOverrides;
  /** Drop filter on decoded packets; `dir` is "ab" (client → server) or "ba". */
  readonly drop?: (p: Packet, dir: "ab" | "ba") => boolean;
  /** Server application returns read credit at once (default true). */
  readonly autoCredit?: boolean;
}

/** What one application observed. */
export class AppView {
  driver: ConnDriver | null = null;
  bytes = 0;
  chunks: Uint8Array[] = [];
  keepChunks = true;
  eof = false;
  established = false;
  closed: CloseReason | null = null;
  states: ConnState[] = [];
  onData: ((data: Uint8Array) => void) | null = null;
  onEof: (() => void) | null = null;
  onWritable: (() => void) | null = null;
  autoCredit: boolean;

  constructor(autoCredit: boolean) {
    this.autoCredit = autoCredit;
  }

  get conn(): Connection {
    if (this.driver === null) throw new Error("no connection yet");
    return this.driver.conn;
  }

  get state(): ConnState {
    return this.driver === null ? "CLOSED" : this.driver.conn.state;
  }

  events() {
    return {
      onDeliver: (data: Uint8Array) => {
        this.bytes += data.length;
        if (this.keepChunks) this.chunks.push(data);
        this.onData?.(data);
        if (this.autoCredit) this.driver?.run((c) => c.readCredit(data.length));
      },
      onEof: () => {
        this.eof = true;
        this.onEof?.();
      },
      onEstablished: () => {
        this.established = true;
      },
      onWritable: () => this.onWritable?.(),
      onState: (s: ConnState) => this.states.push(s),
      onClosed: (r: CloseReason) => {
        this.closed = r;
      },
    };
  }

  received(): Uint8Array {
    const out = new Uint8Array(this.chunks.reduce((n, c) => n + c.length, 0));
    let o = 0;
    for (const c of this.chunks) {
      out.set(c, o);
      o += c.length;
    }
    return out;
  }
}

export class SimPair {
  readonly clock = new SimClock();
  readonly net: SimNetwork;
  readonly client: AppView;
  readonly server: AppView;
  readonly sent: { dir: "ab" | "ba"; at: number; packet: Packet }[] = [];
  traceEnabled = false;
  readonly #cfg: PairConfig;
  readonly #sockA;
  readonly #sockB;

  constructor(cfg: PairConfig = {}) {
    this.#cfg = cfg;
    this.net = new SimNetwork(this.clock, new Prng(cfg.seed ?? 1));
    this.net.setLink("a", "b", { ...cfg.link, ...cfg.ab });
    this.net.setLink("b", "a", { ...cfg.link, ...cfg.ba });
    if (cfg.drop !== undefined) {
      const drop = cfg.drop;
      this.net.addDropFilter((data, from) => drop(decodePacket(data), from.hostname === "a" ? "ab" : "ba"));
    }
    this.#sockA = this.net.bind("a", UDP_PORT, (data) => this.client.driver?.segment(decodePacket(data)));
    this.#sockB = this.net.bind("b", UDP_PORT, (data) => this.#atServer(decodePacket(data)));
    this.client = new AppView(true);
    this.server = new AppView(cfg.autoCredit ?? true);
  }

  /** Creates the client connection and dials; again after a failed dial, like an application would. */
  connect(): void {
    this.client.driver?.dispose();
    const conn = new Connection({
      local: { addr: CLIENT_ADDR, port: CLIENT_PORT },
      remote: { addr: SERVER_ADDR, port: SERVER_PORT },
      clock: this.clock,
      ...this.#cfg.client,
    });
    this.client.closed = null;
    this.client.driver = new ConnDriver(conn, {
      timers: this.clock,
      output: (p) => this.#send(p, "ab"),
    }, this.client.events());
    this.client.driver.run((c) => c.connect());
  }

  #send(p: Packet, dir: "ab" | "ba"): void {
    if (this.traceEnabled) this.sent.push({ dir, at: this.clock.monotonic(), packet: p });
    if (dir === "ab") this.#sockA.sendNow(encodePacket(p), HOST_B);
    else this.#sockB.sendNow(encodePacket(p), HOST_A);
  }

  #atServer(p: Packet): void {
    const d = this.server.driver;
    const pureSyn = p.flags === FLAG_SYN;
    if (d !== null && !(pureSyn && d.conn.state === "CLOSED") && !(pureSyn && d.conn.acceptsNewSyn(p))) {
      d.segment(p);
      return;
    }
    if (!pureSyn) return;
    d?.dispose();
    const conn = new Connection({
      local: { addr: SERVER_ADDR, port: SERVER_PORT },
      remote: { addr: CLIENT_ADDR, port: CLIENT_PORT },
      clock: this.clock,
      ...this.#cfg.server,
    });
    const driver = new ConnDriver(
      conn,
      { timers: this.clock, output: (q) => this.#send(q, "ba") },
      this.server.events(),
    );
    this.server.driver = driver;
    driver.run((c) => c.acceptSyn(p));
  }

  /** Sends a raw packet from the client host (for crafted-segment tests). */
  injectToServer(p: Packet): void {
    this.#sockA.sendNow(encodePacket(p), HOST_B);
  }

  injectToClient(p: Packet): void {
    this.#sockB.sendNow(encodePacket(p), HOST_A);
  }

  run(until: () => boolean, deadlineMs: number, maxSteps = 20_000_000) {
    return this.clock.run({ until, deadline: this.clock.monotonic() + deadlineMs, maxSteps });
  }
}

export interface TransferResult {
  readonly ok: boolean;
  readonly elapsedMs: number;
  readonly detail: string;
  /** A delivered byte differed from the data sent. */
  readonly corrupt: boolean;
  /** Bytes the server application received. */
  readonly received: number;
  /** Virtual ms from the first dial to the delivery of the last byte (-1 if it never came). */
  readonly lastByteMs: number;
}

const DIAL_ATTEMPTS = 3;

/**
 * Client sends `data` then half-closes; the server checks every byte as it arrives, half-closes at EOF. Succeeds
 * when the server saw exactly `data` and both sides closed normally (client in TIME_WAIT or CLOSED).
 */
export function runTransfer(pair: SimPair, data: Uint8Array, deadlineMs: number): TransferResult {
  let written = 0;
  let mismatchAt = -1;
  let offset = 0;
  let lastByteMs = -1;
  const start = pair.clock.monotonic();
  pair.server.keepChunks = false;
  pair.server.onData = (chunk) => {
    if (mismatchAt >= 0) return;
    for (let i = 0; i < chunk.length; i++) {
      if (offset + i >= data.length || chunk[i] !== data[offset + i]) {
        mismatchAt = offset + i;
        break;
      }
    }
    offset += chunk.length;
    if (offset === data.length) lastByteMs = pair.clock.monotonic() - start;
  };
  pair.server.onEof = () => pair.server.driver?.run((c) => c.closeWrite());
  const pump = () => {
    const d = pair.client.driver;
    if (d === null || !d.conn.canWrite) return;
    while (written < data.length && d.conn.sendSpace > 0) {
      const n = Math.min(d.conn.sendSpace, data.length - written, 64 * 1024);
      d.run((c) => c.write(data.subarray(written, written + n)));
      written += n;
    }
    if (written === data.length) d.run((c) => c.closeWrite());
  };
  pair.client.onWritable = pump;
  const clientDone = () => pair.client.state === "TIME_WAIT" || pair.client.state === "CLOSED";
  const serverDone = () => pair.server.driver !== null && pair.server.state === "CLOSED";
  let res = null;
  // A dial whose SYNs all got lost times out (§7.5); the application dials again, up to three times.
  for (let attempt = 0; attempt < DIAL_ATTEMPTS; attempt++) {
    // Whatever was written into a connection that never got established is gone with it: start over.
    written = 0;
    pair.connect();
    pump();
    res = pair.run(() => mismatchAt >= 0 || (clientDone() && serverDone()), deadlineMs);
    if (pair.client.closed?.kind !== "timeout" || pair.client.closed.detail !== "dial") break;
  }
  const elapsedMs = pair.clock.monotonic() - start;
  const detail = `stop=${res?.stop} t=${elapsedMs.toFixed(0)}ms written=${written} recv=${offset}/${data.length} ` +
    `mismatch=${mismatchAt} client=${pair.client.state} server=${pair.server.state} ` +
    `cr=${JSON.stringify(pair.client.closed)} sr=${JSON.stringify(pair.server.closed)} eof=${pair.server.eof}`;
  // The server's own close may still time out when every ACK of its FIN is lost (the last-ACK problem); the data
  // is what must be exact.
  const ok = mismatchAt < 0 && offset === data.length && pair.server.eof && clientDone() && serverDone() &&
    (pair.client.closed === null || pair.client.closed.kind === "normal");
  return { ok, elapsedMs, detail, corrupt: mismatchAt >= 0, received: offset, lastByteMs };
}

/** Deterministic pseudo-random test data. */
export function testData(length: number, seed: number): Uint8Array {
  const rng = new Prng(seed);
  const out = new Uint8Array(length);
  const words = new Uint32Array(out.buffer, 0, length >>> 2);
  for (let i = 0; i < words.length; i++) words[i] = rng.u32();
  for (let i = words.length * 4; i < length; i++) out[i] = rng.u32() & 0xff;
  return out;
}

export function isPureAck(p: Packet): boolean {
  return p.flags === FLAG_ACK && p.payload.length === 0;
}
