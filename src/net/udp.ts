// The real PacketConn: one UDP socket over Deno.listenDatagram (PROTOCOL-BRIEF §3.1: one socket for all peers and
// the beacon). The object owns a receive loop that copies each datagram into a bounded queue; a failing datagram
// is counted and the loop goes on. Source addresses have IPv4-mapped IPv6 normalised to IPv4 (§3.1, §3.9).
import { ipFromText, ipToText } from "../wire/ip.ts";
import type { Datagram, NetAddr, PacketConn } from "./packet_conn.ts";
import { raiseUdpBuffers, type SocketBuffers } from "./socket_buffers.ts";

/** The largest UDP payload (IPv4: 65,535 − 20 − 8); the receive buffer never needs more. */
export const UDP_MAX_PAYLOAD_BYTES = 65_507;
/**
 * Kernel receive and send buffer asked for (socket_buffers.ts): 4 MiB holds a full receive window of large
 * datagrams, so a burst from a fast peer is not lost in the kernel. The kernel may grant less.
 */
export const UDP_SOCKET_BUFFER_BYTES = 4 * 1024 * 1024;
/** Datagrams held for a slow reader before new ones are dropped. */
export const UDP_RECEIVE_QUEUE_MAX = 4096;
/** After this many receive errors in a row the loop pauses briefly instead of spinning. */
const RECEIVE_ERRORS_BEFORE_PAUSE = 64;
const RECEIVE_ERROR_PAUSE_MS = 10;
const COMPACT_AFTER = 1024;
/** Host texts whose normal form is remembered per socket: parsing an address per datagram is measurable. */
const HOST_CACHE_MAX = 256;

export interface UdpListenOptions {
  /** Local address; default `0.0.0.0`. */
  readonly hostname?: string;
  /** Local port; 0 (default) picks a free one. */
  readonly port?: number;
  readonly receiveQueueMax?: number;
  /** Kernel buffer size to ask for (default UDP_SOCKET_BUFFER_BYTES); 0 keeps the system default. */
  readonly socketBufferBytes?: number;
}

/** The canonical text of an address's host: IPv4-mapped IPv6 becomes dotted IPv4; non-IP names are kept. */
export function normalizeHost(hostname: string): string {
  const bare = hostname.startsWith("[") && hostname.endsWith("]") ? hostname.slice(1, -1) : hostname;
  const ip = ipFromText(bare);
  return ip === null ? bare : ipToText(ip);
}

export class UdpPacketConn implements PacketConn {
  readonly localAddr: NetAddr;
  /** The kernel buffers after asking for larger ones; null when they could not be changed (system default). */
  socketBuffers: SocketBuffers | null = null;
  readonly #socket: Deno.DatagramConn;
  readonly #dualStack: boolean;
  readonly #queueMax: number;
  readonly #queue: Datagram[] = [];
  #queueHead = 0;
  #waiters: ((d: Datagram | null) => void)[] = [];
  readonly #abort = new AbortController();
  readonly #loop: Promise<void>;
  #closing: Promise<void> | null = null;
  #dropped = 0;
  #receiveErrors = 0;
  /** normalizeHost() answers by host text as the runtime reports it (a pure function, so memoised). */
  readonly #hosts = new Map<string, string>();
  /** The source of the previous datagram: consecutive datagrams from one peer share the object. */
  #lastFrom: NetAddr | null = null;

  private constructor(socket: Deno.DatagramConn, queueMax: number) {
    this.#socket = socket;
    this.#queueMax = queueMax;
    const addr = socket.addr as Deno.NetAddr;
    const host = normalizeHost(addr.hostname);
    this.localAddr = { hostname: host, port: addr.port };
    this.#dualStack = host.includes(":");
    this.#loop = this.#receiveLoop();
  }

