// Goodput of one bulk transfer in virtual time against the Mathis et al. bound for Reno-style congestion control,
// MSS / RTT · 1.22 / sqrt(p): a report, not a pass/fail criterion. Run directly to print it:
//   deno run tests/transport/goodput.ts [loss=0.02] [rtt_ms=40] [mib=16] [seeds=3]
import { runTransfer, SimPair, testData } from "./sim_pair.ts";

const MSS_BYTES = 1152;
const MATHIS_C = 1.22;

export interface GoodputReport {
  readonly lossRate: number;
  readonly rttMs: number;
  readonly bytes: number;
  /** Mean over the seeds, bytes per second of virtual time from dial to the last byte delivered. */
  readonly goodputBps: number;
  readonly mathisBps: number;
  readonly ratio: number;
}

export function mathisBound(mssBytes: number, rttMs: number, lossRate: number): number {
  return (mssBytes / (rttMs / 1000)) * (MATHIS_C / Math.sqrt(lossRate));
}

export function measureGoodput(lossRate = 0.02, rttMs = 40, bytes = 16 * 1024 * 1024, seeds = 3): GoodputReport {
  let total = 0;
  for (let s = 1; s <= seeds; s++) {
    const pair = new SimPair({ seed: s, link: { latencyMs: rttMs / 2, loss: lossRate } });
    const r = runTransfer(pair, testData(bytes, s), 24 * 3600 * 1000);
    if (!r.ok) throw new Error(`goodput transfer failed (seed ${s}): ${r.detail}`);
    total += bytes / (r.lastByteMs / 1000);
  }
  const goodputBps = total / seeds;
  const mathisBps = mathisBound(MSS_BYTES, rttMs, lossRate);
  return { lossRate, rttMs, bytes, goodputBps, mathisBps, ratio: goodputBps / mathisBps };
}

export function formatReport(r: GoodputReport): string {
  const kib = (v: number) => (v / 1024).toFixed(1);
  return `goodput at ${(r.lossRate * 100).toFixed(1)}% loss, ${r.rttMs} ms RTT, ${r.bytes / 1048576} MiB: ` +
    `${kib(r.goodputBps)} KiB/s; Mathis bound ${kib(r.mathisBps)} KiB/s; ratio ${r.ratio.toFixed(2)}`;
}

if (import.meta.main) {
  const [loss, rtt, mib, seeds] = Deno.args.map(Number);
  console.log(formatReport(measureGoodput(loss || 0.02, rtt || 40, (mib || 16) * 1048576, seeds || 3)));
}
