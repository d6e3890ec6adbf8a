// The overlay between two real daemons on loopback (`daemon run` processes, one registry process, mutual trust):
// `tunnel_ping_rtt_ms` — `ping`'s probe (a stream to echo port 7, `ping-<seq>` out and back) over a warm tunnel, from
// an IPC client of the first daemon, probes back to back; `stream_throughput_MBps` — one stream carrying 64 MiB
// (16 MiB with --quick) from an IPC client of one daemon to an IPC client of the other; `stream4_throughput_MBps` —
// the same bytes split over four parallel streams; `first_ping_ms` — dial + the first probe to a peer without a
// tunnel: the second daemon restarts (its BYE wipes the tunnel; it comes back on a new UDP port), a third daemon
// exercises it once so its code is as warm as a long-running daemon's, then the first daemon dials it: registry
// lookup, key lookups, the Noise handshake, the SYN exchange and the echo.
import type { IpcClient, IpcStream } from "../../src/ipc/mod.ts";
import { STREAM_BYTES_FULL, STREAM_BYTES_QUICK } from "./crypto_udp.ts";
import { DaemonProcess, trustPair } from "./daemon_process.ts";
import { RegistryProcess } from "./registry_process.ts";
import type { BenchContext, BenchFigure, Benchmark } from "./types.ts";
import { quantile } from "./udp_echo.ts";

const ECHO_PORT = 7;
const PINGS_FULL = 3_000;
const PINGS_QUICK = 1_000;
/** Untimed probes first: the daemons' code paths are compiled by the JIT after a few thousand packets. */
const WARMUP_PINGS = 1_000;
const COLD_PINGS_FULL = 5;
const COLD_PINGS_QUICK = 3;
const PARALLEL_STREAMS = 4;
/** Timed transfers per figure (the median is reported), after one untimed transfer. */
const TRANSFERS = 3;
/** The untimed transfer: the daemons' data path reaches its compiled speed only after some tens of MiB. */
const WARMUP_TRANSFER_BYTES = 64 * 1024 * 1024;
/** Bytes per write, as `pilotctl bench` writes. */
const WRITE_CHUNK_BYTES = 65_536;
const MB = 1_000_000;
const ENCODER = new TextEncoder();

/** Reads exactly `n` bytes from a stream reader, keeping what is left over for the next call. */
class ExactReader {
  readonly #reader: ReadableStreamDefaultReader<Uint8Array>;
  #left: Uint8Array = new Uint8Array(0);

  constructor(stream: IpcStream) {
    this.#reader = stream.readable.getReader();
  }

