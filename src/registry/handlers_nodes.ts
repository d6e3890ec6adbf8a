// Node lifecycle handlers (PROTOCOL-BRIEF §4.2, §4.4, §4.5): hello, register_begin / register (challenge–response,
// a known key keeps its node id, a retired key is refused), heartbeat, deregister and rotate_key.
import { ed25519Verify, verifyNoiseBinding } from "../crypto/mod.ts";
import { toBase64 } from "../util/bytes.ts";
import { MAX_REGISTRY_FRAME_BYTES, NETWORK_BACKBONE } from "../wire/mod.ts";
import { checkTimestamp } from "./auth.ts";
import { ONLINE_EXPIRY_MS } from "./context.ts";
import { addressOf, mapConflicts, type OpenHandler, type SignedHandler } from "./handlers_common.ts";
import {
  CHALLENGE_BYTES,
  CHALLENGE_TTL_MS,
  HEARTBEAT_INTERVAL_S,
  NONCE_BYTES,
  ONLINE_EXPIRY_S,
  REGISTRY_PROTO_VERSION,
  RegistryError,
  registrySignedBytes,
  rotateNewKeySignedBytes,
  rotationSignedBytes,
} from "./protocol.ts";
import type { NodePatch } from "./store.ts";
import {
  invalid,
  optBool,
  optLanAddrs,
  optString,
  reqBytes,
  reqInt,
  validateEndpoint,
  validateHostname,
  validateOwner,
} from "./validation.ts";

const KEY_BYTES = 32;
const SIG_BYTES = 64;
const PORT_MAX = 0xffff;
const TIME_MAX = Number.MAX_SAFE_INTEGER;

export const hello: OpenHandler = (ctx, obj) => {
  const proto = reqInt(obj, "proto", 0, 0xffff);
  if (proto !== REGISTRY_PROTO_VERSION) {
    throw invalid("proto", `unsupported protocol version ${proto}: this registry speaks ${REGISTRY_PROTO_VERSION}`);
  }
  optString(obj, "client");
  return Promise.resolve({
    proto: REGISTRY_PROTO_VERSION,
    registry_id: ctx.registryId,
    server_time_ms: ctx.clock.now(),
    max_frame: MAX_REGISTRY_FRAME_BYTES,
  });
};

export const registerBegin: OpenHandler = (ctx, obj, conn) => {
  const now = ctx.clock.now();
  ctx.rates.ipRegister(conn.remoteIp, now);
  const publicKey = reqBytes(obj, "public_key", KEY_BYTES);
  const challenge = conn.challenges.issue(publicKey, now);
  return Promise.resolve({ challenge: toBase64(challenge), expires_in_ms: CHALLENGE_TTL_MS });
};

