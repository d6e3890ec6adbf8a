// Network handlers (PROTOCOL-BRIEF §4.4): create (creator becomes admin), join by rule (open, token compared as
// SHA-256 in constant time, unexpired invite), leave, invite (admins), list (tokens never returned), members.
// Caps: networks per node and members per network (§4.5), enforced even with rate limits off.
import { sha256 } from "../crypto/mod.ts";
import { constantTimeEqual, utf8 } from "../util/bytes.ts";
import { NETWORK_BACKBONE } from "../wire/mod.ts";
import type { RegistryContext } from "./context.ts";
import { addressOf, mapConflicts, networkNotFound, nodeNotFound, type SignedHandler } from "./handlers_common.ts";
import { RegistryError } from "./protocol.ts";
import type { JoinRule, NetworkRecord, StoreTx } from "./store.ts";
import {
  badRequest,
  invalid,
  optInt,
  optString,
  reqInt,
  reqNodeRef,
  reqString,
  TOKEN_MAX_CHARS,
  TOKEN_MIN_CHARS,
  validateNetworkName,
} from "./validation.ts";

export const INVITE_TTL_MS = 7 * 86_400_000;
const NETWORK_MAX_ID = 0xfffe;
const MEMBERS_DEFAULT_LIMIT = 100;
const MEMBERS_MAX_LIMIT = 500;
const LIST_MAX_NETWORKS = 1000;
const JOIN_RULES: readonly JoinRule[] = ["open", "token", "invite"];

async function checkNetworkCap(ctx: RegistryContext, tx: StoreTx, nodeId: number): Promise<void> {
  const count = (await tx.networksOf(nodeId)).length;
  if (count >= ctx.limits.networksPerNode) {
    throw new RegistryError("limit_exceeded", `node is already in ${count} networks, the limit`);
  }
}

function reqNetworkId(obj: Record<string, unknown>, field = "network_id"): number {
  return reqInt(obj, field, 0, NETWORK_MAX_ID);
}

export const networkCreate: SignedHandler = async (ctx, { obj, node }) => {
  const now = ctx.clock.now();
  const name = validateNetworkName(reqString(obj, "name"));
  const rule = reqString(obj, "join_rule");
  if (!(JOIN_RULES as readonly string[]).includes(rule)) {
    throw invalid("join_rule", `invalid join_rule "${rule}": want open, token or invite`);
  }
  const joinRule = rule as JoinRule;
  const token = optString(obj, "token");
  if (joinRule === "token") {
    if (token === undefined) throw badRequest("token", "is required with join_rule token");
    if (token.length < TOKEN_MIN_CHARS || token.length > TOKEN_MAX_CHARS) {
      throw invalid("token", `invalid token: must be ${TOKEN_MIN_CHARS}-${TOKEN_MAX_CHARS} characters`);
    }
  } else if (token !== undefined) {
    throw invalid("token", `a token is only used with join_rule token, not ${joinRule}`);
  }
  ctx.rates.nodeNetworkCreate(node.nodeId, now);
  const networkId = await mapConflicts(() =>
    ctx.store.transaction(async (tx) => {
      if (await tx.networkByName(name) !== null) {
        throw new RegistryError("already_exists", `network name "${name}" is already taken`, { field: "name" });
      }
      await checkNetworkCap(ctx, tx, node.nodeId);
      const id = await tx.allocateNetworkId();
      if (id === null) throw new RegistryError("limit_exceeded", "no network ids left on this registry");
      await tx.insertNetwork({
        networkId: id,
        name,
        joinRule,
        tokenSha256: token === undefined ? null : sha256(utf8(token)),
        createdBy: node.nodeId,
        createdAtMs: now,
      });
      await tx.addMember(id, node.nodeId, true, now);
      return id;
    })
  );
  return { network_id: networkId, name, address: addressOf(node.nodeId, networkId) };
};

export const networkJoin: SignedHandler = async (ctx, { obj, node }) => {
  const now = ctx.clock.now();
  const byId = optInt(obj, "network_id", 0, NETWORK_MAX_ID);
  const byName = byId === undefined ? reqString(obj, "name") : undefined;
  const token = optString(obj, "token");
  const networkId = await ctx.store.transaction(async (tx) => {
    let net: NetworkRecord | null;
    if (byId !== undefined) {
      if (byId === NETWORK_BACKBONE) throw invalid("network_id", "every node is already on network 0");
      net = await tx.networkById(byId);
      if (net === null) throw networkNotFound(byId, "network_id");
    } else {
      net = await tx.networkByName(byName!);
      if (net === null) throw networkNotFound(byName!, "name");
    }
    const id = net.networkId;
    if (await tx.member(id, node.nodeId) !== null) {
      throw new RegistryError("already_exists", `already a member of network ${id}`, { field: "network_id" });
    }
    if (net.joinRule === "token") {
      const given = token === undefined ? new Uint8Array(0) : sha256(utf8(token));
      if (net.tokenSha256 === null || !constantTimeEqual(given, net.tokenSha256)) {
        throw new RegistryError("forbidden", `wrong token for network ${id}`, { field: "token" });
      }
    } else if (net.joinRule === "invite") {
      const expires = await tx.inviteExpiry(id, node.nodeId);
      if (expires === null || expires <= now) {
        throw new RegistryError("forbidden", `no valid invitation to network ${id}`, { field: "network_id" });
      }
      await tx.deleteInvite(id, node.nodeId);
    }
    await checkNetworkCap(ctx, tx, node.nodeId);
    if (await tx.countMembers(id) >= ctx.limits.membersPerNetwork) {
      throw new RegistryError("limit_exceeded", `network ${id} has reached its member limit`);
    }
    await tx.addMember(id, node.nodeId, false, now);
    return id;
  });
  return { network_id: networkId, address: addressOf(node.nodeId, networkId) };
};

