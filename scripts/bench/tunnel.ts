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
const WARMUP_PINGS = 200;
const COLD_PINGS_FULL = 5;
const COLD_PINGS_QUICK = 3;
const PARALLEL_STREAMS = 4;
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

async function drain(stream: IpcStream): Promise<number> {
  let total = 0;
  for await (const chunk of stream.readable) total += chunk.length;
  return total;
}

async function fill(stream: IpcStream, bytes: number): Promise<void> {
  const chunk = new Uint8Array(WRITE_CHUNK_BYTES);
  for (let i = 0; i < chunk.length; i++) chunk[i] = i & 0xff;
  const writer = stream.writable.getWriter();
  for (let sent = 0; sent < bytes; sent += chunk.length) {
    await writer.write(chunk.subarray(0, Math.min(chunk.length, bytes - sent)));
  }
  await writer.close();
}

/**
 * `streams` connections from `from` to a port bound by `to`, `total` bytes split evenly; the time runs from the first
 * write until every receiver has read its last byte and the end of stream.
 */
async function throughput(from: IpcClient, to: IpcClient, toNode: number, streams: number, total: number) {
  const { port } = await to.request("bind", { port: 0, proto: "stream" });
  try {
    const accepted = Array.from({ length: streams }, () => to.acceptStream(port));
    const dialed: IpcStream[] = [];
    for (let i = 0; i < streams; i++) dialed.push(await from.dialStream({ addr: String(toNode), port }));
    const receivers = await Promise.all(accepted);
    const per = Math.floor(total / streams);
    const start = performance.now();
    const [received] = await Promise.all([
      Promise.all(receivers.map(drain)),
      Promise.all(dialed.map((s) => fill(s, per))),
    ]);
    const ms = performance.now() - start;
    const got = received.reduce((a, b) => a + b, 0);
    if (got !== per * streams) throw new Error(`tunnel: ${got} of ${per * streams} bytes arrived`);
    await Promise.all([...dialed, ...receivers].map((s) => s.close("both").catch(() => {})));
    return got / MB / (ms / 1000);
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
        ctx.progress(`tunnel: one stream of ${bytes / 1024 / 1024} MiB`);
        const one = await throughput(ca, cb, bob.nodeId, 1, bytes);
        ctx.progress(`tunnel: ${PARALLEL_STREAMS} parallel streams, ${bytes / 1024 / 1024} MiB in all`);
        const four = await throughput(ca, cb, bob.nodeId, PARALLEL_STREAMS, bytes);
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
        const streamNote = `${bytes / 1024 / 1024} MiB, IPC client → daemon → tunnel → daemon → IPC client`;
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
