// Registry authentication (PROTOCOL-BRIEF §4.2): registration challenges bound to one connection, single use and
// valid 30 s; signed requests checked in the order ts window → replay cache → signature, the nonce recorded only
// after the signature verifies; the replay cache kept 600 s and handed to the store in batches.
import { ed25519Verify } from "../crypto/mod.ts";
import { bytesEqual, fromBase64Exact, randomBytes, toBase64 } from "../util/bytes.ts";
import type { Clock } from "../util/clock.ts";
import {
  CHALLENGE_BYTES,
  CHALLENGE_TTL_MS,
  MAX_CLOCK_SKEW_MS,
  NONCE_BYTES,
  RegistryError,
  registrySignedBytes,
} from "./protocol.ts";
import type { NodeRecord, RegistryStore, ReplayEntry } from "./store.ts";
import type { Json } from "./validation.ts";

export const REPLAY_KEEP_MS = 600_000;
/** A connection may hold this many unanswered challenges; older ones are forgotten. */
const MAX_CHALLENGES_PER_CONN = 4;
/** How many retired keys are tried to tell "rotated key" from "bad signature". */
const ROTATED_KEYS_CHECKED = 4;
const SIGNATURE_BYTES = 64;

/** Challenges issued on one connection (volatile by design, §4.6). */
export class ChallengeBook {
  readonly #issued = new Map<string, { publicKey: Uint8Array; expiresAtMs: number }>();

  issue(publicKey: Uint8Array, nowMs: number): Uint8Array {
    const challenge = randomBytes(CHALLENGE_BYTES);
    if (this.#issued.size >= MAX_CHALLENGES_PER_CONN) {
      const oldest = this.#issued.keys().next().value;
      if (oldest !== undefined) this.#issued.delete(oldest);
    }
    this.#issued.set(toBase64(challenge), { publicKey, expiresAtMs: nowMs + CHALLENGE_TTL_MS });
    return challenge;
  }

  /** Uses up the challenge; true only if it was issued here, for this key, and has not expired. */
  consume(challenge: Uint8Array, publicKey: Uint8Array, nowMs: number): boolean {
    const key = toBase64(challenge);
    const entry = this.#issued.get(key);
    if (entry === undefined) return false;
    this.#issued.delete(key);
    return nowMs < entry.expiresAtMs && bytesEqual(entry.publicKey, publicKey);
  }
}

/** (node_id, nonce) pairs seen in the last 600 s; new entries queue up for the next batch write. */
export class ReplayCache {
  readonly #expires = new Map<string, number>();
  #pending: ReplayEntry[] = [];

  static #key(nodeId: number, nonce: Uint8Array): string {
    return `${nodeId}/${toBase64(nonce)}`;
  }

  has(nodeId: number, nonce: Uint8Array, nowMs: number): boolean {
    const exp = this.#expires.get(ReplayCache.#key(nodeId, nonce));
    return exp !== undefined && exp > nowMs;
  }

  /** Records the pair unless present; false means it is a replay. Synchronous, so check and insert are atomic. */
  tryRecord(nodeId: number, nonce: Uint8Array, nowMs: number): boolean {
    if (this.has(nodeId, nonce, nowMs)) return false;
    const expiresAtMs = nowMs + REPLAY_KEEP_MS;
    this.#expires.set(ReplayCache.#key(nodeId, nonce), expiresAtMs);
    this.#pending.push({ nodeId, nonce, expiresAtMs });
    return true;
  }

  /** Loads entries persisted by an earlier run (they are not written again). */
  load(entries: readonly ReplayEntry[]): void {
    for (const e of entries) this.#expires.set(ReplayCache.#key(e.nodeId, e.nonce), e.expiresAtMs);
  }

  takePending(): ReplayEntry[] {
    const out = this.#pending;
    this.#pending = [];
    return out;
  }

  /** Puts back a batch whose write failed, so the next flush retries it. */
  restorePending(entries: readonly ReplayEntry[]): void {
    this.#pending = [...entries, ...this.#pending];
  }

  prune(nowMs: number): void {
    for (const [k, exp] of this.#expires) if (exp <= nowMs) this.#expires.delete(k);
  }

  get size(): number {
    return this.#expires.size;
  }
}

export interface AuthDeps {
  readonly store: RegistryStore;
  readonly clock: Clock;
  readonly replay: ReplayCache;
  /** Wall time the registry started: older `ts` values are refused (§4.2). */
  readonly startedAtMs: number;
}

function unauthenticated(field: string, what: string): RegistryError {
  return new RegistryError("unauthenticated", `signed field "${field}" ${what}`, { field });
}

/** The ±300 s window around the server clock (§4.2); `clock_skew` carries the server time. */
export function checkTimestamp(ts: number, nowMs: number, notBeforeMs: number): void {
  if (Math.abs(ts - nowMs) > MAX_CLOCK_SKEW_MS) {
    throw new RegistryError("clock_skew", `request time ${ts} is more than 300 s from server time ${nowMs}`, {
      field: "ts",
      serverTimeMs: nowMs,
    });
  }
  if (ts < notBeforeMs) {
    throw new RegistryError("clock_skew", `request time ${ts} is before the registry started at ${notBeforeMs}`, {
      field: "ts",
      serverTimeMs: nowMs,
    });
  }
}

/**
 * Authenticates a signed request and returns the signer's node. Order (§4.2): signed fields present, ts window,
 * replay cache, known node, signature; only then is the nonce recorded.
 */
export async function authenticateSigned(deps: AuthDeps, obj: Json): Promise<NodeRecord> {
  const nodeId = obj.node_id;
  if (typeof nodeId !== "number" || !Number.isSafeInteger(nodeId) || nodeId < 0) {
    throw unauthenticated("node_id", nodeId === undefined ? "is missing" : "must be a node id");
  }
  const ts = obj.ts;
  if (typeof ts !== "number" || !Number.isSafeInteger(ts)) {
    throw unauthenticated("ts", ts === undefined ? "is missing" : "must be an integer");
  }
  const nonce = fromBase64Exact(obj.nonce, NONCE_BYTES);
  if (nonce === null) throw unauthenticated("nonce", `must be base64 of ${NONCE_BYTES} bytes`);
  const sig = fromBase64Exact(obj.sig, SIGNATURE_BYTES);
  if (sig === null) throw unauthenticated("sig", `must be base64 of ${SIGNATURE_BYTES} bytes`);

  const now = deps.clock.now();
  checkTimestamp(ts, now, deps.startedAtMs);
  if (deps.replay.has(nodeId, nonce, now)) {
    throw new RegistryError("replay", "request nonce was already used", { field: "nonce" });
  }
  const found = await deps.store.read(async (tx) => {
    const node = await tx.nodeById(nodeId);
    return node === null ? null : { node, chain: await tx.keyChain(nodeId) };
  });
  if (found === null) {
    throw new RegistryError("unauthenticated", `unknown node id ${nodeId}`, { field: "node_id" });
  }
  const message = registrySignedBytes(obj);
  if (!ed25519Verify(found.node.publicKey, message, sig)) {
    const retired = found.chain.slice(-ROTATED_KEYS_CHECKED);
    if (retired.some((k) => ed25519Verify(k.publicKey, message, sig))) {
      throw new RegistryError("forbidden", "key was rotated: sign with the node's current key", { field: "sig" });
    }
    throw new RegistryError("bad_signature", "request signature does not verify", { field: "sig" });
  }
  if (!deps.replay.tryRecord(nodeId, nonce, deps.clock.now())) {
    throw new RegistryError("replay", "request nonce was already used", { field: "nonce" });
  }
  return found.node;
}
