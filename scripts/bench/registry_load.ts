// `registry_load_<store>_*`: the registry under load on each store backend — SQLite (one file, WAL,
// synchronous=FULL), PostgreSQL behind one instance (`pg1`) and PostgreSQL shared by two instances (`pg2`, the
// clients spread over both). Real `pilotctl registry run` processes with the rate limits OFF (PROTOCOL-BRIEF §4.5).
// Per run: N fresh public nodes register from CONNECTIONS concurrent clients (register_begin + register: two
// signature checks and one committed transaction each), then signed lookups of random nodes, then heartbeats of
// random nodes; each op reports ops/s and p99 latency, and the run reports the registry's resident memory (VmRSS,
// the larger instance for pg2) at the end. N is 10,000 (and 100,000, keys `_100k_`) in the full run, 2,000 with
// --quick. Heartbeats come within a minute of registration, so they take the read path (last_seen is written at
// most once per 60 s per node, §4.6). PostgreSQL comes from PILOT_TEST_POSTGRES_URL or /tmp/pilot-postgres-url
// (.ci/setup-system.sh); without it only SQLite is measured, and the run says so.
import { createTestDatabase, probePostgres } from "../../tests/_support/postgres.ts";
import { defaultWorkerCount, split } from "./load_pool.ts";
import { RegistryCluster, RegistryLoadPool } from "./registry_load_setup.ts";
import type { BenchContext, BenchFigure, Benchmark } from "./types.ts";

const NODES_FULL = [10_000, 100_000] as const;
const NODES_QUICK = [2_000] as const;
const LOOKUPS_FULL = 20_000;
const LOOKUPS_QUICK = 4_000;
/** Concurrent client connections, each one request in flight, as many daemons would hold. */
export const CONNECTIONS = 32;
/** Untimed requests before each timed lookup and heartbeat step, as a fraction of it. */
const WARMUP_FRACTION = 0.1;
const MIB = 1024 * 1024;

interface Backend {
  /** In the figure keys. */
  readonly key: "sqlite" | "pg1" | "pg2";
  readonly label: string;
  readonly instances: number;
  readonly postgres: boolean;
}

const SQLITE: Backend = { key: "sqlite", label: "SQLite file", instances: 1, postgres: false };
const PG1: Backend = { key: "pg1", label: "PostgreSQL, 1 instance", instances: 1, postgres: true };
const PG2: Backend = { key: "pg2", label: "PostgreSQL, 2 instances", instances: 2, postgres: true };

/** The 1-minute load average: other work on the machine moves every figure here. */
async function loadAverage(): Promise<string> {
  try {
    return (await Deno.readTextFile("/proc/loadavg")).split(" ")[0];
  } catch {
    return "?";
  }
}

function cumulative(parts: readonly number[]): number[] {
  const out: number[] = [];
  let sum = 0;
  for (const p of parts) {
    out.push(sum);
    sum += p;
  }
  return out;
}

