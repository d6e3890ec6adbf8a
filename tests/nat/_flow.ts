// The steps every NAT traversal scenario runs through the real CLI (CLI.md §3.5, §3.8): the trust handshake across
// the NAT, a fresh dial timed to its first echoed byte, ping, a 1 MB bench, traceroute and `peers` for the path, and
// the per-scenario summary line the issue asks for (path, time to first byte, ping RTT).
import assert from "node:assert/strict";
import type { LabHost, LabProcess } from "../_support/netns.ts";
import type { NatScenario } from "./_scenario.ts";

/** `pending` lists a request within a few polls once `handshake` returned (the registry relays it). */
export const TRUST_TIMEOUT_MS = 20_000;
/** A fresh dial: §5.6 gives up at 20 s; the tool's own IPC start-up comes on top. */
export const DIAL_TIMEOUT_MS = 25_000;
export const PING_COUNT = 3;
export const BENCH_MB = 1;
/** A 1 MB echo round trip; the relay path is the slow one (per-node relay budget 1 MiB/s each way). */
export const BENCH_TIMEOUT_MS = 60_000;

/** Round trips of the long-lived echo stream, one every ECHO_INTERVAL_MS. */
export const ECHO_INTERVAL_MS = 200;
const ECHO_MAX_COUNT = 5_000;
const ECHO_OPEN_TIMEOUT_MS = 10_000;

/** From the start of `approve` until a dial's punch (1 s into it) falls outside the approval's 5 s punch window. */
const PUNCH_WINDOW_AFTER_APPROVE_MS = 5_500;

export type PathKind = "direct" | "relay";

interface PeerRow {
  readonly node_id: number;
  readonly path: string;
  readonly endpoint: string | null;
  readonly authenticated: boolean;
}

interface PingData {
  readonly sent: number;
  readonly received: number;
  readonly avg_ms: number | null;
}

interface BenchData {
  readonly sent_bytes: number;
  readonly recv_bytes: number;
  readonly total_duration_ms: number;
  readonly total_mbps: number;
  readonly path: string;
}

interface TracerouteData {
  readonly path: string;
  readonly hops: { readonly via: string }[];
  readonly setup_ms: number;
}

export interface ScenarioReport {
  /** performance.now() when the first dial started; + ttfbMs ≈ when its path came up. */
  readonly dialedAt: number;
  readonly path: PathKind;
  readonly ttfbMs: number;
  readonly pingRttMs: number;
  readonly benchMs: number;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}

export function other(host: LabHost): LabHost {
  return host === "hostA" ? "hostB" : "hostA";
}

/**
 * hostA asks, hostB approves; resolves once both daemons list each other as trusted, with the time `approve` started
 * (its delivery dials hostA, so the pair's punch window begins soon after).
 */
export async function establishTrust(s: NatScenario): Promise<number> {
  const { hostA: a, hostB: b } = s.agents;
  const sent = await s.cliOk<{ status: string }>("hostA", ["handshake", b.address, "nat traversal test"]);
  assert.equal(sent.status, "sent");
  await s.until("the request in hostB's pending list", TRUST_TIMEOUT_MS, async () => {
    const d = await s.cliOk<{ pending: { node_id: number }[] }>("hostB", ["pending"]);
    return d.pending.some((p) => p.node_id === a.nodeId) ? true : undefined;
  });
  const approveStartedAt = performance.now();
  const approved = await s.cliOk<{ status: string }>("hostB", ["approve", String(a.nodeId)]);
  assert.equal(approved.status, "approved");
  for (const [host, peer] of [["hostA", b], ["hostB", a]] as const) {
    await s.until(`${peer.host} trusted by ${host}`, TRUST_TIMEOUT_MS, async () => {
      const d = await s.cliOk<{ trusted: { node_id: number }[] }>(host, ["trust"]);
      return d.trusted.some((t) => t.node_id === peer.nodeId) ? true : undefined;
    });
  }
  return approveStartedAt;
}

/** The tunnel row `host` shows for the other host, if any. */
export async function peerRow(s: NatScenario, host: LabHost): Promise<PeerRow | undefined> {
  const peer = s.agents[other(host)].nodeId;
  const d = await s.cliOk<{ peers: PeerRow[] }>(host, ["peers"]);
  return d.peers.find((p) => p.node_id === peer);
}

/** Waits until `host`'s authenticated tunnel to the other host runs on `path`. */
export async function waitForPath(s: NatScenario, host: LabHost, path: PathKind, timeoutMs: number): Promise<void> {
  await s.until(`${host} on the ${path} path`, timeoutMs, async () => {
    const row = await peerRow(s, host);
    return row?.authenticated && row.path === path ? true : undefined;
  });
}

/** A fresh dial from `host` to the other host's echo port: ms from the dial to the first echoed byte. */
export async function timeToFirstByte(s: NatScenario, host: LabHost): Promise<number> {
  const peer = s.agents[other(host)];
  await using tool = s.tool(host, ["ttfb", s.agents[host].socket, peer.address]);
  const line = await tool.waitForLine(/^(ttfb|error) /, DIAL_TIMEOUT_MS);
  if (line.startsWith("error ")) throw new Error(`${s.name}: dial from ${host}: ${line}`);
  return JSON.parse(line.slice("ttfb ".length)).ttfb_ms;
}

