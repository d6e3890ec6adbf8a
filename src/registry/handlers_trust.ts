// Trust relay and trust-edge handlers (PROTOCOL-BRIEF §4.4, §6.1, §6.2): handshake_request / handshake_respond
// verify the inner signed message (from = signer, to = target, signature with the signer's current key, not
// expired) before queueing it for 7 days and pushing `notify`; handshake_poll; report_trust / revoke_trust /
// list_trust record the edges that make mutual-trust visibility (§4.3).
import { ed25519Verify } from "../crypto/mod.ts";
import { fromBase64Exact } from "../util/bytes.ts";
import { MAX_TRUST_FRAME_BYTES } from "../wire/mod.ts";
import type { RegistryContext } from "./context.ts";
import { nodeNotFound, type SignedHandler } from "./handlers_common.ts";
import { MAX_CLOCK_SKEW_MS, NONCE_BYTES, RegistryError, trustSignedBytes } from "./protocol.ts";
import type { NodeRecord, StoreTx } from "./store.ts";
import {
  invalid,
  type Json,
  MAX_JUSTIFICATION_BYTES,
  MAX_REASON_BYTES,
  optInt,
  reqArray,
  reqNodeRef,
  reqObject,
  utf8Length,
} from "./validation.ts";

export const INBOX_TTL_MS = 7 * 86_400_000;
const POLL_MAX = 50;
const ACK_MAX = 1000;
const SIG_BYTES = 64;
const REQUEST_TYPES = ["trust_request"] as const;
const RESPONSE_TYPES = ["trust_approve", "trust_reject", "trust_revoke"] as const;

function msgInvalid(field: string, message: string): RegistryError {
  return invalid(`message.${field}`, message);
}

function msgInt(m: Json, field: string): number {
  const v = m[field];
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 0) {
    throw msgInvalid(field, `trust message field "${field}" must be a non-negative integer`);
  }
  return v;
}

function msgOptText(m: Json, field: string, maxBytes: number): void {
  const v = m[field];
  if (v === undefined) return;
  if (typeof v !== "string") throw msgInvalid(field, `trust message field "${field}" must be a string`);
  if (utf8Length(v) > maxBytes) throw msgInvalid(field, `trust message ${field} is longer than ${maxBytes} bytes`);
}

/** Checks the relayed message of §6.1 against the requester and returns the target, kind and JSON text. */
function checkTrustMessage(
  ctx: RegistryContext,
  obj: Json,
  signer: NodeRecord,
  kinds: readonly string[],
): { to: number; kind: string; text: string } {
  const to = reqNodeRef(obj, "to");
  const m = reqObject(obj, "message");
  const text = JSON.stringify(m);
  if (utf8Length(text) > MAX_TRUST_FRAME_BYTES) {
    throw invalid("message", `trust message is larger than ${MAX_TRUST_FRAME_BYTES} bytes`);
  }
  const kind = m.type;
  if (typeof kind !== "string" || !kinds.includes(kind)) {
    throw msgInvalid("type", `trust message type must be ${kinds.join(" or ")}`);
  }
  if (msgInt(m, "from") !== signer.nodeId) {
    throw msgInvalid("from", `trust message "from" must be the requesting node ${signer.nodeId}`);
  }
  if (msgInt(m, "to") !== to) throw msgInvalid("to", `trust message "to" must equal the request's "to" ${to}`);
  if (to === signer.nodeId) throw invalid("to", "a node cannot send a trust message to itself");
  const ts = msgInt(m, "ts");
  const exp = msgInt(m, "exp");
  if (fromBase64Exact(m.nonce, NONCE_BYTES) === null) {
    throw msgInvalid("nonce", `trust message nonce must be base64 of ${NONCE_BYTES} bytes`);
  }
  const sig = fromBase64Exact(m.sig, SIG_BYTES);
  if (sig === null) throw msgInvalid("sig", `trust message sig must be base64 of ${SIG_BYTES} bytes`);
  if (kind === "trust_request") msgOptText(m, "justification", MAX_JUSTIFICATION_BYTES);
  else msgOptText(m, "reason", MAX_REASON_BYTES);
  const now = ctx.clock.now();
  if (now > exp) throw msgInvalid("exp", `trust message expired at ${exp}`);
  if (ts > now + MAX_CLOCK_SKEW_MS) {
    throw new RegistryError("clock_skew", `trust message time ${ts} is in the future`, {
      field: "message.ts",
      serverTimeMs: now,
    });
  }
  if (!ed25519Verify(signer.publicKey, trustSignedBytes(m), sig)) {
    throw new RegistryError("bad_signature", "trust message signature does not verify with your key", {
      field: "message.sig",
    });
  }
  return { to, kind, text };
}

