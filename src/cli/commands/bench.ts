// `pilotctl bench <target> [size_mb=1] [--timeout 120s]` (CLI.md §3.8, PROTOCOL-BRIEF §9.1): streams size_mb MB
// (10^6 bytes) to the echo port while reading the echo back, and reports both rates in Mbit/s and the path
// (direct or relay). Human mode shows progress on stderr.
import { ConnectionFailedError, InvalidArgumentError } from "../../util/errors.ts";
import { type DaemonSession, parseTarget, peerError, withDaemon } from "../daemon_client.ts";
import { formatSize } from "../format.ts";
import type { CommandContext, CommandResult, CommandSpec } from "../spec.ts";
import { ECHO_PORT, positiveTimeoutMs, timeoutFlag } from "./options.ts";
import { roundMs } from "./ping.ts";
import { dialTarget } from "./send.ts";
import { ByteReader } from "./stream_io.ts";

export const BENCH_MAX_MB = 1024;
const BYTES_PER_MB = 1_000_000;
/** Bytes handed to the stream per write. */
export const BENCH_CHUNK_BYTES = 65_536;
/** A progress line each time this fraction more of the echo is back. */
const PROGRESS_STEP_PCT = 10;

export function parseSizeMb(text: string): number {
  const mb = /^\d+(?:\.\d+)?$/.test(text) ? Number(text) : NaN;
  if (!(mb > 0 && mb <= BENCH_MAX_MB)) {
    throw new InvalidArgumentError(`invalid size "${text}" (more than 0 and at most ${BENCH_MAX_MB} MB)`);
  }
  return mb;
}

/** Mbit/s from bytes and milliseconds. */
export function mbps(bytes: number, ms: number): number {
  return Math.round((bytes * 8) / (Math.max(ms, 0.001) * 1000) * 1000) / 1000;
}

/** The tunnel path to a node, from the daemon's peer list; a node without a tunnel (yourself) is `direct`. */
export async function peerPath(session: DaemonSession, nodeId: number): Promise<"direct" | "relay"> {
  const info = await session.request("info", {});
  return info.peer_list?.find((p) => p.node_id === nodeId)?.path === "relay" ? "relay" : "direct";
}

async function writeAll(writer: WritableStreamDefaultWriter<Uint8Array>, total: number): Promise<void> {
  const chunk = new Uint8Array(Math.min(BENCH_CHUNK_BYTES, total));
  for (let i = 0; i < chunk.length; i++) chunk[i] = i & 0xff;
  for (let sent = 0; sent < total; sent += chunk.length) {
    await writer.write(chunk.subarray(0, Math.min(chunk.length, total - sent)));
  }
  await writer.close();
}

export function benchHuman(d: {
  sent_bytes: number;
  send_duration_ms: number;
  send_mbps: number;
  total_duration_ms: number;
  total_mbps: number;
  path: string;
}): string {
  return `Sent ${formatSize(d.sent_bytes)} in ${Math.round(d.send_duration_ms)} ms (${
    d.send_mbps.toFixed(1)
  } Mbit/s); ` +
    `round trip ${Math.round(d.total_duration_ms)} ms (${d.total_mbps.toFixed(1)} Mbit/s), ${d.path}`;
}

export async function runBench(ctx: CommandContext): Promise<CommandResult> {
  const total = Math.round(parseSizeMb(ctx.args.require("size_mb")) * BYTES_PER_MB);
  const timeoutMs = positiveTimeoutMs(ctx);
  const given = parseTarget(ctx.args.require("target"));
  return await withDaemon(ctx, async (session) => {
    const target = await session.resolveTarget(given);
    const stream = await dialTarget(session, target, ECHO_PORT);
    try {
      const path = await peerPath(session, target.nodeId);
      let reported = 0;
      let notes = Promise.resolve();
      const progress = (received: number) => {
        const pct = Math.floor((received / total) * 100);
        if (pct < reported + PROGRESS_STEP_PCT) return;
        reported = pct - (pct % PROGRESS_STEP_PCT);
        const line = `bench  ${pct}%  ${formatSize(received)} / ${formatSize(total)}`;
        notes = notes.then(() => session.note(line)).catch(() => {});
      };
      using reader = new ByteReader(stream.readable, session.deadline.signal);
      const start = performance.now();
      let sendMs = 0;
      const [, received] = await Promise.all([
        writeAll(stream.writable.getWriter(), total).then(() => {
          sendMs = performance.now() - start;
        }),
        reader.discard(total, progress),
      ]);
      const totalMs = performance.now() - start;
      await notes;
      if (received < total) {
        if (session.deadline.expired) throw new Error("deadline");
        throw new ConnectionFailedError(`echo from ${target.address} ended after ${received} of ${total} bytes`);
      }
      const data = {
        target: target.address,
        sent_bytes: total,
        recv_bytes: received,
        send_duration_ms: roundMs(sendMs),
        total_duration_ms: roundMs(totalMs),
        send_mbps: mbps(total, sendMs),
        total_mbps: mbps(received, totalMs),
        path,
      };
      return { data, human: benchHuman(data) };
    } catch (err) {
      throw peerError(err, target.address, session.deadline);
    } finally {
      await stream.close("both").catch(() => {});
    }
  }, timeoutMs);
}

export const benchCommand: CommandSpec = {
  name: "bench",
  summary: "Measure throughput through a node's echo port",
  description: "Streams size_mb MB (10^6 bytes) to echo port 7 and reads it back. Rates are in Mbit/s; human " +
    "mode shows progress on stderr.",
  args: [
    { name: "target", description: "Address, node ID or hostname", required: true },
    { name: "size_mb", description: "Megabytes to send (more than 0, at most 1024)", required: false, default: "1" },
  ],
  flags: [timeoutFlag("120s")],
  returns: [
    "target",
    "sent_bytes",
    "recv_bytes",
    "send_duration_ms",
    "total_duration_ms",
    "send_mbps",
    "total_mbps",
    "path",
  ],
  needsDaemon: true,
  run: runBench,
};
