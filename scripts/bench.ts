// `deno task bench [--quick] [--json] [--only <name,…>]`: runs the benchmarks of scripts/bench/entries.ts (real
// processes on loopback), prints a human table and, as the LAST stdout line, one JSON object: every figure and ratio
// as a number, plus `machine` and `quick`. Progress goes to stderr. Method and results: docs/BENCHMARKS.md.
import { acceleratorStatus } from "../src/crypto/openssl_gcm.ts";
import { BENCHMARKS, RATIOS } from "./bench/entries.ts";
import { checkTargets, derive } from "./bench/targets.ts";
import type { BenchContext, BenchFigure } from "./bench/types.ts";

const USAGE = `Usage: deno task bench [--quick] [--json] [--only <name,…>]

  --quick   smaller counts (about a minute)
  --json    print only the JSON line on stdout
  --only    run only these benchmarks: ${BENCHMARKS.map((b) => b.name).join(", ")}`;

/** Notes every run states, whatever is measured (PROTOCOL-BRIEF §4.5: load runs say the limits are off). */
const RUN_NOTES = ['registry figures are measured with the rate limits off (--limits {"enabled":false})'];

interface Options {
  readonly quick: boolean;
  readonly json: boolean;
  readonly only: ReadonlySet<string> | null;
}

function parseOptions(args: readonly string[]): Options | null {
  let quick = false;
  let json = false;
  let only: Set<string> | null = null;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === "--quick") quick = true;
    else if (a === "--json") json = true;
    else if (a === "--only" && i + 1 < args.length) only = new Set(args[++i].split(","));
    else if (a.startsWith("--only=")) only = new Set(a.slice("--only=".length).split(","));
    else return null;
  }
  const unknown = only === null ? [] : [...only].filter((n) => !BENCHMARKS.some((b) => b.name === n));
  if (unknown.length > 0) return null;
  return { quick, json, only };
}

async function cpuModel(): Promise<string | null> {
  try {
    const text = await Deno.readTextFile("/proc/cpuinfo");
    return text.match(/^model name\s*:\s*(.+)$/m)?.[1].trim() ?? null;
  } catch {
    return null;
  }
}

async function machine(): Promise<Record<string, unknown>> {
  return {
    cores: navigator.hardwareConcurrency,
    cpu: await cpuModel(),
    memory_bytes: Deno.systemMemoryInfo().total,
    deno: Deno.version.deno,
    v8: Deno.version.v8,
    os: Deno.build.os,
    arch: Deno.build.arch,
    aead: acceleratorStatus(),
  };
}

/** Rates as integers, small values with 4 significant digits: precision beyond the noise is not information. */
function rounded(value: number): number {
  if (!Number.isFinite(value)) return value;
  return Math.abs(value) >= 1000 ? Math.round(value) : Number(value.toPrecision(4));
}

function table(rows: readonly (readonly string[])[]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map((r) => r.map((cell, c) => c === r.length - 1 ? cell : cell.padEnd(widths[c])).join("  ")).join(
    "\n",
  );
}

async function main(args: readonly string[]): Promise<number> {
  const opts = parseOptions(args);
  if (opts === null) {
    console.error(USAGE);
    return 2;
  }
  const ctx: BenchContext = { quick: opts.quick, progress: (m) => console.error(`bench: ${m}`) };
  const figures: BenchFigure[] = [];
  for (const bench of BENCHMARKS) {
    if (opts.only !== null && !opts.only.has(bench.name)) continue;
    const started = performance.now();
    try {
      figures.push(...await bench.run(ctx));
    } catch (err) {
      console.error(`bench: ${bench.name} failed: ${err instanceof Error ? err.stack ?? err.message : err}`);
      return 1;
    }
    ctx.progress(`${bench.name} done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  }
  const values = new Map(figures.map((f) => [f.key, f.value]));
  for (const r of RATIOS) {
    const num = values.get(r.numerator);
    const den = values.get(r.denominator);
    if (num === undefined || den === undefined) continue;
    figures.push({ key: r.key, value: num / den, unit: "ratio", note: `${r.numerator} / ${r.denominator}` });
  }
  for (const f of figures) values.set(f.key, f.value);
  for (const f of derive(values)) {
    figures.push(f);
    values.set(f.key, f.value);
  }
  const targets = checkTargets(values);

  const info = await machine();
  const result: Record<string, unknown> = {};
  for (const f of figures) result[f.key] = rounded(f.value);
  result.targets = targets.map((t) => ({ ...t, value: rounded(t.value) }));
  result.machine = info;
  result.quick = opts.quick;
  result.notes = RUN_NOTES;
  if (!opts.json) {
    console.log(
      `pilotctl benchmarks${opts.quick ? " (--quick)" : ""}: ${info.cores} cores, ${info.cpu ?? "cpu ?"}, ` +
        `deno ${info.deno}, ${info.os}-${info.arch}`,
    );
    for (const note of RUN_NOTES) console.log(`Note: ${note}`);
    console.log("");
    const rows = figures.map((f) => [f.key, String(rounded(f.value)), f.unit, f.note]);
    console.log(table([["Figure", "Value", "Unit", "Method"], ...rows]));
    console.log("");
    if (targets.length > 0) {
      const checks = targets.map((t) => {
        const result = t.met ? "met" : "MISSED";
        return [t.figure, String(rounded(t.value)), `${t.op} ${t.limit}`, result];
      });
      console.log(table([["Target", "Value", "Goal", "Result"], ...checks]));
      console.log("");
    }
  }
  console.log(JSON.stringify(result));
  return 0;
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