export const register: OpenHandler = async (ctx, obj, conn) => {
  const now = ctx.clock.now();
  ctx.rates.ipRegister(conn.remoteIp, now);
  const publicKey = reqBytes(obj, "public_key", KEY_BYTES);
  const challenge = reqBytes(obj, "challenge", CHALLENGE_BYTES);
  const ts = reqInt(obj, "ts", 0, TIME_MAX);
  reqBytes(obj, "nonce", NONCE_BYTES);
  const sig = reqBytes(obj, "sig", SIG_BYTES);
  const listenPort = reqInt(obj, "listen_port", 0, PORT_MAX);
  const endpoint = obj.endpoint === undefined ? null : validateEndpoint(obj.endpoint, "endpoint");
  const lanAddrs = optLanAddrs(obj) ?? [];
  const ownerText = optString(obj, "owner");
  const owner = ownerText === undefined ? undefined : validateOwner(ownerText);
  const hostnameText = optString(obj, "hostname");
  const wantPublic = optBool(obj, "public");
  const noisePublicKey = reqBytes(obj, "noise_public_key", KEY_BYTES);
  const noiseIssuedAt = reqInt(obj, "noise_issued_at", 0, TIME_MAX);
  const noiseSig = reqBytes(obj, "noise_sig", SIG_BYTES);

  // The challenge is used up by this attempt whatever its outcome (§4.2: single use).
  if (!conn.challenges.consume(challenge, publicKey, now)) {
    throw new RegistryError(
      "challenge_invalid",
      "registration challenge is unknown, expired, already used or from another connection",
      { field: "challenge" },
    );
  }
  checkTimestamp(ts, now, 0);
  if (!ed25519Verify(publicKey, registrySignedBytes(obj), sig)) {
    throw new RegistryError("bad_signature", "registration signature does not verify with public_key", {
      field: "sig",
    });
  }
  if (!verifyNoiseBinding(publicKey, noisePublicKey, noiseIssuedAt, noiseSig)) {
    throw new RegistryError("bad_signature", "noise key binding does not verify with public_key", {
      field: "noise_sig",
    });
  }
  let hostname: string | null | undefined;
  let hostnameError: string | undefined;
  if (hostnameText !== undefined) {
    try {
      hostname = hostnameText === "" ? null : validateHostname(hostnameText);
    } catch (err) {
      hostnameError = err instanceof Error ? err.message : String(err);
    }
  }

  const result = await mapConflicts(() =>
    ctx.store.transaction(async (tx) => {
      if (await tx.isRetiredKey(publicKey)) {
        throw new RegistryError("forbidden", "key was rotated: register with the node's current key", {
          field: "public_key",
        });
      }
      const existing = await tx.nodeByPublicKey(publicKey);
      let nodeId: number;
      if (existing !== null) {
        nodeId = existing.nodeId;
        const patch: NodePatch = { listenPort, endpoint, lanAddrs, tcpIp: conn.remoteIp, lastSeenMs: now };
        if (owner !== undefined) patch.owner = owner;
        if (wantPublic !== undefined) patch.public = wantPublic;
        if (noiseIssuedAt > existing.noiseIssuedAt) {
          Object.assign(patch, { noisePublicKey, noiseIssuedAt, noiseSig });
        }
        await tx.updateNode(nodeId, patch);
      } else {
        nodeId = await tx.allocateNodeId();
        await tx.insertNode({
          nodeId,
          publicKey,
          noisePublicKey,
          noiseIssuedAt,
          noiseSig,
          owner: owner ?? null,
          hostname: null,
          public: wantPublic ?? false,
          lastSeenMs: now,
          listenPort,
          endpoint,
          lanAddrs,
          tcpIp: conn.remoteIp,
          createdAtMs: now,
        });
      }
      if (hostname !== undefined) {
        const holder = hostname === null ? null : await tx.nodeByHostname(hostname);
        if (holder !== null && holder.nodeId !== nodeId) {
          hostnameError = `hostname "${hostname}" is already taken`;
        } else {
          await tx.updateNode(nodeId, { hostname });
        }
      }
      const node = await tx.nodeById(nodeId);
      return { node: node!, isNew: existing === null, networks: await tx.networksOf(nodeId) };
    })
  );
  const node = result.node;
  ctx.liveness.touch(node, now);
  ctx.liveness.written(node.nodeId, now);
  ctx.sessions.bind(node.nodeId, conn);
  const reply: Record<string, unknown> = {
    node_id: node.nodeId,
    address: addressOf(node.nodeId),
    new: result.isNew,
    public: node.public,
  };
  if (node.hostname !== null) reply.hostname = node.hostname;
  if (hostnameError !== undefined) reply.hostname_error = hostnameError;
  reply.networks = [NETWORK_BACKBONE, ...result.networks];
  reply.heartbeat_s = HEARTBEAT_INTERVAL_S;
  reply.expiry_s = ONLINE_EXPIRY_S;
  reply.server_time_ms = now;
  return reply;
};

export const heartbeat: SignedHandler = async (ctx, { obj, node, conn }) => {
  const now = ctx.clock.now();
  const listenPort = obj.listen_port === undefined ? undefined : reqInt(obj, "listen_port", 0, PORT_MAX);
  const lanAddrs = optLanAddrs(obj);
  const patch: NodePatch = {};
  if (listenPort !== undefined && listenPort !== node.listenPort) patch.listenPort = listenPort;
  if (lanAddrs !== undefined && lanAddrs.join(",") !== node.lanAddrs.join(",")) patch.lanAddrs = lanAddrs;
  if (conn.remoteIp !== node.tcpIp) patch.tcpIp = conn.remoteIp;
  const comingBack = node.lastSeenMs === 0;
  if (ctx.liveness.touch(node, now) || comingBack) patch.lastSeenMs = now;
  const inbox = Object.keys(patch).length === 0
    ? await ctx.store.read((tx) => tx.countInbox(node.nodeId, now))
    : await ctx.store.transaction(async (tx) => {
      await tx.updateNode(node.nodeId, patch);
      return await tx.countInbox(node.nodeId, now);
    });
  if (patch.lastSeenMs !== undefined) ctx.liveness.written(node.nodeId, now);
  return { server_time_ms: now, inbox, online_until_ms: now + ONLINE_EXPIRY_MS };
};

