// `crypto_udp_ceiling_MBps`: the ceiling of this runtime for the tunnel's data path. A minimal loop between two
// processes does exactly the per-datagram work the tunnel cannot avoid, and nothing else: seal an overlay-sized
// plaintext with the tunnel's own Keyset (AES-256-GCM, PILS header as AAD, the AEAD path the tunnel picks: libcrypto
// through FFI when it loads, else node:crypto in line for small frames and WebCrypto off-thread for large ones), send
// it as one UDP datagram of the size the tunnel uses between two daemons on loopback (the probed path limit, §3.5),
// from and to sockets with the tunnel's kernel buffers, receive it in the other process and open it (replay window
// included). A window of bytes in flight, moved by the receiver's count reports, keeps the socket buffers from
// overflowing, as the stream transport's window does. The figure counts segment payload bytes
// (what a stream could carry in those datagrams), so `stream_throughput_MBps` divides by it directly.
import { asyncAeadMinBytes, Keyset } from "../../src/tunnel/keyset.ts";
import { LOOPBACK_PROBE_DATAGRAM_BYTES, maxProbeAckDatagramBytes, pathLimitOf } from "../../src/tunnel/mtu.ts";
import { randomBytes, toHex } from "../../src/util/bytes.ts";
import { HEADER_BYTES, PILS_OVERHEAD_BYTES } from "../../src/wire/mod.ts";
import { listenWithTunnelBuffers, QUERY_BYTES, REPORT_BYTES } from "./crypto_udp_peer.ts";
import { PilotProcess } from "./pilot_process.ts";
import type { BenchContext, BenchFigure, Benchmark } from "./types.ts";
import { quantile } from "./udp_echo.ts";

/** Bytes moved: the same as one stream of `stream_throughput_MBps`. */
export const STREAM_BYTES_FULL = 64 * 1024 * 1024;
export const STREAM_BYTES_QUICK = 16 * 1024 * 1024;
/** Untimed bytes first, so the JIT and the socket buffers have settled. */
const WARMUP_BYTES = 64 * 1024 * 1024;
/**
 * Bytes in flight: both sockets get the kernel buffers the tunnel's socket gets (UDP_SOCKET_BUFFER_BYTES, see
 * src/net/socket_buffers.ts), and the window stays within half of what the receiver was granted, so the loop
 * measures the work, not losses. Without larger buffers (no FFI): inside the default 208 KiB.
 */
const WINDOW_BYTES = 1024 * 1024;
const DEFAULT_WINDOW_BYTES = 96 * 1024;
/** The receiver reports its count this many times per window. */
const REPORTS_PER_WINDOW = 4;
/** No count report for this long with frames in flight: ask, and count what never arrived as lost. */
const STALL_MS = 200;
const PEER_READY_TIMEOUT_MS = 30_000;
const MB = 1_000_000;
/** Timed runs (the median is reported), as many as the stream figures have. */
const RUNS = 3;
/** Losing more than this means the figure is not a clean ceiling. */
const MAX_LOSS_RATIO = 0.01;

interface Counts {
  readonly good: number;
  readonly bad: number;
}

/** The sending half: a socket, a reader of count reports, and the window. */
class Sender {
  readonly #conn: Deno.DatagramConn;
  readonly #to: Deno.NetAddr;
  readonly #keyset: Keyset;
  readonly #plaintext: Uint8Array;
  #counts: Counts = { good: 0, bad: 0 };
  #reportedAt = performance.now();
  #wake: (() => void) | null = null;
  readonly #window: number;
  #sent = 0;
  #lost = 0;
  #queries = 0;
  #answered = 0;
  readonly #reader: Promise<void>;

