// Baseline `udp_echo_rtt_ms`: the median round trip of a raw Deno UDP datagram between this process and an echo
// server process on 127.0.0.1, one ping in flight at a time. Overlay round trips (tunnel ping) are read against it.
import { startPeer } from "./peer.ts";
import type { BenchContext, BenchFigure, Benchmark } from "./types.ts";

const PINGS_FULL = 5_000;
const PINGS_QUICK = 1_000;
const WARMUP_PINGS = 200;
/** About the size of an encrypted overlay ping. */
const PING_BYTES = 96;
const PING_TIMEOUT_MS = 1_000;
/** Loopback should lose nothing; more than this means the figure is not a clean round trip. */
const MAX_LOSS_RATIO = 0.01;

/** The value at quantile `q` (0..1) of sorted `values`. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

async function measure(port: number, pings: number): Promise<{ rtts: number[]; lost: number }> {
  const conn = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  const to: Deno.NetAddr = { transport: "udp", hostname: "127.0.0.1", port };
  const payload = new Uint8Array(PING_BYTES);
  const view = new DataView(payload.buffer);
  const rtts: number[] = [];
  let lost = 0;
  // One receive stays pending across a timeout, so a late reply is consumed (and skipped) instead of leaking.
  let pending = conn.receive();
  try {
    for (let seq = 0; seq < WARMUP_PINGS + pings; seq++) {
      view.setUint32(0, seq);
      const sentAt = performance.now();
      await conn.send(payload, to);
      for (;;) {
        let timer: ReturnType<typeof setTimeout> | undefined;
        const got = await Promise.race([
          pending,
          new Promise<null>((resolve) => timer = setTimeout(() => resolve(null), PING_TIMEOUT_MS)),
        ]).finally(() => clearTimeout(timer));
        if (got === null) {
          lost++;
          break;
        }
        pending = conn.receive();
        if (new DataView(got[0].buffer, got[0].byteOffset).getUint32(0) !== seq) continue;
        if (seq >= WARMUP_PINGS) rtts.push(performance.now() - sentAt);
        break;
      }
    }
  } finally {
    conn.close();
    await pending.catch(() => {});
  }
  return { rtts, lost };
}

export const udpEchoBenchmark: Benchmark = {
  name: "udp_echo",
  async run(ctx: BenchContext): Promise<BenchFigure[]> {
    const pings = ctx.quick ? PINGS_QUICK : PINGS_FULL;
    await using peer = await startPeer("./udp_echo_server.ts");
    ctx.progress(`udp_echo: ${pings} pings of ${PING_BYTES} bytes to another process on 127.0.0.1`);
    const { rtts, lost } = await measure(peer.port, pings);
    if (lost > pings * MAX_LOSS_RATIO) throw new Error(`udp_echo: ${lost} of ${pings} pings lost on loopback`);
    const sorted = rtts.sort((a, b) => a - b);
    const note = `${sorted.length} pings, ${PING_BYTES} B, 1 in flight`;
    return [
      { key: "udp_echo_rtt_ms", value: quantile(sorted, 0.5), unit: "ms", note },
      { key: "udp_echo_rtt_p99_ms", value: quantile(sorted, 0.99), unit: "ms", note },
    ];
  },
};
