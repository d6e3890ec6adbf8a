// `registry_registrations_per_s` and `registry_lookups_per_s`: a real `pilotctl registry run` process on a SQLite
// file store (WAL, synchronous=FULL), rate limits OFF (`--limits` `{"enabled":false}`, PROTOCOL-BRIEF §4.5), loaded
// by worker threads over several connections: first fresh public nodes register (register_begin + register, two
// signature checks and one committed transaction each), then signed lookups of random registered nodes.
import { LoadPool, split } from "./load_pool.ts";
import { RegistryProcess } from "./registry_process.ts";
import { REQUEST_CONNECTIONS, REQUESTS_FULL, REQUESTS_QUICK, warmupCount } from "./tcp_json_echo.ts";
import type { BenchContext, BenchFigure, Benchmark } from "./types.ts";

const NODES_FULL = 10_000;
const NODES_QUICK = 2_000;

export const registryBenchmark: Benchmark = {
  name: "registry",
  async run(ctx: BenchContext): Promise<BenchFigure[]> {
    const nodes = ctx.quick ? NODES_QUICK : NODES_FULL;
    const lookups = ctx.quick ? REQUESTS_QUICK : REQUESTS_FULL;
    const dir = await Deno.makeTempDir({ prefix: "pilot-bench-registry-" });
    try {
      await using reg = await RegistryProcess.start({ store: `${dir}/registry.db`, limitsOff: true });
      using pool = new LoadPool();
      const conns = split(REQUEST_CONNECTIONS, pool.size);
      ctx.progress(
        `registry: rate limits OFF; ${nodes} nodes on ${REQUEST_CONNECTIONS} connections, ${pool.size} worker(s)`,
      );
      const warmNodes = warmupCount(nodes);
      await pool.step((i) => ({ op: "identities", count: split(nodes + warmNodes, pool.size)[i] }));
      await pool.step((i) => ({ op: "connect_registry", address: reg.address, connections: conns[i] }));
      // Untimed warm-up steps let the JIT and the store's caches settle, so quick and full runs compare.
      await pool.step((i) => ({ op: "register", count: split(warmNodes, pool.size)[i] }));
      const registered = await pool.step((i) => ({ op: "register", count: split(nodes, pool.size)[i] }));
      const targets = registered.replies.flatMap((r) => r.ok ? r.nodeIds ?? [] : []);
      if (targets.length !== nodes) throw new Error(`registry: ${targets.length} of ${nodes} nodes registered`);
      ctx.progress(`registry: ${lookups} lookups of random registered nodes`);
      await pool.step((i) => ({ op: "lookup", count: split(warmupCount(lookups), pool.size)[i], targets }));
      const looked = await pool.step((i) => ({ op: "lookup", count: split(lookups, pool.size)[i], targets }));
      await pool.step(() => ({ op: "close" }));
      const shape = `${REQUEST_CONNECTIONS} conns, ${pool.size} client worker(s), SQLite file, limits off`;
      return [
        {
          key: "registry_registrations_per_s",
          value: registered.perSecond,
          unit: "reg/s",
          note: `${nodes} new nodes (+${warmupCount(nodes)} warm-up), ${shape}`,
        },
        {
          key: "registry_lookups_per_s",
          value: looked.perSecond,
          unit: "req/s",
          note: `${lookups} req (+${warmupCount(lookups)} warm-up), ${shape}`,
        },
      ];
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
};
