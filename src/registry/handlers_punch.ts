// The `punch` handler (PROTOCOL-BRIEF §4.4, §5.3): both nodes beacon-registered and visible either way, then a
// punch job in the store that the beacon turns into PUNCH_COMMANDs to both sides. At most one job per pair per 5 s:
// a second request inside that window gets the same punch.
import { randomBytes, toHex } from "../util/bytes.ts";
import { formatEndpoint, ipFromText } from "../wire/mod.ts";
import { addressOf, nodeNotFound, type SignedHandler } from "./handlers_common.ts";
import { PUNCH_DELAY_MS, RegistryError } from "./protocol.ts";
import type { BeaconEndpoint, PunchJob } from "./store.ts";
import { visibleEitherWay } from "./visibility.ts";
import { invalid, reqNodeRef } from "./validation.ts";

export const PUNCH_PAIR_INTERVAL_MS = 5_000;
const PUNCH_ID_BYTES = 8;

export function beaconEndpointText(e: BeaconEndpoint): string {
  const ip = ipFromText(e.ip);
  return ip === null ? `${e.ip}:${e.port}` : formatEndpoint({ ip, port: e.port });
}

export const punch: SignedHandler = async (ctx, { obj, node }) => {
  const target = reqNodeRef(obj, "target");
  if (target === node.nodeId) throw invalid("target", "a node cannot punch to itself");
  const now = ctx.clock.now();
  const { job, fresh } = await ctx.store.transaction(async (tx) => {
    const peer = await tx.nodeById(target);
    if (peer === null || !(await visibleEitherWay(tx, node, peer))) throw nodeNotFound(target, "target");
    const selfEp = await tx.beaconEndpoint(node.nodeId, now);
    if (selfEp === null) {
      throw new RegistryError("not_found", "this node has no beacon registration: register with the beacon first", {
        field: "node_id",
      });
    }
    const peerEp = await tx.beaconEndpoint(target, now);
    if (peerEp === null) {
      throw new RegistryError("not_found", `node ${addressOf(target)} has no beacon registration`, {
        field: "target",
      });
    }
    const recent = await tx.recentPunchJob(node.nodeId, target, now - PUNCH_PAIR_INTERVAL_MS);
    if (recent !== null) return { job: recent, fresh: false };
    const created: PunchJob = {
      punchId: toHex(randomBytes(PUNCH_ID_BYTES)),
      nodeA: node.nodeId,
      nodeB: target,
      endpointA: beaconEndpointText(selfEp),
      endpointB: beaconEndpointText(peerEp),
      createdAtMs: now,
    };
    await tx.insertPunchJob(created);
    return { job: created, fresh: true };
  });
  if (fresh) ctx.beacon?.punchJobsQueued();
  const selfIsA = job.nodeA === node.nodeId;
  return {
    punch_id: job.punchId,
    target_endpoint: selfIsA ? job.endpointB : job.endpointA,
    self_endpoint: selfIsA ? job.endpointA : job.endpointB,
    fire_in_ms: Math.max(0, PUNCH_DELAY_MS - (now - job.createdAtMs)),
  };
};