  constructor(port: number, key: Uint8Array, segmentBytes: number, window: number) {
    this.#window = window;
    this.#conn = listenWithTunnelBuffers().conn;
    this.#to = { transport: "udp", hostname: "127.0.0.1", port };
    this.#keyset = new Keyset({
      peerNode: 2,
      localIndex: 1,
      remoteIndex: 2,
      role: "initiator",
      createdAtMs: performance.now(),
      sendKey: key,
      receiveKey: randomBytes(32),
    });
    this.#plaintext = randomBytes(HEADER_BYTES + segmentBytes);
    this.#plaintext[0] = 0x10;
    this.#reader = this.#readReports();
  }

  get counts(): Counts {
    return this.#counts;
  }

  get lost(): number {
    return this.#lost;
  }

  /** Sends `frames` more frames through the window; resolves once every one is reported or counted lost. */
  async run(frames: number): Promise<void> {
    const target = this.#sent + frames;
    while (this.#sent < target) {
      const room = Math.min(this.#window - this.#inFlight(), target - this.#sent);
      if (room <= 0) {
        await this.#waitReport();
        continue;
      }
      const frames: (Uint8Array | Promise<Uint8Array>)[] = [];
      for (let i = 0; i < room; i++) frames.push(this.#seal());
      this.#sent += room;
      const sends: Promise<number>[] = [];
      for (const frame of frames) {
        sends.push(this.#conn.send(frame instanceof Uint8Array ? frame : await frame, this.#to));
      }
      await Promise.all(sends);
    }
    // The last frames may not fill a report batch: ask at once instead of waiting for a stall.
    if (this.#inFlight() > 0) await this.#query();
  }

  async close(): Promise<void> {
    this.#conn.close();
    await this.#reader.catch(() => {});
  }

  /** The tunnel's choice of AEAD path for this size (core.ts sendSealed). */
  #seal(): Uint8Array | Promise<Uint8Array> {
    const p = this.#plaintext;
    return p.length >= asyncAeadMinBytes() ? this.#keyset.sealAsync(p) : this.#keyset.seal(p);
  }

  #inFlight(): number {
    return this.#sent - this.#counts.good - this.#counts.bad - this.#lost;
  }

  /** Waits for the next report; after STALL_MS without one, queries, and what the answer lacks was lost. */
  async #waitReport(): Promise<void> {
    await this.#nextReport(STALL_MS);
    if (performance.now() - this.#reportedAt < STALL_MS) return;
    await this.#query();
  }

  /** Asks the receiver for its count; frames sent before the question and missing from the answer were lost. */
  async #query(): Promise<void> {
    const sentBefore = this.#sent;
    const query = ++this.#queries;
    const bytes = new Uint8Array(QUERY_BYTES);
    new DataView(bytes.buffer).setUint32(0, query);
    await this.#conn.send(bytes, this.#to);
    const deadline = performance.now() + STALL_MS * 10;
    while (this.#answered < query && performance.now() < deadline) await this.#nextReport(STALL_MS);
    if (this.#answered < query) throw new Error("crypto_udp: the receiver stopped answering");
    // Loopback keeps order: a frame sent before the query and missing from its answer is not coming.
    this.#lost = Math.max(this.#lost, sentBefore - this.#counts.good - this.#counts.bad);
  }

  async #nextReport(ms: number): Promise<void> {
    const wait = new Promise<void>((resolve) => this.#wake = resolve);
    const timer = setTimeout(() => this.#wake?.(), ms);
    await wait;
    clearTimeout(timer);
  }

  async #readReports(): Promise<void> {
    const buf = new Uint8Array(64);
    for (;;) {
      const [data] = await this.#conn.receive(buf);
      if (data.length !== REPORT_BYTES) continue;
      const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
      this.#counts = { good: view.getUint32(0), bad: view.getUint32(4) };
      this.#answered = Math.max(this.#answered, view.getUint32(8));
      this.#reportedAt = performance.now();
      const wake = this.#wake;
      this.#wake = null;
      wake?.();
    }
  }
}

/**
 * What two daemons on this machine use: the segment payload of the largest MTU probe a receiver with the tunnel's
 * socket buffers acknowledges (src/tunnel/mtu.ts), and datagrams in flight — WINDOW_BYTES where the buffers could be
 * raised (both ends do it alike), else what fits the default buffer.
 */
function tunnelShape(): { segment: number; window: number } {
  const probe = listenWithTunnelBuffers();
  probe.conn.close();
  const receive = probe.buffers?.receiveBytes ?? null;
  const datagram = Math.min(LOOPBACK_PROBE_DATAGRAM_BYTES, maxProbeAckDatagramBytes(receive));
  const windowBytes = receive !== null && receive >= 2 * WINDOW_BYTES ? WINDOW_BYTES : DEFAULT_WINDOW_BYTES;
  return { segment: pathLimitOf(datagram), window: Math.max(2, Math.floor(windowBytes / datagram)) };
}

async function startReceiver(key: Uint8Array, reportEvery: number): Promise<{ port: number; process: PilotProcess }> {
  const script = new URL("./crypto_udp_peer.ts", import.meta.url).pathname;
  const process = PilotProcess.spawnScript(script, [toHex(key), String(reportEvery)]);
  try {
    const out = await process.waitForStdout((s) => s.includes("\n"), PEER_READY_TIMEOUT_MS);
    return { port: Number(JSON.parse(out.slice(0, out.indexOf("\n"))).port), process };
  } catch (err) {
    await process[Symbol.asyncDispose]();
    throw err;
  }
}

export const cryptoUdpBenchmark: Benchmark = {
  name: "crypto_udp",
  async run(ctx: BenchContext): Promise<BenchFigure[]> {
    const bytes = ctx.quick ? STREAM_BYTES_QUICK : STREAM_BYTES_FULL;
    const { segment, window } = tunnelShape();
    const frames = Math.ceil(bytes / segment);
    const key = randomBytes(32);
    const datagram = HEADER_BYTES + segment + PILS_OVERHEAD_BYTES;
    const receiver = await startReceiver(key, Math.max(1, Math.floor(window / REPORTS_PER_WINDOW)));
    await using _peer = receiver.process;
    const sender = new Sender(receiver.port, key, segment, window);
    try {
      ctx.progress(`crypto_udp: ${frames} frames of ${datagram} B (AES-256-GCM) to another process on 127.0.0.1`);
      await sender.run(Math.ceil(WARMUP_BYTES / segment));
      const rates: number[] = [];
      let lost = 0;
      for (let i = 0; i < RUNS; i++) {
        const before = sender.counts.good;
        const lostBefore = sender.lost;
        const started = performance.now();
        await sender.run(frames);
        const ms = performance.now() - started;
        rates.push(((sender.counts.good - before) * segment) / MB / (ms / 1000));
        lost += sender.lost - lostBefore;
      }
      if (sender.counts.bad > 0) throw new Error(`crypto_udp: ${sender.counts.bad} frames failed to open`);
      if (lost > RUNS * frames * MAX_LOSS_RATIO) throw new Error(`crypto_udp: ${lost} of ${RUNS * frames} frames lost`);
      const note = `median of ${RUNS} × ${frames} frames: ${segment} B payload in ${datagram} B datagrams, ` +
        `${window} in flight` + (lost > 0 ? `, ${lost} lost` : "");
      return [{
        key: "crypto_udp_ceiling_MBps",
        value: quantile(rates.sort((a, b) => a - b), 0.5),
        unit: "MB/s",
        note,
      }];
    } finally {
      await sender.close();
    }
  },
};
