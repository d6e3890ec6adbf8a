// Key pinning (PROTOCOL-BRIEF §6.3): a trusted peer's Ed25519 key may change only along a registry key_chain that
// verifies step by step from the pinned key (§4.4 rotate_key / get_keys).
//
//   rotation message = "pilot-rotate-v1\n" ‖ node_id u32 ‖ new_public_key (32) ‖ rotated_at_ms u64
//   key_chain[i].public_key = the i-th retired key; it signed the key that replaced it: key_chain[i+1].public_key,
//   or the current public_key for the last entry.
import { ed25519Verify } from "../crypto/mod.ts";
import { bytesEqual, concatBytes, fromBase64Exact, u32be, u64be, utf8 } from "../util/bytes.ts";
import { ED25519_KEY_BYTES, MAX_KEY_CHAIN_ENTRIES, TRUST_SIGNATURE_BYTES } from "./constants.ts";

const ROTATE_LABEL = utf8("pilot-rotate-v1\n");
const MAX_NODE_ID = 0xffffffff;

export interface KeyChainEntry {
  /** The retired key. */
  readonly publicKey: Uint8Array;
  readonly rotatedAtMs: number;
  /** By `publicKey`, over the rotation message naming the key that replaced it. */
  readonly rotationSig: Uint8Array;
}

/** The key material of a get_keys reply that pinning needs. */
export interface PeerKeys {
  readonly publicKey: Uint8Array;
  readonly keyChain: readonly KeyChainEntry[];
}

/** Where the trust layer obtains a peer's current key (the daemon answers with registry `get_keys`, cached). */
export interface PeerKeySource {
  /** null when the registry does not know the node or cannot be reached. */
  getKeys(nodeId: number): Promise<PeerKeys | null>;
}

/** The bytes the old key signs when it hands over to `newPublicKey`. */
export function rotationMessage(nodeId: number, newPublicKey: Uint8Array, rotatedAtMs: number): Uint8Array {
  return concatBytes(ROTATE_LABEL, u32be(nodeId), newPublicKey, u64be(rotatedAtMs));
}

/**
 * Whether `keys.publicKey` is the pinned key or is reached from it by a chain of valid rotation signatures. The walk
 * starts at an entry holding the pinned key and must verify every later step; timestamps may not go backwards.
 */
export function keyReachableFromPin(nodeId: number, pinned: Uint8Array, keys: PeerKeys): boolean {
  if (!Number.isInteger(nodeId) || nodeId < 0 || nodeId > MAX_NODE_ID) return false;
  if (bytesEqual(pinned, keys.publicKey)) return true;
  const chain = keys.keyChain;
  if (chain.length === 0 || chain.length > MAX_KEY_CHAIN_ENTRIES) return false;
  for (let start = 0; start < chain.length; start++) {
    if (bytesEqual(chain[start].publicKey, pinned) && chainVerifiesFrom(nodeId, keys, start)) return true;
  }
  return false;
}

function chainVerifiesFrom(nodeId: number, keys: PeerKeys, start: number): boolean {
  const chain = keys.keyChain;
  let previousAtMs = -1;
  for (let i = start; i < chain.length; i++) {
    const entry = chain[i];
    const next = i + 1 < chain.length ? chain[i + 1].publicKey : keys.publicKey;
    if (!Number.isSafeInteger(entry.rotatedAtMs) || entry.rotatedAtMs < previousAtMs) return false;
    if (next.length !== ED25519_KEY_BYTES) return false;
    if (!ed25519Verify(entry.publicKey, rotationMessage(nodeId, next, entry.rotatedAtMs), entry.rotationSig)) {
      return false;
    }
    previousAtMs = entry.rotatedAtMs;
  }
  return true;
}

/**
 * The key material of a registry `get_keys_ok` reply ({node_id, public_key, key_chain: [{public_key, rotated_at_ms,
 * rotation_sig}]}), checked strictly; null when anything is malformed or the node id differs.
 */
export function parseGetKeysReply(value: unknown, expectedNodeId: number): PeerKeys | null {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return null;
  const obj = value as Record<string, unknown>;
  if (obj.node_id !== expectedNodeId) return null;
  const publicKey = fromBase64Exact(obj.public_key, ED25519_KEY_BYTES);
  if (publicKey === null) return null;
  const rawChain = obj.key_chain ?? [];
  if (!Array.isArray(rawChain) || rawChain.length > MAX_KEY_CHAIN_ENTRIES) return null;
  const keyChain: KeyChainEntry[] = [];
  for (const item of rawChain) {
    if (typeof item !== "object" || item === null || Array.isArray(item)) return null;
    const e = item as Record<string, unknown>;
    const entryKey = fromBase64Exact(e.public_key, ED25519_KEY_BYTES);
    const rotationSig = fromBase64Exact(e.rotation_sig, TRUST_SIGNATURE_BYTES);
    const rotatedAtMs = e.rotated_at_ms;
    if (entryKey === null || rotationSig === null) return null;
    if (typeof rotatedAtMs !== "number" || !Number.isSafeInteger(rotatedAtMs) || rotatedAtMs < 0) return null;
    keyChain.push({ publicKey: entryKey, rotatedAtMs, rotationSig });
  }
  return { publicKey, keyChain };
}
