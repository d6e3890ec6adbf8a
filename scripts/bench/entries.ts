// The benchmark list: one line per benchmark file, run in this order (baselines first), and the ratios that put
// every figure next to a baseline measured in the same run. Later entries go here: tunnel ping (against
// udp_echo_rtt_ms), stream throughput, the crypto ceiling, daemon RSS.
import { registryBenchmark } from "./registry.ts";
import { tcpJsonEchoBenchmark } from "./tcp_json_echo.ts";
import type { Benchmark, BenchRatio } from "./types.ts";
import { udpEchoBenchmark } from "./udp_echo.ts";

export const BENCHMARKS: readonly Benchmark[] = [
  udpEchoBenchmark,
  tcpJsonEchoBenchmark,
  registryBenchmark,
];

export const RATIOS: readonly BenchRatio[] = [
  { key: "registry_lookups_vs_tcp_echo", numerator: "registry_lookups_per_s", denominator: "tcp_json_echo_per_s" },
  {
    key: "registry_registrations_vs_tcp_echo",
    numerator: "registry_registrations_per_s",
    denominator: "tcp_json_echo_per_s",
  },
];
