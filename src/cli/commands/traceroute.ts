// `pilotctl traceroute <target> [--timeout 30s]` (CLI.md §3.8): shows the tunnel path to a node (direct, or through
// the beacon relay), the setup time of a stream to its echo port, and 3 RTT samples taken with control pings
// (protocol 0x03, the daemon's IPC `ping`).
import type { InfoResult } from "../../ipc/mod.ts";
import type { PilotError } from "../../util/errors.ts";
import { type DaemonSession, parseTarget, peerError, type ResolvedTarget, withDaemon } from "../daemon_client.ts";
import type { CommandContext, CommandResult, CommandSpec } from "../spec.ts";
import { beaconAddress } from "./info.ts";
import { ECHO_PORT, positiveTimeoutMs, timeoutFlag } from "./options.ts";
import { roundMs } from "./ping.ts";
import { dialTarget } from "./send.ts";

export const TRACEROUTE_SAMPLES = 3;
/** Payload of each control ping: a few bytes, like ping's `ping-<seq>`. */
export const TRACEROUTE_PING_BYTES = 8;
/** One sample waits at most this long (less when --timeout leaves less). */
const SAMPLE_TIMEOUT_MS = 5_000;

export interface Hop {
  readonly hop: number;
  readonly via: string;
  readonly rtt_ms: number | null;
}

export interface RttSample {
  readonly rtt_ms: number;
  readonly bytes: number;
}

/** One hop: the tunnel to the node directly, or the relay through the beacon. */
export function hopsFor(
  info: InfoResult,
  target: ResolvedTarget,
  rttMs: number | null,
): { path: "direct" | "relay"; hops: Hop[] } {
  const peer = info.peer_list?.find((p) => p.node_id === target.nodeId);
  if (peer?.path === "relay") {
    return { path: "relay", hops: [{ hop: 1, via: `relay ${beaconAddress(info.beacon) ?? "beacon"}`, rtt_ms: rttMs }] };
  }
  const endpoint = peer?.endpoint ? peer.endpoint : target.address;
  return { path: "direct", hops: [{ hop: 1, via: `direct ${endpoint}`, rtt_ms: rttMs }] };
}

async function sample(
  session: DaemonSession,
  target: ResolvedTarget,
): Promise<{ setupMs: number; samples: RttSample[]; failure: PilotError | null }> {
  const start = performance.now();
  const stream = await dialTarget(session, target, ECHO_PORT);
  const setupMs = performance.now() - start;
  await stream.close("both").catch(() => {});
  const samples: RttSample[] = [];
  let failure: PilotError | null = null;
  for (let i = 1; i <= TRACEROUTE_SAMPLES; i++) {
    const timeoutMs = Math.min(SAMPLE_TIMEOUT_MS, session.deadline.remainingMs() ?? SAMPLE_TIMEOUT_MS);
    try {
      const reply = await session.request("ping", {
        addr: target.address,
        timeout_ms: timeoutMs,
        payload_len: TRACEROUTE_PING_BYTES,
      });
      samples.push({ rtt_ms: roundMs(reply.rtt_ms), bytes: reply.bytes });
    } catch (err) {
      failure = peerError(err, target.address, session.deadline);
      if (session.deadline.expired) break;
    }
  }
  return { setupMs, samples, failure };
}

export async function runTraceroute(ctx: CommandContext): Promise<CommandResult> {
  const timeoutMs = positiveTimeoutMs(ctx);
  const given = parseTarget(ctx.args.require("target"));
  return await withDaemon(ctx, async (session) => {
    const target = await session.resolveTarget(given);
    const { setupMs, samples, failure } = await sample(session, target);
    if (samples.length === 0) throw failure ?? peerError(new Error("no sample"), target.address, session.deadline);
    const avg = roundMs(samples.reduce((a, s) => a + s.rtt_ms, 0) / samples.length);
    const { path, hops } = hopsFor(await session.request("info", {}), target, avg);
    const lines = [`traceroute to ${target.address}`];
    for (const h of hops) lines.push(`  ${h.hop}  ${h.via}  ${h.rtt_ms === null ? "*" : `${h.rtt_ms.toFixed(3)}ms`}`);
    return {
      data: { target: target.address, path, hops, setup_ms: roundMs(setupMs), rtt_samples: samples },
      human: lines.join("\n"),
    };
  }, timeoutMs);
}

export const tracerouteCommand: CommandSpec = {
  name: "traceroute",
  summary: "Show the path to a node and its round-trip times",
  description: "Shows the path (direct, or through the beacon relay), the setup time of a stream to echo port 7, " +
    "and 3 RTT samples taken with control pings.",
  args: [{ name: "target", description: "Address, node ID or hostname", required: true }],
  flags: [timeoutFlag("30s")],
  returns: ["target", "path", "hops", "setup_ms", "rtt_samples"],
  needsDaemon: true,
  run: runTraceroute,
};
