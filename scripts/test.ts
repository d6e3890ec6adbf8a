// The project's test command (`deno task test`): runs the test tiers in order, prints each tier's duration, and ends
// with the plain summary line `N passed, N failed` that CI reads. Exit status 1 when any test fails.
//
// Tiers by file suffix under tests/: `*_test.ts` unit, `*.sim_test.ts` simulated network, `*.int_test.ts` real
// loopback sockets and processes, `*.e2e_test.ts` full CLI scenarios, `*.netns_test.ts` network-namespace NAT tests
// (root only). `*.soak_test.ts` runs only with --soak.
//
// Usage: deno task test [--tier unit|sim|int|e2e|netns]… [--soak] [--filter <text>]
import { parseArgs } from "node:util";

interface Tier {
  readonly name: string;
  readonly match: (path: string) => boolean;
  readonly parallel: boolean;
}

const TIERS: readonly Tier[] = [
  {
    name: "unit",
    match: (p) => p.endsWith("_test.ts") && !/\.(sim|int|e2e|netns|soak)_test\.ts$/.test(p),
    parallel: true,
  },
  { name: "sim", match: (p) => p.endsWith(".sim_test.ts"), parallel: true },
  { name: "int", match: (p) => p.endsWith(".int_test.ts"), parallel: false },
  { name: "e2e", match: (p) => p.endsWith(".e2e_test.ts"), parallel: false },
  { name: "netns", match: (p) => p.endsWith(".netns_test.ts"), parallel: false },
  { name: "soak", match: (p) => p.endsWith(".soak_test.ts"), parallel: true },
];

const root = new URL("..", import.meta.url).pathname;

async function collect(dir: string, out: string[]): Promise<void> {
  for await (const entry of Deno.readDir(dir)) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory) await collect(path, out);
    else if (entry.isFile && entry.name.endsWith("_test.ts")) out.push(path);
  }
}

interface TierResult {
  passed: number;
  failed: number;
  exitCode: number;
  seconds: number;
}

// Deno's summary line: `ok | 12 passed (3 steps) | 0 failed (1s)` or `FAILED | 10 passed | 2 failed (2s)`.
const SUMMARY_RE = /^(?:ok|FAILED) \| (\d+) passed(?: \(\d+ steps?\))? \| (\d+) failed/;

async function runTier(tier: Tier, files: string[], filter: string | undefined): Promise<TierResult> {
  const args = ["test", "-A", "--no-check=remote"];
  if (tier.parallel) args.push("--parallel");
  if (filter) args.push("--filter", filter);
  args.push(...files);
  const started = performance.now();
  const child = new Deno.Command(Deno.execPath(), {
    args,
    cwd: root,
    stdout: "piped",
    stderr: "inherit",
    env: { NO_COLOR: "1" },
  }).spawn();
  let passed = 0;
  let failed = 0;
  let pending = "";
  const decoder = new TextDecoder();
  for await (const chunk of child.stdout) {
    await Deno.stdout.write(chunk);
    pending += decoder.decode(chunk, { stream: true });
    const lines = pending.split("\n");
    pending = lines.pop() ?? "";
    for (const line of lines) {
      const m = SUMMARY_RE.exec(line.trim());
      if (m) {
        passed = Number(m[1]);
        failed = Number(m[2]);
      }
    }
  }
  const m = SUMMARY_RE.exec(pending.trim());
  if (m) {
    passed = Number(m[1]);
    failed = Number(m[2]);
  }
  const status = await child.status;
  // A runner that died before its summary (a type error, a crash) counts as one failure.
  if (status.code !== 0 && failed === 0) failed = 1;
  return { passed, failed, exitCode: status.code, seconds: (performance.now() - started) / 1000 };
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      tier: { type: "string", multiple: true },
      soak: { type: "boolean", default: false },
      filter: { type: "string" },
    },
    strict: true,
  });
  const wanted = new Set(values.tier ?? []);
  for (const name of wanted) {
    if (!TIERS.some((t) => t.name === name)) {
      console.error(`error: unknown tier "${name}" (use ${TIERS.map((t) => t.name).join(", ")})`);
      return 2;
    }
  }
  const files: string[] = [];
  await collect(`${root}tests`, files);
  files.sort();
  const isRoot = Deno.uid() === 0;

  let passed = 0;
  let failed = 0;
  const lines: string[] = [];
  for (const tier of TIERS) {
    if (wanted.size > 0 ? !wanted.has(tier.name) : tier.name === "soak" && !values.soak) continue;
    const tierFiles = files.filter(tier.match).map((p) => p.slice(root.length));
    if (tierFiles.length === 0) continue;
    if (tier.name === "netns" && !isRoot) {
      lines.push(`tier ${tier.name}: skipped (needs root for network namespaces)`);
      continue;
    }
    console.log(`\n=== tier ${tier.name}: ${tierFiles.length} files ===`);
    const r = await runTier(tier, tierFiles, values.filter);
    passed += r.passed;
    failed += r.failed;
    lines.push(`tier ${tier.name}: ${r.passed} passed, ${r.failed} failed in ${r.seconds.toFixed(1)} s`);
  }
  console.log("");
  for (const line of lines) console.log(line);
  console.log(`${passed} passed, ${failed} failed`);
  return failed > 0 ? 1 : 0;
}

Deno.exit(await main());
