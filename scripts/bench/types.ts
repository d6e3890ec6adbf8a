// The benchmark framework's vocabulary (STYLE.md "Benchmarks"): a benchmark is one file under scripts/bench/ that
// runs real processes on loopback and returns named figures; ratios pair a figure with a baseline measured in the
// same run, so a number is never read without the machine's own yardstick next to it.

export interface BenchContext {
  /** `--quick`: smaller counts, for CI and a quick look (whole run ≲ 2 min). */
  readonly quick: boolean;
  /** A progress line for the human (stderr, never stdout). */
  progress(message: string): void;
}

export interface BenchFigure {
  /** snake_case with the unit in the name: `registry_lookups_per_s`, `udp_echo_rtt_ms`. */
  readonly key: string;
  readonly value: number;
  /** For the human table: `ms`, `req/s`. */
  readonly unit: string;
  /** How it was measured, in a few words (counts, concurrency, "limits off"). */
  readonly note: string;
}

export interface Benchmark {
  /** Shown in progress and accepted by `--only`. */
  readonly name: string;
  run(ctx: BenchContext): Promise<BenchFigure[]>;
}

/** `key = numerator / denominator`, both figures from the same run. */
export interface BenchRatio {
  readonly key: string;
  readonly numerator: string;
  readonly denominator: string;
}
