// Directory handlers (PROTOCOL-BRIEF §4.3, §4.4): lookup, get_keys, resolve_hostname, find_by_tag and the node's own
// settings (set_hostname, set_visibility, set_tags). Anything invisible answers exactly like something unknown.
import { toBase64 } from "../util/bytes.ts";
import { formatEndpoint, ipFromText, NETWORK_BACKBONE } from "../wire/mod.ts";
import type { RegistryContext } from "./context.ts";
import { addressOf, mapConflicts, nodeNotFound, type SignedHandler } from "./handlers_common.ts";
import { RegistryError } from "./protocol.ts";
import type { NodeRecord, StoreTx } from "./store.ts";
import { visible } from "./visibility.ts";
import {
  badRequest,
  invalid,
  normalizeTags,
  optInt,
  optString,
  reqArray,
  reqBool,
  reqNodeRef,
  reqString,
  validateHostname,
} from "./validation.ts";

const FIND_DEFAULT_LIMIT = 50;
const FIND_MAX_LIMIT = 100;
/** Candidates examined per find_by_tag call; the cursor lets the client continue past them. */
const FIND_SCAN_MAX = 1000;
const NETWORK_MAX_ID = 0xfffe;

/** Endpoint order of §4.4: configured, beacon-observed, TCP source IP + listen_port, then LAN addresses. */
async function endpointsOf(tx: StoreTx, node: NodeRecord, nowMs: number): Promise<string[]> {
  const out: string[] = [];
  if (node.endpoint !== null) out.push(node.endpoint);
  const beacon = await tx.beaconEndpoint(node.nodeId, nowMs);
  if (beacon !== null) {
    const ip = ipFromText(beacon.ip);
    if (ip !== null) out.push(formatEndpoint({ ip, port: beacon.port }));
  }
  if (node.tcpIp !== null && node.listenPort !== null && node.listenPort > 0) {
    const ip = ipFromText(node.tcpIp);
    if (ip !== null) out.push(formatEndpoint({ ip, port: node.listenPort }));
  }
  out.push(...node.lanAddrs);
  return [...new Set(out)];
}

function keyFields(node: NodeRecord): Record<string, unknown> {
  return {
    public_key: toBase64(node.publicKey),
    noise_public_key: toBase64(node.noisePublicKey),
    noise_issued_at: node.noiseIssuedAt,
    noise_sig: toBase64(node.noiseSig),
  };
}

function lookupRate(ctx: RegistryContext, nodeId: number): void {
  ctx.rates.nodeLookup(nodeId, ctx.clock.now());
}

export const lookup: SignedHandler = async (ctx, { obj, node: self }) => {
  lookupRate(ctx, self.nodeId);
  const target = reqNodeRef(obj, "target");
  const now = ctx.clock.now();
  return await ctx.store.read(async (tx) => {
    const x = await tx.nodeById(target);
    if (x === null || !(await visible(tx, self.nodeId, x))) throw nodeNotFound(target, "target");
    const isSelf = x.nodeId === self.nodeId;
    const shared = isSelf ? [] : await tx.sharedNetworks(self.nodeId, x.nodeId);
    const nets = isSelf ? await tx.networksOf(x.nodeId) : shared;
    const addresses: Record<string, string> = { [NETWORK_BACKBONE]: addressOf(x.nodeId) };
    for (const n of nets) addresses[String(n)] = addressOf(x.nodeId, n);
    const online = ctx.liveness.online(x, now);
    const reply: Record<string, unknown> = {
      node_id: x.nodeId,
      address: addressOf(x.nodeId),
      addresses,
    };
    if (x.hostname !== null) reply.hostname = x.hostname;
    Object.assign(reply, {
      tags: [...x.tags],
      public: x.public,
      online,
      last_seen_ms: ctx.liveness.lastSeen(x),
      endpoints: online ? await endpointsOf(tx, x, now) : [],
      shared_networks: shared,
      ...keyFields(x),
    });
    if (isSelf && x.owner !== null) reply.owner = x.owner;
    return reply;
  });
};

export const getKeys: SignedHandler = async (ctx, { obj, node: self }) => {
  lookupRate(ctx, self.nodeId);
  const target = reqNodeRef(obj, "target");
  return await ctx.store.read(async (tx) => {
    const x = await tx.nodeById(target);
    if (x === null) throw new RegistryError("not_found", `node ${addressOf(target)} not found`, { field: "target" });
    const chain = await tx.keyChain(target);
    return {
      node_id: x.nodeId,
      ...keyFields(x),
      key_chain: chain.map((k) => ({
        public_key: toBase64(k.publicKey),
        rotated_at_ms: k.rotatedAtMs,
        rotation_sig: toBase64(k.rotationSig),
      })),
    };
  });
};

