// Figures derived from others of the same run, and the performance targets they are read against (the issue's
// acceptance numbers). A derived figure or a target whose inputs were not measured in this run (`--only`) is left out:
// nothing is ever compared with a number from another run.
import type { BenchFigure } from "./types.ts";

/** `key = compute(inputs…)`, every input a figure (or ratio) of this run. */
export interface BenchDerived {
  readonly key: string;
  readonly unit: string;
  readonly note: string;
  readonly inputs: readonly string[];
  compute(values: readonly number[]): number;
}

/** `figure op limit` must hold. */
export interface BenchTarget {
  readonly figure: string;
  readonly op: "<=" | ">=";
  readonly limit: number;
}

export interface TargetResult extends BenchTarget {
  readonly value: number;
  readonly met: boolean;
}

/** What the overlay may add to a ping beyond the two hops it cannot avoid (one UDP and one IPC round trip). */
export const TUNNEL_PING_ALLOWANCE_MS = 0.25;

export const DERIVED: readonly BenchDerived[] = [
  {
    key: "tunnel_ping_budget_ms",
    unit: "ms",
    note: `udp_echo_rtt_ms + ipc_echo_rtt_ms + ${TUNNEL_PING_ALLOWANCE_MS}`,
    inputs: ["udp_echo_rtt_ms", "ipc_echo_rtt_ms"],
    compute: ([udp, ipc]) => udp + ipc + TUNNEL_PING_ALLOWANCE_MS,
  },
  {
    key: "tunnel_ping_overhead_ms",
    unit: "ms",
    note: "tunnel_ping_rtt_ms - udp_echo_rtt_ms - ipc_echo_rtt_ms: the overlay's own share of a ping",
    inputs: ["tunnel_ping_rtt_ms", "udp_echo_rtt_ms", "ipc_echo_rtt_ms"],
    compute: ([tunnel, udp, ipc]) => tunnel - udp - ipc,
  },
  {
    key: "tunnel_ping_vs_budget",
    unit: "ratio",
    note: "tunnel_ping_rtt_ms / tunnel_ping_budget_ms",
    inputs: ["tunnel_ping_rtt_ms", "udp_echo_rtt_ms", "ipc_echo_rtt_ms"],
    compute: ([tunnel, udp, ipc]) => tunnel / (udp + ipc + TUNNEL_PING_ALLOWANCE_MS),
  },
];

export const TARGETS: readonly BenchTarget[] = [
  { figure: "stream_vs_crypto_ceiling", op: ">=", limit: 0.6 },
  { figure: "tunnel_ping_vs_budget", op: "<=", limit: 1 },
  { figure: "first_ping_ms", op: "<=", limit: 20 },
  { figure: "time_to_address_ms", op: "<=", limit: 1000 },
  { figure: "registry_lookups_per_s", op: ">=", limit: 5000 },
];

export function derive(values: ReadonlyMap<string, number>): BenchFigure[] {
  const out: BenchFigure[] = [];
  for (const d of DERIVED) {
    const inputs = d.inputs.map((k) => values.get(k));
    if (inputs.some((v) => v === undefined)) continue;
    out.push({ key: d.key, value: d.compute(inputs as number[]), unit: d.unit, note: d.note });
  }
  return out;
}

export function checkTargets(values: ReadonlyMap<string, number>): TargetResult[] {
  const out: TargetResult[] = [];
  for (const t of TARGETS) {
    const value = values.get(t.figure);
    if (value === undefined) continue;
    out.push({ ...t, value, met: t.op === "<=" ? value <= t.limit : value >= t.limit });
  }
  return out;
}
