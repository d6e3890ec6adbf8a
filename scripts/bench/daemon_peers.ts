// Daemon memory: `daemon_rss_mb_idle` — the resident set of a `daemon run` process (public, registered, nothing
// connected) after it settled; `daemon_rss_mb_200_peers` — the same daemon once 200 other nodes hold authenticated
// tunnels to it. The peers are in-process nodes (the daemon's own startNode) spread over a few helper processes
// (peer_nodes.ts), so 200 peers do not need 200 Deno processes.
import { DaemonProcess, until } from "./daemon_process.ts";
import { PilotProcess } from "./pilot_process.ts";
import { RegistryProcess } from "./registry_process.ts";
import type { BenchContext, BenchFigure, Benchmark } from "./types.ts";

const PEERS = 200;
const HELPER_PROCESSES = 4;
/** The daemon idles this long before its resident set is read (timers ran, start-up garbage collected). */
const SETTLE_MS = 3_000;
const PEERS_READY_TIMEOUT_MS = 120_000;
const MIB = 1024 * 1024;

export const daemonPeersBenchmark: Benchmark = {
  name: "daemon_peers",
  async run(ctx: BenchContext): Promise<BenchFigure[]> {
    const root = await Deno.makeTempDir({ prefix: "pilot-bench-peers-" });
    try {
      await using registry = await RegistryProcess.start({ store: ":memory:", limitsOff: true });
      await using daemon = await DaemonProcess.start({ root, name: "hub", registry });
      await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
      const idle = await daemon.rssBytes();
      ctx.progress(`daemon_peers: ${PEERS} in-process peer nodes in ${HELPER_PROCESSES} helper processes`);
      const script = new URL("./peer_nodes.ts", import.meta.url).pathname;
      const helpers: PilotProcess[] = [];
      try {
        for (let i = 0; i < HELPER_PROCESSES; i++) {
          const dir = `${root}/helper${i}`;
          await Deno.mkdir(dir);
          const count = Math.floor(PEERS / HELPER_PROCESSES) + (i < PEERS % HELPER_PROCESSES ? 1 : 0);
          const args = [
            dir,
            registry.ready.registry,
            registry.ready.beacon ?? "",
            String(daemon.nodeId),
            String(count),
          ];
          helpers.push(PilotProcess.spawnScript(script, args, { DENO_DIR: daemon.env.DENO_DIR, HOME: dir }));
        }
        const outs = await Promise.all(
          helpers.map((h) => h.waitForStdout((s) => s.includes("\n"), PEERS_READY_TIMEOUT_MS)),
        );
        const failed = outs.reduce((n, out) => n + Number(JSON.parse(out.slice(0, out.indexOf("\n"))).failed), 0);
        if (failed > 0) throw new Error(`daemon_peers: ${failed} of ${PEERS} peers found no tunnel`);
        const client = await daemon.connect();
        try {
          await until("authenticated peers", async () => {
            const info = await client.request("info");
            return (info.authenticated_peers ?? 0) >= PEERS;
          }, PEERS_READY_TIMEOUT_MS);
        } finally {
          await client.close();
        }
        await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
        const loaded = await daemon.rssBytes();
        return [
          {
            key: "daemon_rss_mb_idle",
            value: idle / MIB,
            unit: "MiB",
            note: `VmRSS of daemon run, registered, no peers, after ${SETTLE_MS / 1000} s`,
          },
          {
            key: "daemon_rss_mb_200_peers",
            value: loaded / MIB,
            unit: "MiB",
            note:
              `VmRSS with ${PEERS} authenticated tunnels (peers: in-process nodes in ${HELPER_PROCESSES} processes)`,
          },
        ];
      } finally {
        await Promise.all(helpers.map((h) => h[Symbol.asyncDispose]()));
      }
    } finally {
      await Deno.remove(root, { recursive: true }).catch(() => {});
    }
  },
};
