// The benchmark list: one line per benchmark file, run in this order (baselines first), and the ratios that put
// every figure next to a baseline measured in the same run. Later entries go here: tunnel ping (against
// udp_echo_rtt_ms), stream throughput, the crypto ceiling, daemon RSS.
import { cryptoUdpBenchmark } from "./crypto_udp.ts";
import { daemonPeersBenchmark } from "./daemon_peers.ts";
import { daemonStartBenchmark } from "./daemon_start.ts";
import { ipcEchoBenchmark } from "./ipc_echo.ts";
import { registryBenchmark } from "./registry.ts";
import { registryLoadBenchmark } from "./registry_load.ts";
import { tcpJsonEchoBenchmark } from "./tcp_json_echo.ts";
import { tunnelBenchmark } from "./tunnel.ts";
import type { Benchmark, BenchRatio } from "./types.ts";
import { udpEchoBenchmark } from "./udp_echo.ts";

export const BENCHMARKS: readonly Benchmark[] = [
  udpEchoBenchmark,
  ipcEchoBenchmark,
  cryptoUdpBenchmark,
  tcpJsonEchoBenchmark,
  registryBenchmark,
  registryLoadBenchmark,
  tunnelBenchmark,
  daemonStartBenchmark,
  daemonPeersBenchmark,
];

export const RATIOS: readonly BenchRatio[] = [
  // The overlay's data path against the crypto + UDP ceiling of this runtime (target ≥ 0.6, targets.ts).
  { key: "stream_vs_crypto_ceiling", numerator: "stream_throughput_MBps", denominator: "crypto_udp_ceiling_MBps" },
  { key: "stream4_vs_crypto_ceiling", numerator: "stream4_throughput_MBps", denominator: "crypto_udp_ceiling_MBps" },
  { key: "registry_lookups_vs_tcp_echo", numerator: "registry_lookups_per_s", denominator: "tcp_json_echo_per_s" },
  {
    key: "registry_registrations_vs_tcp_echo",
    numerator: "registry_registrations_per_s",
    denominator: "tcp_json_echo_per_s",
  },
  // Two registry instances over one PostgreSQL against one: how far a second instance scales the same load.
  ...["registrations", "lookups", "heartbeats"].flatMap((op) =>
    ["", "_100k"].map((size) => ({
      key: `registry_load${size}_pg2_vs_pg1_${op}`,
      numerator: `registry_load_pg2${size}_${op}_per_s`,
      denominator: `registry_load_pg1${size}_${op}_per_s`,
    }))
  ),
];