async function runOne(
  ctx: BenchContext,
  pool: RegistryLoadPool,
  backend: Backend,
  nodes: number,
  postgresUrl: string | null,
): Promise<BenchFigure[]> {
  const db = backend.postgres && postgresUrl !== null ? await createTestDatabase(postgresUrl) : null;
  const prefix = `registry_load_${backend.key}${nodes >= 100_000 ? "_100k" : ""}`;
  const requests = ctx.quick ? LOOKUPS_QUICK : LOOKUPS_FULL;
  const warmup = Math.ceil(requests * WARMUP_FRACTION);
  const perWorker = (total: number) => split(total, pool.size);
  try {
    await using cluster = await RegistryCluster.start(
      db === null ? { sqlite: true } : { postgresUrl: db.url },
      backend.instances,
    );
    const idleRss = await cluster.maxRssBytes();
    const conns = perWorker(CONNECTIONS);
    const offsets = cumulative(conns);
    const addresses = cluster.instances.map((i) => i.address);
    await pool.step((i) => ({ op: "connect", addresses, connections: conns[i], offset: offsets[i] }));
    ctx.progress(`${prefix}: ${nodes} registrations on ${CONNECTIONS} connections to ${addresses.length} instance(s)`);
    const cpu0 = await cluster.cpuSeconds();
    const reg = await pool.step((i) => ({ op: "register", count: perWorker(nodes)[i] }));
    const cpu1 = await cluster.cpuSeconds();
    const targets = reg.replies.flatMap((r) => r.ok ? r.nodeIds ?? [] : []);
    const retried = reg.replies.reduce((n, r) => n + (r.ok ? r.retried ?? 0 : 0), 0);
    if (new Set(targets).size !== nodes) throw new Error(`${prefix}: ${new Set(targets).size} of ${nodes} node ids`);
    ctx.progress(
      `${prefix}: ${Math.round(reg.perSecond)} reg/s (${retried} retried after "internal"); ` +
        `${requests} lookups, then ${requests} heartbeats`,
    );
    await pool.step((i) => ({ op: "lookup", count: perWorker(warmup)[i], targets }));
    const cpu2 = await cluster.cpuSeconds();
    const look = await pool.step((i) => ({ op: "lookup", count: perWorker(requests)[i], targets }));
    const cpu3 = await cluster.cpuSeconds();
    await pool.step((i) => ({ op: "heartbeat", count: perWorker(warmup)[i] }));
    const cpu4 = await cluster.cpuSeconds();
    const beat = await pool.step((i) => ({ op: "heartbeat", count: perWorker(requests)[i] }));
    const cpu5 = await cluster.cpuSeconds();
    const rss = await cluster.maxRssBytes();
    await pool.step(() => ({ op: "close" }));
    ctx.progress(
      `${prefix}: ${Math.round(look.perSecond)} lookups/s, ${Math.round(beat.perSecond)} heartbeats/s, ` +
        `RSS ${(idleRss / MIB).toFixed(0)} MiB idle → ${
          (rss / MIB).toFixed(0)
        } MiB; load average ${await loadAverage()}`,
    );
    const shape = `${nodes} nodes, ${CONNECTIONS} conns, ${pool.size} client worker(s), ${backend.label}, limits off`;
    const timed = `(+${warmup} warm-up), ${shape}`;
    const cpuNote = `registry CPU (user+sys${backend.instances > 1 ? ", both instances" : ""}) per request`;
    const cpuUs = (seconds: number, count: number) => seconds * 1e6 / count;
    return [
      { key: `${prefix}_registrations_per_s`, value: reg.perSecond, unit: "reg/s", note: shape },
      { key: `${prefix}_registration_p99_ms`, value: reg.p99Ms, unit: "ms", note: `both round trips, ${shape}` },
      {
        key: `${prefix}_registration_retries`,
        value: retried,
        unit: "count",
        note: `registrations answered "internal" (storage write failed) and sent again (at most 4 more attempts each)`,
      },
      { key: `${prefix}_registration_cpu_us`, value: cpuUs(cpu1 - cpu0, nodes), unit: "µs", note: cpuNote },
      { key: `${prefix}_lookups_per_s`, value: look.perSecond, unit: "req/s", note: `${requests} req ${timed}` },
      { key: `${prefix}_lookup_p99_ms`, value: look.p99Ms, unit: "ms", note: `${requests} req ${timed}` },
      { key: `${prefix}_lookup_cpu_us`, value: cpuUs(cpu3 - cpu2, requests), unit: "µs", note: cpuNote },
      { key: `${prefix}_heartbeats_per_s`, value: beat.perSecond, unit: "req/s", note: `${requests} req ${timed}` },
      { key: `${prefix}_heartbeat_p99_ms`, value: beat.p99Ms, unit: "ms", note: `${requests} req ${timed}` },
      { key: `${prefix}_heartbeat_cpu_us`, value: cpuUs(cpu5 - cpu4, requests), unit: "µs", note: cpuNote },
      {
        key: `${prefix}_rss_mib`,
        value: rss / MIB,
        unit: "MiB",
        note: `VmRSS after the run${backend.instances > 1 ? " (larger instance)" : ""}, ${idleRss / MIB | 0} MiB idle`,
      },
    ];
  } finally {
    await db?.drop();
  }
}

export const registryLoadBenchmark: Benchmark = {
  name: "registry_load",
  async run(ctx: BenchContext): Promise<BenchFigure[]> {
    const pg = await probePostgres();
    if (!pg.ok) ctx.progress(`registry_load: PostgreSQL not measured: ${pg.reason}`);
    const backends = pg.ok ? [SQLITE, PG1, PG2] : [SQLITE];
    const sizes = ctx.quick ? NODES_QUICK : NODES_FULL;
    using pool = new RegistryLoadPool(defaultWorkerCount());
    const most = Math.max(...sizes);
    ctx.progress(`registry_load: rate limits OFF; making ${most} node identities in ${pool.size} worker(s)`);
    await pool.step((i) => ({ op: "identities", count: split(most, pool.size)[i] }));
    const figures: BenchFigure[] = [];
    for (const nodes of sizes) {
      for (const backend of backends) figures.push(...await runOne(ctx, pool, backend, nodes, pg.ok ? pg.url : null));
    }
    return figures;
  },
};