async function queue(ctx: RegistryContext, from: number, msg: { to: number; kind: string; text: string }) {
  const now = ctx.clock.now();
  const inbox = await ctx.store.transaction(async (tx) => {
    if (await tx.nodeById(msg.to) === null) throw nodeNotFound(msg.to, "to");
    // One outstanding message of a kind per pair: the newer replaces the older (§4.4).
    await tx.deleteInbox(from, msg.to, msg.kind);
    const queued = await tx.countInbox(msg.to, now);
    if (queued >= ctx.limits.inboxMax) {
      throw new RegistryError("limit_exceeded", `the inbox of node ${msg.to} is full`, { field: "to" });
    }
    await tx.enqueueInbox({
      from,
      to: msg.to,
      kind: msg.kind,
      message: msg.text,
      queuedAtMs: now,
      expiresAtMs: now + INBOX_TTL_MS,
    });
    return queued + 1;
  });
  ctx.sessions.notify(msg.to, inbox);
  return { queued: true };
}

export const handshakeRequest: SignedHandler = async (ctx, { obj, node }) => {
  ctx.rates.nodeHandshake(node.nodeId, ctx.clock.now());
  return await queue(ctx, node.nodeId, checkTrustMessage(ctx, obj, node, REQUEST_TYPES));
};

export const handshakeRespond: SignedHandler = async (ctx, { obj, node }) => {
  return await queue(ctx, node.nodeId, checkTrustMessage(ctx, obj, node, RESPONSE_TYPES));
};

export const handshakePoll: SignedHandler = async (ctx, { obj, node }) => {
  const ack = obj.ack === undefined ? [] : reqArray(obj, "ack");
  if (ack.length > ACK_MAX) throw invalid("ack", `too many acks: ${ack.length}, at most ${ACK_MAX}`);
  const seqs = ack.map((s) => {
    if (typeof s !== "number" || !Number.isSafeInteger(s) || s < 0) throw invalid("ack", "ack must list seq numbers");
    return s;
  });
  const max = optInt(obj, "max", 1, POLL_MAX) ?? POLL_MAX;
  const now = ctx.clock.now();
  const poll = async (tx: StoreTx) => {
    if (seqs.length > 0) await tx.ackInbox(node.nodeId, seqs);
    return await tx.pollInbox(node.nodeId, now, max + 1);
  };
  const entries = seqs.length > 0 ? await ctx.store.transaction(poll) : await ctx.store.read(poll);
  return {
    messages: entries.slice(0, max).map((e) => ({
      seq: e.seq,
      from: e.from,
      message: JSON.parse(e.message) as Json,
      queued_at_ms: e.queuedAtMs,
    })),
    more: entries.length > max,
  };
};

export const reportTrust: SignedHandler = async (ctx, { obj, node }) => {
  const peer = reqNodeRef(obj, "peer");
  if (peer === node.nodeId) throw invalid("peer", "a node cannot report trust in itself");
  const mutual = await ctx.store.transaction(async (tx) => {
    if (await tx.nodeById(peer) === null) throw nodeNotFound(peer, "peer");
    await tx.putTrustEdge(node.nodeId, peer, ctx.clock.now());
    return await tx.hasTrustEdge(peer, node.nodeId);
  });
  return { mutual };
};

export const revokeTrust: SignedHandler = async (ctx, { obj, node }) => {
  const peer = reqNodeRef(obj, "peer");
  await ctx.store.transaction((tx) => tx.deleteTrustEdge(node.nodeId, peer));
  return { mutual: false };
};

export const listTrust: SignedHandler = async (ctx, { node }) => {
  const edges = await ctx.store.read((tx) => tx.trustEdgesOf(node.nodeId));
  return { edges: edges.map((e) => ({ peer: e.peer, outgoing: e.outgoing, incoming: e.incoming })) };
};