  /** Binds a UDP socket and starts its receive loop. */
  static listen(opts: UdpListenOptions = {}): UdpPacketConn {
    const socket = Deno.listenDatagram({
      transport: "udp",
      hostname: opts.hostname ?? "0.0.0.0",
      port: opts.port ?? 0,
    });
    const conn = new UdpPacketConn(socket, opts.receiveQueueMax ?? UDP_RECEIVE_QUEUE_MAX);
    const bytes = opts.socketBufferBytes ?? UDP_SOCKET_BUFFER_BYTES;
    if (bytes > 0) conn.socketBuffers = raiseUdpBuffers(conn.localAddr.port, conn.#dualStack, bytes);
    return conn;
  }

  get receiveBufferBytes(): number | null {
    return this.socketBuffers?.receiveBytes ?? null;
  }

  /** Datagrams dropped because the reader fell behind. */
  get droppedDatagrams(): number {
    return this.#dropped;
  }

  /** Receive errors the loop survived. */
  get receiveErrors(): number {
    return this.#receiveErrors;
  }

  async send(data: Uint8Array, to: NetAddr): Promise<void> {
    if (this.#abort.signal.aborted) throw new Error(`cannot send to ${to.hostname}:${to.port}: socket closed`);
    let hostname = this.#normalized(to.hostname);
    // An IPv6 socket reaches IPv4 hosts through their IPv4-mapped form.
    if (this.#dualStack && !hostname.includes(":")) hostname = `::ffff:${hostname}`;
    await this.#socket.send(data, { transport: "udp", hostname, port: to.port });
  }

  receive(): Promise<Datagram | null> {
    if (this.#queueHead < this.#queue.length) {
      const d = this.#queue[this.#queueHead++];
      if (this.#queueHead === this.#queue.length) {
        this.#queue.length = 0;
        this.#queueHead = 0;
      } else if (this.#queueHead >= COMPACT_AFTER && this.#queueHead * 2 >= this.#queue.length) {
        // A reader that never quite catches up must not grow the array forever.
        this.#queue.splice(0, this.#queueHead);
        this.#queueHead = 0;
      }
      return Promise.resolve(d);
    }
    if (this.#abort.signal.aborted) return Promise.resolve(null);
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  close(): Promise<void> {
    this.#closing ??= this.#shutdown();
    return this.#closing;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #shutdown(): Promise<void> {
    this.#abort.abort();
    try {
      this.#socket.close();
    } catch {
      // already closed by the runtime
    }
    await this.#loop;
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w(null);
  }

  async #receiveLoop(): Promise<void> {
    const signal = this.#abort.signal;
    const buffer = new Uint8Array(UDP_MAX_PAYLOAD_BYTES + 1);
    let errorsInARow = 0;
    while (!signal.aborted) {
      let received: [Uint8Array, Deno.Addr];
      try {
        received = await this.#socket.receive(buffer);
      } catch {
        if (signal.aborted) break;
        // One bad datagram (e.g. ICMP unreachable surfacing as an error) must not end the loop.
        this.#receiveErrors++;
        if (++errorsInARow >= RECEIVE_ERRORS_BEFORE_PAUSE) {
          errorsInARow = 0;
          await pause(RECEIVE_ERROR_PAUSE_MS, signal);
        }
        continue;
      }
      errorsInARow = 0;
      const [data, addr] = received;
      if (addr.transport !== "udp") continue;
      this.#push([data.slice(), this.#source(addr.hostname, addr.port)]);
    }
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w(null);
  }

  #normalized(host: string): string {
    let normal = this.#hosts.get(host);
    if (normal === undefined) {
      normal = normalizeHost(host);
      if (this.#hosts.size >= HOST_CACHE_MAX) this.#hosts.clear();
      this.#hosts.set(host, normal);
    }
    return normal;
  }

  #source(host: string, port: number): NetAddr {
    const hostname = this.#normalized(host);
    const last = this.#lastFrom;
    if (last !== null && last.port === port && last.hostname === hostname) return last;
    const from = { hostname, port };
    this.#lastFrom = from;
    return from;
  }

  #push(d: Datagram): void {
    const waiter = this.#waiters.shift();
    if (waiter !== undefined) {
      waiter(d);
      return;
    }
    if (this.#queue.length - this.#queueHead >= this.#queueMax) {
      this.#dropped++;
      return;
    }
    this.#queue.push(d);
  }
}

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const id = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
    function done(): void {
      clearTimeout(id);
      signal.removeEventListener("abort", done);
      resolve();
    }
  });
}