  async read(n: number): Promise<Uint8Array> {
    while (this.#left.length < n) {
      const r = await this.#reader.read();
      if (r.done) throw new Error("echo stream ended early");
      const joined = new Uint8Array(this.#left.length + r.value.length);
      joined.set(this.#left);
      joined.set(r.value, this.#left.length);
      this.#left = joined;
    }
    const out = this.#left.subarray(0, n);
    this.#left = this.#left.subarray(n);
    return out;
  }

  release(): void {
    this.#reader.releaseLock();
  }
}

/** One probe of `ping`: write `ping-<seq>`, time until the same bytes are back. */
async function probe(writer: WritableStreamDefaultWriter<Uint8Array>, reader: ExactReader, seq: number) {
  const payload = ENCODER.encode(`ping-${seq}`);
  const start = performance.now();
  await writer.write(payload);
  const echo = await reader.read(payload.length);
  const rtt = performance.now() - start;
  if (echo.some((b, i) => b !== payload[i])) throw new Error(`tunnel: echo of probe ${seq} differs`);
  return rtt;
}

async function warmPings(client: IpcClient, peer: number, count: number): Promise<number[]> {
  const stream = await client.dialStream({ addr: String(peer), port: ECHO_PORT });
  const writer = stream.writable.getWriter();
  const reader = new ExactReader(stream);
  const rtts: number[] = [];
  try {
    for (let seq = 1; seq <= WARMUP_PINGS + count; seq++) {
      const rtt = await probe(writer, reader, seq);
      if (seq > WARMUP_PINGS) rtts.push(rtt);
    }
  } finally {
    writer.releaseLock();
    reader.release();
    await stream.close("both").catch(() => {});
  }
  return rtts;
}

/** `dial` to the echo port plus the first probe, as `ping` does it. */
async function firstPing(client: IpcClient, peer: number): Promise<number> {
  const start = performance.now();
  const stream = await client.dialStream({ addr: String(peer), port: ECHO_PORT });
  const writer = stream.writable.getWriter();
  const reader = new ExactReader(stream);
  try {
    await probe(writer, reader, 1);
    return performance.now() - start;
  } finally {
    writer.releaseLock();
    reader.release();
    await stream.close("both").catch(() => {});
  }
}

/** Reads exactly `bytes` from a stream without keeping them. */
async function consume(reader: ReadableStreamDefaultReader<Uint8Array>, bytes: number): Promise<void> {
  for (let got = 0; got < bytes;) {
    const r = await reader.read();
    if (r.done) throw new Error(`tunnel: the stream ended after ${got} of ${bytes} bytes`);
    got += r.value.length;
  }
}

async function produce(writer: WritableStreamDefaultWriter<Uint8Array>, chunk: Uint8Array, bytes: number) {
  for (let sent = 0; sent < bytes; sent += chunk.length) {
    await writer.write(chunk.subarray(0, Math.min(chunk.length, bytes - sent)));
  }
}

/**
 * `streams` connections from `from` to a port bound by `to`, opened once: every transfer reuses them (a transfer per
 * dial would run into the inbound SYN rate limit, §10: 10/s per peer). Exact byte counts delimit the transfers.
 */
class StreamSet {
  readonly #writers: WritableStreamDefaultWriter<Uint8Array>[];
  readonly #readers: ReadableStreamDefaultReader<Uint8Array>[];
  readonly #streams: IpcStream[];
  readonly #chunk = new Uint8Array(WRITE_CHUNK_BYTES).map((_, i) => i & 0xff);

  private constructor(dialed: IpcStream[], accepted: IpcStream[]) {
    this.#streams = [...dialed, ...accepted];
    this.#writers = dialed.map((s) => s.writable.getWriter());
    this.#readers = accepted.map((s) => s.readable.getReader());
  }

  static async open(from: IpcClient, to: IpcClient, toNode: number, port: number, count: number): Promise<StreamSet> {
    const accepting = Array.from({ length: count }, () => to.acceptStream(port));
    const dialed: IpcStream[] = [];
    try {
      for (let i = 0; i < count; i++) dialed.push(await from.dialStream({ addr: String(toNode), port }));
    } finally {
      // Settle every accept, so a failed dial leaves no rejection unobserved.
      await Promise.allSettled(accepting);
    }
    return new StreamSet(dialed, await Promise.all(accepting));
  }

  /** `total` bytes split evenly; MB/s from the first write until every receiver has read its share. */
  async transfer(total: number): Promise<number> {
    const per = Math.floor(total / this.#writers.length);
    const start = performance.now();
    await Promise.all([
      ...this.#readers.map((r) => consume(r, per)),
      ...this.#writers.map((w) => produce(w, this.#chunk, per)),
    ]);
    return (per * this.#writers.length) / MB / ((performance.now() - start) / 1000);
  }

  async close(): Promise<void> {
    for (const w of this.#writers) w.releaseLock();
    for (const r of this.#readers) r.releaseLock();
    await Promise.all(this.#streams.map((s) => s.close("both").catch(() => {})));
  }
}

/** One untimed transfer of at least WARMUP_TRANSFER_BYTES, then the median of TRANSFERS timed ones. */
async function medianThroughput(from: IpcClient, to: IpcClient, toNode: number, streams: number, total: number) {
  const { port } = await to.request("bind", { port: 0, proto: "stream" });
  try {
    const set = await StreamSet.open(from, to, toNode, port, streams);
    try {
      await set.transfer(Math.max(total, WARMUP_TRANSFER_BYTES));
      const rates: number[] = [];
      for (let i = 0; i < TRANSFERS; i++) rates.push(await set.transfer(total));
      return quantile(rates.sort((a, b) => a - b), 0.5);
    } finally {
      await set.close();
    }
  } finally {
    await to.request("unbind", { port, proto: "stream" }).catch(() => {});
  }
}

export const tunnelBenchmark: Benchmark = {
  name: "tunnel",
  async run(ctx: BenchContext): Promise<BenchFigure[]> {
    const pings = ctx.quick ? PINGS_QUICK : PINGS_FULL;
    const colds = ctx.quick ? COLD_PINGS_QUICK : COLD_PINGS_FULL;
    const bytes = ctx.quick ? STREAM_BYTES_QUICK : STREAM_BYTES_FULL;
    const root = await Deno.makeTempDir({ prefix: "pilot-bench-tunnel-" });
    try {
      await using registry = await RegistryProcess.start({ store: ":memory:", limitsOff: true });
      await using alice = await DaemonProcess.start({ root, name: "alice", registry });
      await using warmer = await DaemonProcess.start({ root, name: "warmer", registry });
      let bob = await DaemonProcess.start({ root, name: "bob", registry });
      const ca = await alice.connect();
      const cw = await warmer.connect();
      let cb = await bob.connect();
      try {
        await trustPair(ca, alice.nodeId, cb, bob.nodeId);
        await trustPair(cw, warmer.nodeId, cb, bob.nodeId);
        ctx.progress(`tunnel: ${pings} pings over a warm tunnel (+${WARMUP_PINGS} warm-up)`);
        const rtts = (await warmPings(ca, bob.nodeId, pings)).sort((a, b) => a - b);
        ctx.progress(`tunnel: one stream of ${bytes / 1024 / 1024} MiB (1 warm-up, median of ${TRANSFERS})`);
        const one = await medianThroughput(ca, cb, bob.nodeId, 1, bytes);
        ctx.progress(`tunnel: ${PARALLEL_STREAMS} parallel streams, ${bytes / 1024 / 1024} MiB in all`);
        const four = await medianThroughput(ca, cb, bob.nodeId, PARALLEL_STREAMS, bytes);
        ctx.progress(`tunnel: ${colds} first pings to a restarted (cold) peer`);
        const firsts: number[] = [];
        for (let i = 0; i < colds; i++) {
          await cb.close();
          await bob.stop();
          bob = await DaemonProcess.start({ root, name: "bob", registry });
          cb = await bob.connect();
          await warmPings(cw, bob.nodeId, 0);
          firsts.push(await firstPing(ca, bob.nodeId));
        }
        firsts.sort((a, b) => a - b);
        const pingNote = `${rtts.length} probes back to back, stream to echo port 7, IPC client of one daemon`;
        const streamNote = `${
          bytes / 1024 / 1024
        } MiB, median of ${TRANSFERS}, IPC client → daemon → tunnel → daemon → IPC client`;
        return [
          { key: "tunnel_ping_rtt_ms", value: quantile(rtts, 0.5), unit: "ms", note: pingNote },
          { key: "tunnel_ping_rtt_p99_ms", value: quantile(rtts, 0.99), unit: "ms", note: pingNote },
          {
            key: "first_ping_ms",
            value: quantile(firsts, 0.5),
            unit: "ms",
            note: `median of ${firsts.length}: dial (lookup, handshake, SYN) + first probe, no tunnel to the peer yet`,
          },
          { key: "stream_throughput_MBps", value: one, unit: "MB/s", note: `1 stream, ${streamNote}` },
          {
            key: "stream4_throughput_MBps",
            value: four,
            unit: "MB/s",
            note: `${PARALLEL_STREAMS} streams, ${streamNote}`,
          },
        ];
      } finally {
        await ca.close().catch(() => {});
        await cw.close().catch(() => {});
        await cb.close().catch(() => {});
        await bob[Symbol.asyncDispose]();
      }
    } finally {
      await Deno.remove(root, { recursive: true }).catch(() => {});
    }
  },
};