/** Ping, a 1 MB bench and traceroute from `host`; each must report `path`. Returns ping RTT and bench time. */
export async function exercise(
  s: NatScenario,
  host: LabHost,
  path: PathKind,
): Promise<{ pingRttMs: number; benchMs: number }> {
  const peer = s.agents[other(host)];
  const ping = await s.cliOk<PingData>(host, ["ping", peer.address, "--count", String(PING_COUNT)]);
  assert.equal(ping.received, PING_COUNT, `${s.name}: ping lost replies`);
  const bench = await s.cliOk<BenchData>(host, ["bench", peer.address, String(BENCH_MB)], BENCH_TIMEOUT_MS);
  assert.equal(bench.sent_bytes, BENCH_MB * 1_000_000);
  assert.equal(bench.recv_bytes, BENCH_MB * 1_000_000);
  assert.equal(bench.path, path, `${s.name}: bench path`);
  const trace = await s.cliOk<TracerouteData>(host, ["traceroute", peer.address]);
  assert.equal(trace.path, path, `${s.name}: traceroute path`);
  assert.ok(trace.hops[0]?.via.startsWith(`${path} `), `${s.name}: traceroute hop ${JSON.stringify(trace.hops)}`);
  return { pingRttMs: ping.avg_ms ?? NaN, benchMs: bench.total_duration_ms };
}

/**
 * The common scenario: trust across the NAT, then both daemons restart (trust survives, tunnels do not) so the next
 * dial is a first contact; time to first byte, the path on both sides, then ping, bench and traceroute from hostA.
 * With `ownPunchWindow` the dial waits until the approval's punch window has passed (see below).
 */
export async function trustDialAndExercise(
  s: NatScenario,
  path: PathKind,
  options: { readonly ownPunchWindow?: boolean } = {},
): Promise<ScenarioReport> {
  const approveStartedAt = await establishTrust(s);
  await Promise.all([s.stopDaemon("hostA"), s.stopDaemon("hostB")]);
  await Promise.all([s.startDaemon("hostA"), s.startDaemon("hostB")]);
  if (options.ownPunchWindow) {
    // The beacon punches a pair at most once per 5 s (§5.3) and the approval's dial has just used that: the first
    // contact measured below gets a window of its own, as a first contact normally has.
    await sleep(PUNCH_WINDOW_AFTER_APPROVE_MS - (performance.now() - approveStartedAt));
  }
  const dialedAt = performance.now();
  const ttfbMs = await timeToFirstByte(s, "hostA");
  const row = await peerRow(s, "hostA");
  assert.equal(row?.path, path, `${s.name}: hostA's path after the first dial: ${JSON.stringify(row)}`);
  await waitForPath(s, "hostB", path, 5_000);
  const { pingRttMs, benchMs } = await exercise(s, "hostA", path);
  return { dialedAt, path, ttfbMs, pingRttMs, benchMs };
}

/** The line the issue asks every scenario to print. */
export function printReport(name: string, r: ScenarioReport): void {
  console.log(
    `nat scenario ${name}: path=${r.path} time_to_first_byte_ms=${r.ttfbMs} ping_rtt_ms=${r.pingRttMs.toFixed(3)} ` +
      `bench_1mb_ms=${Math.round(r.benchMs)}`,
  );
}

/** A stream from `host` to the other host's echo port, kept busy by the echo-loop tool; resolves once it runs. */
export async function startEchoLoop(s: NatScenario, host: LabHost): Promise<LabProcess> {
  const peer = s.agents[other(host)];
  const tool = s.tool(host, [
    "echo-loop",
    s.agents[host].socket,
    peer.address,
    String(ECHO_INTERVAL_MS),
    String(ECHO_MAX_COUNT),
  ]);
  await tool.waitForLine(/^(open|error )/, DIAL_TIMEOUT_MS);
  await tool.waitForLine(/^(echo 3 |error )/, ECHO_OPEN_TIMEOUT_MS);
  assertNoEchoError(tool);
  return tool;
}

/**
 * Waits for `count` round trips on the echo stream completed after line index `from`; returns how long that took.
 * The stream must not fail meanwhile (the session survives).
 */
export async function echoesAfter(tool: LabProcess, from: number, count: number, timeoutMs: number): Promise<number> {
  const started = performance.now();
  let next = from;
  for (let i = 0; i < count; i++) {
    const left = Math.max(1, timeoutMs - (performance.now() - started));
    const line = await tool.waitForLine(/^(echo|error) /, left, next);
    assertNoEchoError(tool);
    next = tool.lines.indexOf(line, next) + 1;
  }
  return performance.now() - started;
}

function assertNoEchoError(tool: LabProcess): void {
  const failed = tool.lines.find((l) => l.startsWith("error "));
  if (failed !== undefined) throw new Error(`echo stream failed: ${failed}`);
}

/**
 * Waits for the webhook receiver to show `event` (a line `event <name> <body>`) at line index `from` or later;
 * returns the body.
 */
export async function webhookEvent(
  s: NatScenario,
  event: string,
  from: number,
  timeoutMs: number,
): Promise<Record<string, unknown>> {
  const line = await s.webhookEvents.waitForLine((l) => l.startsWith(`event ${event} `), timeoutMs, from);
  return JSON.parse(line.slice(`event ${event} `.length));
}
