// Benchmark peer of `daemon_rss_mb_200_peers`: one helper process running many in-process nodes (startNode, the
// daemon's own composition root; real UDP and IPC on 127.0.0.1, quiet logs). Each node registers, then establishes an
// authenticated tunnel (§5.6 path: lookup, Noise IK handshake) to the target node, which is public, so no trust is
// needed for the tunnel (§6.4). Prints `{"ready":N,"failed":M}` once every node tried, then keeps the nodes (and
// their keepalives) running until it is killed.
//
// Usage: peer_nodes.ts <root> <registry> <beacon> <target node id> <count>
import { type Node, nodeSettings, startNode } from "../../src/daemon/mod.ts";
import { resolveConfig } from "../../src/config/mod.ts";
import { Logger, MemorySink } from "../../src/log/logger.ts";

/** Nodes started at once: registration and the handshake are cheap, but not free for the registry. */
const START_BATCH = 10;
const TUNNEL_TIMEOUT_MS = 20_000;

async function startOne(root: string, name: string, registry: string, beacon: string): Promise<Node> {
  const home = `${root}/${name}`;
  const config = await resolveConfig({
    env: new Map([["PILOT_HOME", home], ["HOME", root]]),
    flags: { registry, beacon, socket: `${root}/${name}.sock`, listen: "127.0.0.1:0" },
  });
  // A memory sink that keeps nothing above warn: the nodes must not spend the helper's CPU on logs.
  const log = new Logger({ sink: new MemorySink(), level: "error" });
  return await startNode(nodeSettings(config, { pidFile: false }), { log, version: "bench" });
}

if (import.meta.main) {
  const [root, registry, beacon, targetText, countText] = Deno.args;
  const target = Number(targetText);
  const count = Number(countText);
  const nodes: Node[] = [];
  let failed = 0;
  for (let i = 0; i < count; i += START_BATCH) {
    const batch = Array.from({ length: Math.min(START_BATCH, count - i) }, (_, j) => `n${i + j}`);
    const started = await Promise.all(batch.map((name) => startOne(root, name, registry, beacon)));
    nodes.push(...started);
    const tunnels = await Promise.allSettled(started.map((n) => n.parts.dialer.ensurePath(target, TUNNEL_TIMEOUT_MS)));
    failed += tunnels.filter((t) => t.status === "rejected").length;
  }
  console.log(JSON.stringify({ ready: nodes.length - failed, failed }));
  // Runs until killed; the nodes' timers keep the process (and their tunnels) alive.
}
