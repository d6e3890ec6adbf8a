// The stream endpoint manager (PROTOCOL-BRIEF §7, §1.4, §6.4, §7.9, §10): stream listeners and connections keyed by
// (local port, remote network, remote node, remote port); demultiplexes incoming stream and stream-ack packets,
// creates connections on SYN after the trust, listener, rate and limit checks (RST 2 / 1 / 3), answers strays with
// RST 4 (≤ 10/s per peer), and dials with an ephemeral port. Trust is a predicate injected by the daemon.
import type { Clock } from "../util/clock.ts";
import { AlreadyExistsError, ConnectionFailedError, InvalidArgumentError, NotTrustedError } from "../util/errors.ts";
import { type Addr, addrKey, FLAG_RST, FLAG_SYN, formatAddr, type Packet } from "../wire/mod.ts";
import { Connection } from "./connection.ts";
import {
  CONNECTIONS_MAX_PER_PORT,
  CONNECTIONS_MAX_TOTAL,
  DEFAULT_PATH_LIMIT_BYTES,
  LISTEN_BACKLOG_MAX,
  NO_CONN_RSTS_PER_PEER_PER_SEC,
  PORT_TRUST,
  STREAM_LISTENERS_MAX,
  SYN_RATE_PER_PEER_PER_SEC,
  SYN_RATE_TOTAL_PER_SEC,
} from "./constants.ts";
import type { TimerSource } from "./driver.ts";
import { Listener } from "./listener.ts";
import { checkBindPort, checkRemotePort, cryptoRandom, drawEphemeralPort } from "./ports.ts";
import { KeyedRateLimit, RateWindow } from "./rate_limit.ts";
import {
  closeError,
  type CloseReason,
  resetFor,
  RST_ABORTED,
  RST_LIMIT,
  RST_NO_CONNECTION,
  RST_NO_LISTENER,
  RST_NOT_TRUSTED,
} from "./rst.ts";
import { parseSynOptions } from "./segment_parse.ts";
import { StreamConn } from "./stream_conn.ts";

export interface StreamStackDeps {
  readonly clock: Clock;
  readonly timers: TimerSource;
  /** Our node id; the local address of a connection is (its network, this node). */
  readonly localNode: number;
  /** Hands a packet to the tunnel (or the local loopback). */
  readonly output: (packet: Packet) => void;
  /** Trust of §6.4; only port 444 is open to untrusted peers. */
  readonly isTrusted: (peer: Addr) => boolean;
  /** The tunnel path limit toward a peer (§3.5); 1152 when absent. */
  readonly pathLimit?: (peer: Addr) => number;
  readonly isn?: () => number;
  /** Uniform [0, 1) for ephemeral ports; a CSPRNG when absent. */
  readonly random?: () => number;
  /** Counts a silent drop (`pilot_drops_total{reason}`). */
  readonly onDrop?: (reason: string) => void;
  /** A connection left the stack for good; its stats() are final (metrics: RTT, retransmits). */
  readonly onConnClosed?: (sc: StreamConn) => void;
  /** Life-cycle events of connections (webhooks, PROTOCOL-BRIEF §9.5 `conn.*`). */
  readonly onConnEvent?: (event: ConnEvent, sc: StreamConn) => void;
  /** An inbound SYN from `peer` was refused by the SYN rate limit (§10; `security.syn_rate_limited`). */
  readonly onSynRateLimited?: (peer: Addr) => void;
  readonly recvBufferBytes?: number;
  readonly sendBufferBytes?: number;
  readonly localMaxSeg?: number;
}

/** `syn_received`: a SYN opened a passive connection; the others as CloseReason maps them (connEventOf). */
export type ConnEvent = "syn_received" | "established" | "fin" | "rst" | "idle_timeout";

/** The event a connection's end is reported as: an orderly close, a reset either way, the idle timeout; null for a
 * dial that timed out (it never was a connection). */
export function connEventOf(reason: CloseReason | null): ConnEvent | null {
  if (reason === null) return null;
  switch (reason.kind) {
    case "normal":
      return "fin";
    case "reset":
    case "aborted":
      return "rst";
    case "timeout":
      return reason.detail === "idle" ? "idle_timeout" : reason.detail === "retransmit" ? "rst" : null;
  }
}

export interface DialOptions {
  readonly nodelay?: boolean;
  readonly timeoutMs?: number;
}

function tupleKey(localPort: number, remote: Addr, remotePort: number): string {
  return `${localPort}/${addrKey(remote)}/${remotePort}`;
}

