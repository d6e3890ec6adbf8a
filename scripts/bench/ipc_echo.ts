// Baseline `ipc_echo_rtt_ms`: the median round trip of one IPC frame (PROTOCOL-BRIEF §8.2) over a Unix socket between
// this process and an echo server process, one frame in flight. The frame is a STREAM_DATA frame carrying a `ping`
// probe (`ping-<seq>`), written and read the way the IPC client does; the server decodes it with the daemon's frame
// reader and writes it back re-encoded. A tunnel ping crosses this hop once in each direction of its round trip
// (client → daemon → client), so the tunnel target is read against it.
import { encodeIpcFrame, IpcFrameReader } from "../../src/wire/ipc_frame.ts";
import { PilotProcess } from "./pilot_process.ts";
import type { BenchContext, BenchFigure, Benchmark } from "./types.ts";
import { quantile } from "./udp_echo.ts";

const PINGS_FULL = 5_000;
const PINGS_QUICK = 1_000;
const WARMUP_PINGS = 200;
const READ_CHUNK_BYTES = 65_536;
const PEER_READY_TIMEOUT_MS = 30_000;
const ENCODER = new TextEncoder();

async function measure(path: string, pings: number): Promise<number[]> {
  const conn = await Deno.connect({ transport: "unix", path });
  const reader = new IpcFrameReader();
  const buf = new Uint8Array(READ_CHUNK_BYTES);
  const rtts: number[] = [];
  try {
    for (let seq = 1; seq <= WARMUP_PINGS + pings; seq++) {
      const data = ENCODER.encode(`ping-${seq}`);
      const frame = encodeIpcFrame({ kind: "stream_data", id: seq, conn: 1, data });
      const sentAt = performance.now();
      for (let off = 0; off < frame.length;) off += await conn.write(frame.subarray(off));
      for (;;) {
        const r = reader.next();
        if (r.kind === "frame") {
          if (r.frame.kind !== "stream_data" || r.frame.id !== seq) throw new Error("ipc_echo: unexpected frame");
          break;
        }
        if (r.kind !== "need_more") throw new Error(`ipc_echo: bad frame (${r.kind})`);
        const n = await conn.read(buf);
        if (n === null) throw new Error("ipc_echo: the server closed the connection");
        reader.push(buf.subarray(0, n));
      }
      if (seq > WARMUP_PINGS) rtts.push(performance.now() - sentAt);
    }
  } finally {
    conn.close();
  }
  return rtts;
}

export const ipcEchoBenchmark: Benchmark = {
  name: "ipc_echo",
  async run(ctx: BenchContext): Promise<BenchFigure[]> {
    const pings = ctx.quick ? PINGS_QUICK : PINGS_FULL;
    const dir = await Deno.makeTempDir({ prefix: "pilot-bench-ipc-" });
    try {
      const path = `${dir}/echo.sock`;
      const script = new URL("./ipc_echo_server.ts", import.meta.url).pathname;
      await using server = PilotProcess.spawnScript(script, [path]);
      await server.waitForStdout((s) => s.includes("\n"), PEER_READY_TIMEOUT_MS);
      ctx.progress(`ipc_echo: ${pings} STREAM_DATA frames over a Unix socket to another process`);
      const sorted = (await measure(path, pings)).sort((a, b) => a - b);
      const note = `${sorted.length} frames, 1 in flight, IPC framing`;
      return [
        { key: "ipc_echo_rtt_ms", value: quantile(sorted, 0.5), unit: "ms", note },
        { key: "ipc_echo_rtt_p99_ms", value: quantile(sorted, 0.99), unit: "ms", note },
      ];
    } finally {
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
};