export const networkLeave: SignedHandler = async (ctx, { obj, node }) => {
  const networkId = reqNetworkId(obj);
  if (networkId === NETWORK_BACKBONE) throw invalid("network_id", "network 0 cannot be left");
  await ctx.store.transaction(async (tx) => {
    if (await tx.member(networkId, node.nodeId) === null) {
      throw new RegistryError("not_found", `not a member of network ${networkId}`, { field: "network_id" });
    }
    await tx.removeMember(networkId, node.nodeId);
  });
  return { network_id: networkId };
};

export const networkInvite: SignedHandler = async (ctx, { obj, node }) => {
  const networkId = reqNetworkId(obj);
  const invitee = reqNodeRef(obj, "invitee");
  const expiresAtMs = ctx.clock.now() + INVITE_TTL_MS;
  await ctx.store.transaction(async (tx) => {
    if (networkId === NETWORK_BACKBONE) throw invalid("network_id", "nobody needs an invitation to network 0");
    if (await tx.networkById(networkId) === null) throw networkNotFound(networkId, "network_id");
    if (!(await tx.member(networkId, node.nodeId))?.admin) {
      throw new RegistryError("forbidden", `not an admin of network ${networkId}`, { field: "network_id" });
    }
    if (await tx.nodeById(invitee) === null) throw nodeNotFound(invitee, "invitee");
    if (await tx.member(networkId, invitee) !== null) {
      throw new RegistryError("already_exists", `node ${addressOf(invitee)} is already a member`, {
        field: "invitee",
      });
    }
    await tx.putInvite(networkId, invitee, expiresAtMs);
  });
  return { network_id: networkId, invitee, expires_at_ms: expiresAtMs };
};

export const networkList: SignedHandler = async (ctx, { node }) => {
  const networks = await ctx.store.read(async (tx) => {
    const out: Record<string, unknown>[] = [];
    for (const net of await tx.listNetworks(LIST_MAX_NETWORKS)) {
      const m = await tx.member(net.networkId, node.nodeId);
      out.push({
        network_id: net.networkId,
        name: net.name,
        join_rule: net.joinRule,
        members: await tx.countMembers(net.networkId),
        member: m !== null,
        admin: m?.admin ?? false,
        address: addressOf(node.nodeId, net.networkId),
      });
    }
    return out;
  });
  return { networks };
};

export const networkMembers: SignedHandler = async (ctx, { obj, node }) => {
  const networkId = reqNetworkId(obj);
  if (networkId === NETWORK_BACKBONE) throw invalid("network_id", "network 0 has every node; it is not listed");
  const limit = optInt(obj, "limit", 1, MEMBERS_MAX_LIMIT) ?? MEMBERS_DEFAULT_LIMIT;
  const cursor = optString(obj, "cursor");
  if (cursor !== undefined && !/^[0-9]{1,10}$/.test(cursor)) throw invalid("cursor", `invalid cursor "${cursor}"`);
  const now = ctx.clock.now();
  return await ctx.store.read(async (tx) => {
    if (await tx.networkById(networkId) === null) throw networkNotFound(networkId, "network_id");
    if (await tx.member(networkId, node.nodeId) === null) {
      throw new RegistryError("forbidden", `not a member of network ${networkId}`, { field: "network_id" });
    }
    const page = await tx.listMembers(networkId, cursor === undefined ? 0 : Number(cursor), limit + 1);
    const members: Record<string, unknown>[] = [];
    for (const m of page.slice(0, limit)) {
      const x = await tx.nodeById(m.nodeId);
      if (x === null) continue;
      const entry: Record<string, unknown> = { node_id: x.nodeId, address: addressOf(x.nodeId, networkId) };
      if (x.hostname !== null) entry.hostname = x.hostname;
      Object.assign(entry, { tags: [...x.tags], admin: m.admin, online: ctx.liveness.online(x, now) });
      members.push(entry);
    }
    const reply: Record<string, unknown> = { members };
    if (page.length > limit) reply.next_cursor = String(page[limit - 1].nodeId);
    return reply;
  });
};