export const deregister: SignedHandler = async (ctx, { obj, node }) => {
  const purge = optBool(obj, "purge") ?? false;
  const release = purge || (optBool(obj, "release") ?? false);
  await ctx.store.transaction(async (tx) => {
    const patch: NodePatch = { lastSeenMs: 0 };
    if (release) patch.hostname = null;
    await tx.updateNode(node.nodeId, patch);
    if (release) await tx.setTags(node.nodeId, []);
    if (purge) await tx.deleteTrustEdgesOf(node.nodeId);
    await tx.deleteBeaconEndpoint(node.nodeId);
  });
  ctx.liveness.markOffline(node.nodeId);
  ctx.beacon?.forget(node.nodeId);
  return { offline: true };
};

export const rotateKey: SignedHandler = async (ctx, { obj, node }) => {
  const newPublicKey = reqBytes(obj, "new_public_key", KEY_BYTES);
  const newNoisePublicKey = reqBytes(obj, "new_noise_public_key", KEY_BYTES);
  const newNoiseIssuedAt = reqInt(obj, "new_noise_issued_at", 0, TIME_MAX);
  const newNoiseSig = reqBytes(obj, "new_noise_sig", SIG_BYTES);
  const rotatedAtMs = reqInt(obj, "rotated_at_ms", 0, TIME_MAX);
  const rotationSig = reqBytes(obj, "rotation_sig", SIG_BYTES);
  const newKeySig = reqBytes(obj, "new_key_sig", SIG_BYTES);

  if (!ed25519Verify(newPublicKey, rotateNewKeySignedBytes(obj), newKeySig)) {
    throw new RegistryError("bad_signature", "new_key_sig does not verify with new_public_key", {
      field: "new_key_sig",
    });
  }
  if (!ed25519Verify(node.publicKey, rotationSignedBytes(node.nodeId, newPublicKey, rotatedAtMs), rotationSig)) {
    throw new RegistryError("bad_signature", "rotation_sig does not verify with the current key", {
      field: "rotation_sig",
    });
  }
  if (!verifyNoiseBinding(newPublicKey, newNoisePublicKey, newNoiseIssuedAt, newNoiseSig)) {
    throw new RegistryError("bad_signature", "new noise key binding does not verify with new_public_key", {
      field: "new_noise_sig",
    });
  }
  await mapConflicts(() =>
    ctx.store.transaction(async (tx) => {
      const current = await tx.nodeById(node.nodeId);
      // Another rotation may have committed since authentication; only the key that signed may step forward.
      if (current === null || toBase64(current.publicKey) !== toBase64(node.publicKey)) {
        throw new RegistryError("forbidden", "key was rotated: sign with the node's current key", { field: "sig" });
      }
      if (await tx.isRetiredKey(newPublicKey)) {
        throw new RegistryError("forbidden", "key was rotated: a retired key cannot be used again", {
          field: "new_public_key",
        });
      }
      if (await tx.nodeByPublicKey(newPublicKey) !== null) {
        throw new RegistryError("already_exists", "new_public_key is already registered", {
          field: "new_public_key",
        });
      }
      const chain = await tx.keyChain(node.nodeId);
      const last = chain.at(-1);
      if (last !== undefined && rotatedAtMs <= last.rotatedAtMs) {
        throw invalid("rotated_at_ms", `rotated_at_ms ${rotatedAtMs} is not after the previous rotation`);
      }
      await tx.rotateKey(node.nodeId, { publicKey: node.publicKey, rotatedAtMs, rotationSig }, {
        publicKey: newPublicKey,
        noisePublicKey: newNoisePublicKey,
        noiseIssuedAt: newNoiseIssuedAt,
        noiseSig: newNoiseSig,
      });
    })
  );
  return { node_id: node.nodeId, address: addressOf(node.nodeId), public_key: toBase64(newPublicKey) };
};