export const resolveHostname: SignedHandler = async (ctx, { obj, node: self }) => {
  lookupRate(ctx, self.nodeId);
  const hostname = validateHostname(reqString(obj, "hostname"));
  return await ctx.store.read(async (tx) => {
    const x = await tx.nodeByHostname(hostname);
    if (x === null || !(await visible(tx, self.nodeId, x))) {
      throw new RegistryError("not_found", `no node with hostname "${hostname}" is visible to you`, {
        field: "hostname",
      });
    }
    return { node_id: x.nodeId, address: addressOf(x.nodeId), hostname, public: x.public };
  });
};

export const findByTag: SignedHandler = async (ctx, { obj, node: self }) => {
  lookupRate(ctx, self.nodeId);
  const tags = normalizeTags(reqArray(obj, "tags"));
  if (tags.length === 0) throw invalid("tags", "find_by_tag needs at least one tag");
  const networkId = optInt(obj, "network_id", 0, NETWORK_MAX_ID) ?? NETWORK_BACKBONE;
  const limit = optInt(obj, "limit", 1, FIND_MAX_LIMIT) ?? FIND_DEFAULT_LIMIT;
  const cursorText = optString(obj, "cursor");
  let after = 0;
  if (cursorText !== undefined) {
    if (!/^[0-9]{1,10}$/.test(cursorText)) throw invalid("cursor", `invalid cursor "${cursorText}"`);
    after = Number(cursorText);
  }
  const now = ctx.clock.now();
  return await ctx.store.read(async (tx) => {
    if (networkId !== NETWORK_BACKBONE && (await tx.member(networkId, self.nodeId)) === null) {
      throw new RegistryError("forbidden", `not a member of network ${networkId}`, { field: "network_id" });
    }
    const found: Record<string, unknown>[] = [];
    let scanned = 0;
    let exhausted = false;
    while (found.length < limit && scanned < FIND_SCAN_MAX) {
      const batch = await tx.nodesByTag(tags[0], after, Math.min(FIND_SCAN_MAX - scanned, 2 * limit));
      if (batch.length === 0) {
        exhausted = true;
        break;
      }
      for (const x of batch) {
        scanned++;
        after = x.nodeId;
        if (!tags.every((t) => x.tags.includes(t))) continue;
        if (networkId !== NETWORK_BACKBONE && (await tx.member(networkId, x.nodeId)) === null) continue;
        if (!(await visible(tx, self.nodeId, x))) continue;
        const entry: Record<string, unknown> = { node_id: x.nodeId, address: addressOf(x.nodeId, networkId) };
        if (x.hostname !== null) entry.hostname = x.hostname;
        Object.assign(entry, { tags: [...x.tags], public: x.public, online: ctx.liveness.online(x, now) });
        found.push(entry);
        if (found.length === limit) break;
      }
    }
    const reply: Record<string, unknown> = { nodes: found };
    if (!exhausted && (await tx.nodesByTag(tags[0], after, 1)).length > 0) reply.next_cursor = String(after);
    return reply;
  });
};

export const setHostname: SignedHandler = async (ctx, { obj, node }) => {
  const text = reqString(obj, "hostname");
  const hostname = text === "" ? null : validateHostname(text);
  await mapConflicts(() =>
    ctx.store.transaction(async (tx) => {
      if (hostname !== null) {
        const holder = await tx.nodeByHostname(hostname);
        if (holder !== null && holder.nodeId !== node.nodeId) {
          throw new RegistryError("already_exists", `hostname "${hostname}" is already taken`, { field: "hostname" });
        }
      }
      await tx.updateNode(node.nodeId, { hostname });
    })
  );
  return { hostname: hostname ?? "" };
};

export const setVisibility: SignedHandler = async (ctx, { obj, node }) => {
  const isPublic = reqBool(obj, "public");
  await ctx.store.transaction((tx) => tx.updateNode(node.nodeId, { public: isPublic }));
  return { public: isPublic };
};

export const setTags: SignedHandler = async (ctx, { obj, node }) => {
  const raw = obj.tags;
  if (!Array.isArray(raw)) throw badRequest("tags", raw === undefined ? "is missing" : "must be an array");
  const tags = normalizeTags(raw);
  await ctx.store.transaction((tx) => tx.setTags(node.nodeId, tags));
  return { tags };
};
