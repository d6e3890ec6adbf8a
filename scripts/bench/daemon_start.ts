// `time_to_address_ms`: `pilotctl daemon start` (CLI.md §3.1) from the moment the CLI process is spawned until its
// ready block shows the `Address:` line, with the registry already running: CLI start-up, the detached `daemon run`,
// identity creation (a fresh home each time), the UDP bind, registration and the readiness polls. Each daemon is
// stopped with `daemon stop` before the next start.
import { agentEnv } from "./daemon_process.ts";
import { PilotProcess } from "./pilot_process.ts";
import { RegistryProcess } from "./registry_process.ts";
import type { BenchContext, BenchFigure, Benchmark } from "./types.ts";
import { quantile } from "./udp_echo.ts";

const STARTS_FULL = 5;
const STARTS_QUICK = 3;
const ADDRESS_LINE = /^\s*Address:\s+\S+/m;

async function cli(args: string[], env: Record<string, string>): Promise<void> {
  await using p = PilotProcess.spawn(args, env);
  const status = await p.status;
  if (status.code !== 0) throw new Error(`pilotctl ${args.join(" ")} exited ${status.code}: ${p.stderr}`);
}

async function timeStart(env: Record<string, string>): Promise<number> {
  const started = performance.now();
  await using p = PilotProcess.spawn(["daemon", "start", "--listen", "127.0.0.1:0"], env);
  await p.waitForStdout((s) => ADDRESS_LINE.test(s));
  const ms = performance.now() - started;
  const status = await p.status;
  if (status.code !== 0) throw new Error(`daemon start exited ${status.code}: ${p.stderr}`);
  return ms;
}

export const daemonStartBenchmark: Benchmark = {
  name: "daemon_start",
  async run(ctx: BenchContext): Promise<BenchFigure[]> {
    const starts = ctx.quick ? STARTS_QUICK : STARTS_FULL;
    const root = await Deno.makeTempDir({ prefix: "pilot-bench-start-" });
    try {
      await using registry = await RegistryProcess.start({ store: ":memory:", limitsOff: true });
      ctx.progress(`daemon_start: ${starts} × daemon start (fresh home) until the address is printed`);
      const times: number[] = [];
      for (let i = 0; i < starts; i++) {
        const env = agentEnv(root, `agent${i}`, registry);
        try {
          times.push(await timeStart(env));
        } finally {
          await cli(["daemon", "stop"], env).catch(() => {});
        }
      }
      times.sort((a, b) => a - b);
      return [{
        key: "time_to_address_ms",
        value: quantile(times, 0.5),
        unit: "ms",
        note: `median of ${times.length}: spawn of pilotctl daemon start → "Address:" line, registry running`,
      }];
    } finally {
      await Deno.remove(root, { recursive: true }).catch(() => {});
    }
  },
};