export class StreamStack {
  readonly #d: StreamStackDeps;
  readonly #listeners = new Map<number, Listener>();
  readonly #conns = new Map<string, StreamConn>();
  readonly #byId = new Map<number, StreamConn>();
  readonly #perPort = new Map<number, number>();
  readonly #owner = new Map<StreamConn, Listener>();
  readonly #synTotal = new RateWindow(SYN_RATE_TOTAL_PER_SEC);
  readonly #synPerPeer = new KeyedRateLimit(SYN_RATE_PER_PEER_PER_SEC);
  readonly #rstPerPeer = new KeyedRateLimit(NO_CONN_RSTS_PER_PEER_PER_SEC);
  #nextId = 1;
  #closed = false;

  constructor(deps: StreamStackDeps) {
    this.#d = deps;
  }

  get connectionCount(): number {
    return this.#conns.size;
  }

  connections(): StreamConn[] {
    return [...this.#conns.values()];
  }

  get(id: number): StreamConn | undefined {
    return this.#byId.get(id);
  }

  listener(port: number): Listener | undefined {
    return this.#listeners.get(port);
  }

  /** Binds a stream port (0 = ephemeral). Fails with `already_exists` detail `port_bound` if it has a listener. */
  listen(port: number, backlog: number = LISTEN_BACKLOG_MAX): Listener {
    checkBindPort(port);
    if (!Number.isInteger(backlog) || backlog < 1 || backlog > LISTEN_BACKLOG_MAX) {
      throw new InvalidArgumentError(`invalid backlog ${backlog}: want 1-${LISTEN_BACKLOG_MAX}`);
    }
    if (this.#listeners.size >= STREAM_LISTENERS_MAX) {
      throw new InvalidArgumentError(`cannot bind port ${port}: ${STREAM_LISTENERS_MAX} listeners already`, {
        detail: "limit",
      });
    }
    const p = port === 0 ? this.#ephemeral() : port;
    if (this.#listeners.has(p)) {
      throw new AlreadyExistsError(`port ${p} is already bound`, { detail: "port_bound" });
    }
    const l = new Listener(p, backlog, (closed) => this.#unlisten(closed));
    this.#listeners.set(p, l);
    return l;
  }

  /** Opens a stream to `remote`:`port`; resolves when established, rejects with the dial error of §7.5 / §7.9. */
  async dial(remote: Addr, port: number, opts: DialOptions = {}): Promise<StreamConn> {
    checkRemotePort(port);
    if (port !== PORT_TRUST && !this.#d.isTrusted(remote)) throw new NotTrustedError(formatAddr(remote));
    if (this.#closed || this.#conns.size >= CONNECTIONS_MAX_TOTAL) {
      throw new ConnectionFailedError(
        `cannot connect to ${formatAddr(remote)} port ${port}: connection limit reached`,
        {
          detail: "limit",
        },
      );
    }
    const localPort = this.#ephemeral();
    const sc = this.#create(localPort, remote, port, { nodelay: opts.nodelay, dialTimeoutMs: opts.timeoutMs });
    sc.driver.run((c) => c.connect());
    const failed = await sc.ready;
    if (failed !== null) {
      throw closeError(failed, formatAddr(remote), port, true) ??
        new ConnectionFailedError(`cannot connect to ${formatAddr(remote)} port ${port}`);
    }
    return sc;
  }

  /** Takes one incoming stream (0x01) or stream-ack (0x04) packet addressed to this node. */
  handle(p: Packet): void {
    if (this.#closed) return;
    const key = tupleKey(p.dstPort, p.src, p.srcPort);
    const existing = this.#conns.get(key);
    const pureSyn = p.flags === FLAG_SYN;
    if (existing !== undefined) {
      if (!(pureSyn && existing.conn.acceptsNewSyn(p))) {
        existing.driver.segment(p);
        return;
      }
      // §7.2: a new SYN after the old RCV.NXT ends TIME_WAIT early and starts a new connection.
      existing.abort();
      this.#remove(existing);
    }
    if (pureSyn) this.#inboundSyn(p);
    else if (!(p.flags & FLAG_RST)) this.#strayReset(p);
  }

  /** Resets every connection with `peer` (e.g. trust revoked: RST reason 2). */
  resetPeer(peer: Addr, rst: number = RST_NOT_TRUSTED): void {
    const k = addrKey(peer);
    for (const sc of [...this.#conns.values()]) if (addrKey(sc.conn.remote.addr) === k) sc.abort(rst);
  }

  /** The path limit toward `peer` changed (relay → 1152, probed → larger); streams re-segment. */
  setPathLimit(peer: Addr, bytes: number): void {
    const k = addrKey(peer);
    for (const sc of [...this.#conns.values()]) if (addrKey(sc.conn.remote.addr) === k) sc.setPathLimit(bytes);
  }

  /** Aborts every connection (RST 5) and closes every listener. */
  close(): void {
    if (this.#closed) return;
    for (const l of [...this.#listeners.values()]) l.close();
    for (const sc of [...this.#conns.values()]) sc.abort(RST_ABORTED);
    for (const sc of [...this.#conns.values()]) {
      sc.driver.dispose();
      this.#remove(sc);
    }
    this.#closed = true;
  }

  #inboundSyn(p: Packet): void {
    const d = this.#d;
    if (parseSynOptions(p) === null) {
      d.onDrop?.("bad_syn_options");
      return;
    }
    if (p.dstPort !== PORT_TRUST && !d.isTrusted(p.src)) return this.#reset(p, RST_NOT_TRUSTED);
    const l = this.#listeners.get(p.dstPort);
    if (l === undefined) return this.#reset(p, RST_NO_LISTENER);
    const now = d.clock.monotonic();
    const peer = addrKey(p.src);
    if (!this.#synTotal.wouldPass(now) || !this.#synPerPeer.take(peer, now) || !this.#synTotal.take(now)) {
      d.onDrop?.("syn_rate");
      d.onSynRateLimited?.(p.src);
      return this.#reset(p, RST_LIMIT);
    }
    const perPort = this.#perPort.get(p.dstPort) ?? 0;
    if (this.#conns.size >= CONNECTIONS_MAX_TOTAL || perPort >= CONNECTIONS_MAX_PER_PORT || !l.hasRoom) {
      return this.#reset(p, RST_LIMIT);
    }
    const sc = this.#create(p.dstPort, p.src, p.srcPort, {}, l);
    l.addPending(sc);
    d.onConnEvent?.("syn_received", sc);
    sc.driver.run((c) => c.acceptSyn(p));
  }

  #strayReset(p: Packet): void {
    if (!this.#rstPerPeer.take(addrKey(p.src), this.#d.clock.monotonic())) return;
    this.#reset(p, RST_NO_CONNECTION);
  }

  #reset(p: Packet, reason: number): void {
    const rst = resetFor(p, reason);
    if (rst !== null) this.#d.output(rst);
  }

  #create(
    localPort: number,
    remote: Addr,
    remotePort: number,
    o: { nodelay?: boolean; dialTimeoutMs?: number },
    owner?: Listener,
  ): StreamConn {
    const d = this.#d;
    const conn = new Connection({
      local: { addr: { network: remote.network, node: d.localNode }, port: localPort },
      remote: { addr: remote, port: remotePort },
      clock: d.clock,
      isn: d.isn,
      recvBufferBytes: d.recvBufferBytes,
      sendBufferBytes: d.sendBufferBytes,
      localMaxSeg: d.localMaxSeg,
      pathLimit: d.pathLimit?.(remote) ?? DEFAULT_PATH_LIMIT_BYTES,
      nodelay: o.nodelay,
      dialTimeoutMs: o.dialTimeoutMs,
    });
    const sc = new StreamConn(this.#nextId++, conn, { timers: d.timers, output: d.output }, {
      onEstablished: (c) => {
        this.#owner.get(c)?.established(c);
        d.onConnEvent?.("established", c);
      },
      onClosed: (c) => this.#remove(c),
    });
    this.#conns.set(tupleKey(localPort, remote, remotePort), sc);
    this.#byId.set(sc.id, sc);
    this.#perPort.set(localPort, (this.#perPort.get(localPort) ?? 0) + 1);
    if (owner !== undefined) this.#owner.set(sc, owner);
    return sc;
  }

  #remove(sc: StreamConn): void {
    const c = sc.conn;
    const key = tupleKey(c.local.port, c.remote.addr, c.remote.port);
    if (this.#conns.get(key) !== sc) return;
    this.#conns.delete(key);
    this.#byId.delete(sc.id);
    const n = (this.#perPort.get(c.local.port) ?? 1) - 1;
    if (n > 0) this.#perPort.set(c.local.port, n);
    else this.#perPort.delete(c.local.port);
    this.#owner.get(sc)?.forget(sc);
    this.#owner.delete(sc);
    this.#d.onConnClosed?.(sc);
    const event = connEventOf(sc.closeReason);
    if (event !== null) this.#d.onConnEvent?.(event, sc);
  }

  #unlisten(l: Listener): void {
    if (this.#listeners.get(l.port) === l) this.#listeners.delete(l.port);
    for (const sc of l.takeUnaccepted()) {
      this.#owner.delete(sc);
      sc.abort(RST_ABORTED);
    }
  }

  /** An ephemeral port with no listener and no connection (TIME_WAIT included) on it. */
  #ephemeral(): number {
    return drawEphemeralPort(
      (p) => this.#listeners.has(p) || this.#perPort.has(p),
      this.#d.random ?? cryptoRandom,
    );
  }
}
