// Baseline `tcp_json_echo_per_s`: length-prefixed JSON request/response round trips against a trivial echo server
// process (tcp_echo_server.ts), with the same load workers, connection count and request count as the registry
// lookups, so `registry_lookups_vs_tcp_echo` isolates what authentication, visibility and the store cost.
import { LoadPool, split } from "./load_pool.ts";
import { startPeer } from "./peer.ts";
import type { BenchContext, BenchFigure, Benchmark } from "./types.ts";

/** Shared with the registry benchmark: the baseline must run the same load shape. */
export const REQUEST_CONNECTIONS = 8;
export const REQUESTS_FULL = 20_000;
export const REQUESTS_QUICK = 4_000;
/** Untimed requests before each timed step, as a fraction of it. */
const WARMUP_FRACTION = 0.1;

export function warmupCount(timed: number): number {
  return Math.ceil(timed * WARMUP_FRACTION);
}

export const tcpJsonEchoBenchmark: Benchmark = {
  name: "tcp_json_echo",
  async run(ctx: BenchContext): Promise<BenchFigure[]> {
    const count = ctx.quick ? REQUESTS_QUICK : REQUESTS_FULL;
    await using peer = await startPeer("./tcp_echo_server.ts");
    using pool = new LoadPool();
    const conns = split(REQUEST_CONNECTIONS, pool.size);
    const counts = split(count, pool.size);
    ctx.progress(`tcp_json_echo: ${count} round trips on ${REQUEST_CONNECTIONS} connections, ${pool.size} worker(s)`);
    await pool.step((i) => ({ op: "connect_echo", address: `127.0.0.1:${peer.port}`, connections: conns[i] }));
    await pool.step((i) => ({ op: "echo", count: split(warmupCount(count), pool.size)[i] }));
    const { perSecond } = await pool.step((i) => ({ op: "echo", count: counts[i] }));
    await pool.step(() => ({ op: "close" }));
    const note = `${count} req (+${
      warmupCount(count)
    } warm-up), ${REQUEST_CONNECTIONS} conns, ${pool.size} client worker(s)`;
    return [{ key: "tcp_json_echo_per_s", value: perSecond, unit: "req/s", note }];
  },
};
