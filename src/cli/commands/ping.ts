// `pilotctl ping <target> [--count 4] [--timeout 30s]` (CLI.md §3.8, PROTOCOL-BRIEF §9.1): opens one stream to the
// echo port and sends `ping-<seq>` (seq from 1), one second apart, timing each echo. Some replies are success;
// none at all is the first probe's failure (`timeout`, `connection_failed`, `unauthorized`).
import { InternalError, type PilotError } from "../../util/errors.ts";
import { bytesEqual } from "../../util/bytes.ts";
import { type DaemonSession, parseTarget, peerError, type ResolvedTarget, withDaemon } from "../daemon_client.ts";
import type { CommandContext, CommandResult, CommandSpec } from "../spec.ts";
import { countFlag, ECHO_PORT, positiveCount, positiveTimeoutMs, timeoutFlag } from "./options.ts";
import { dialTarget } from "./send.ts";
import { ByteReader, delay } from "./stream_io.ts";

/** Probes go out this far apart (CLI.md §3.8). */
export const PING_INTERVAL_MS = 1_000;

export interface PingDeps {
  /** Test seam: the spacing of probes. */
  readonly intervalMs?: number;
}

export interface ProbeResult {
  readonly seq: number;
  readonly bytes: number | null;
  readonly rtt_ms: number | null;
  readonly error: string | null;
}

/** Milliseconds with 3 decimals, as numbers in `data`. */
export function roundMs(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

/** Writes `payload` to an echo stream and times its return; a different echo is an error. */
export async function echoRoundTrip(
  writer: WritableStreamDefaultWriter<Uint8Array>,
  reader: ByteReader,
  payload: Uint8Array,
): Promise<number> {
  const start = performance.now();
  await writer.write(payload);
  const echo = await reader.readExactly(payload.length);
  const rtt = performance.now() - start;
  if (!bytesEqual(echo, payload)) throw new InternalError("echo did not match the probe");
  return rtt;
}

export interface PingStats {
  readonly sent: number;
  readonly received: number;
  readonly loss_pct: number;
  readonly min_ms: number | null;
  readonly avg_ms: number | null;
  readonly max_ms: number | null;
}

export function pingStats(results: readonly ProbeResult[]): PingStats {
  const rtts = results.flatMap((r) => r.rtt_ms === null ? [] : [r.rtt_ms]);
  const sent = results.length;
  const received = rtts.length;
  const loss = sent === 0 ? 0 : Math.round(((sent - received) / sent) * 1000) / 10;
  return {
    sent,
    received,
    loss_pct: loss,
    min_ms: received === 0 ? null : Math.min(...rtts),
    avg_ms: received === 0 ? null : roundMs(rtts.reduce((a, b) => a + b, 0) / received),
    max_ms: received === 0 ? null : Math.max(...rtts),
  };
}

export function probeLine(r: ProbeResult): string {
  return r.error !== null
    ? `seq=${r.seq} error: ${r.error}`
    : `seq=${r.seq} bytes=${r.bytes} time=${r.rtt_ms!.toFixed(3)}ms`;
}

export function summaryLine(s: PingStats): string {
  const rtt = s.received === 0
    ? ""
    : `, rtt min/avg/max ${s.min_ms!.toFixed(3)}/${s.avg_ms!.toFixed(3)}/${s.max_ms!.toFixed(3)} ms`;
  return `--- ${s.sent} sent, ${s.received} received, ${s.loss_pct}% loss${rtt}`;
}

async function probe(
  session: DaemonSession,
  target: ResolvedTarget,
  count: number,
  intervalMs: number,
): Promise<{ results: ProbeResult[]; failure: PilotError | null }> {
  const deadline = session.deadline;
  const stream = await dialTarget(session, target, ECHO_PORT);
  const results: ProbeResult[] = [];
  let failure: PilotError | null = null;
  try {
    using reader = new ByteReader(stream.readable, deadline.signal);
    const writer = stream.writable.getWriter();
    let nextAt = performance.now();
    for (let seq = 1; seq <= count; seq++) {
      await delay(nextAt - performance.now(), deadline.signal);
      if (deadline.expired) break;
      nextAt = performance.now() + intervalMs;
      const payload = new TextEncoder().encode(`ping-${seq}`);
      let result: ProbeResult;
      try {
        const rtt = await echoRoundTrip(writer, reader, payload);
        result = { seq, bytes: payload.length, rtt_ms: roundMs(rtt), error: null };
      } catch (err) {
        const e = peerError(err, target.address, deadline);
        failure ??= e;
        result = { seq, bytes: null, rtt_ms: null, error: e.message };
      }
      results.push(result);
      await session.print(probeLine(result));
      // A failed probe leaves the stream closed or out of step: later probes cannot succeed.
      if (result.error !== null) break;
    }
  } finally {
    await stream.close("both").catch(() => {});
  }
  return { results, failure };
}

export function pingCommandWith(deps: PingDeps): CommandSpec {
  const intervalMs = deps.intervalMs ?? PING_INTERVAL_MS;
  return {
    name: "ping",
    summary: "Measure round trips to a node's echo port",
    description: "Opens a stream to echo port 7 and sends ping-<seq> (seq from 1), 1 s apart, timing each echo. " +
      "Some replies is success; none at all fails.",
    args: [{ name: "target", description: "Address, node ID or hostname", required: true }],
    flags: [countFlag(4, "Probes to send (at least 1)"), timeoutFlag("30s")],
    returns: ["target", "results", "sent", "received", "loss_pct", "min_ms", "avg_ms", "max_ms"],
    needsDaemon: true,
    run: async (ctx: CommandContext): Promise<CommandResult> => {
      const count = positiveCount(ctx);
      const timeoutMs = positiveTimeoutMs(ctx);
      const given = parseTarget(ctx.args.require("target"));
      return await withDaemon(ctx, async (session) => {
        const target = await session.resolveTarget(given);
        await session.print(`PING ${target.address}`);
        const { results, failure } = await probe(session, target, count, intervalMs);
        const stats = pingStats(results);
        if (stats.received === 0) {
          throw failure ?? peerError(new Error("no probe sent"), target.address, session.deadline);
        }
        return { data: { target: target.address, results, ...stats }, human: summaryLine(stats) };
      }, timeoutMs);
    },
  };
}

export const pingCommand: CommandSpec = pingCommandWith({});
