// Whose key is whose (PROTOCOL-BRIEF §3.2, §6.3): a node's Ed25519 identity key comes from the trust-store pin,
// else from the registry's `get_keys`; its X25519 static key and binding always come from `get_keys`. A registry
// answer that differs from a pin is believed only along a key chain that verifies from the pinned key (and then
// re-pins); otherwise the pin wins and the registry's noise binding will not verify under it, so the handshake is
// refused. The tunnel keeps resolved keys for 10 min itself; this layer only shares one `get_keys` among callers
// within a minute, so a tunnel that re-asks after a failed binding gets a fresh answer. A tunnel that saw a binding
// newer than the shared answer (the peer rotated its key), or a peer's BYE, skips or drops that answer.
import type { Logger } from "../log/logger.ts";
import type { GetKeysOk, RegistryClient } from "../registry/mod.ts";
import type { KeyLookupHint, PeerKeys as TunnelPeerKeys } from "../tunnel/mod.ts";
import { bytesEqual, fromBase64Exact } from "../util/bytes.ts";
import type { Clock } from "../util/clock.ts";
import { toPilotError } from "../util/errors.ts";
import { keyReachableFromPin, parseGetKeysReply, type PeerKeys as TrustPeerKeys } from "../trust/mod.ts";

/** One `get_keys` answer is shared by the callers of this long (tunnel retries, trust checks). */
export const KEY_ANSWER_REUSE_MS = 60_000;
const CACHE_MAX_ENTRIES = 4096;
const KEY_BYTES = 32;
const SIG_BYTES = 64;

export interface KeyResolverDeps {
  /** The registry connection; throws while unreachable. */
  readonly registry: () => RegistryClient;
  readonly clock: Clock;
  readonly log: Logger;
}

/** The trust store's pins, as the tunnel path needs them (TrustManager implements it). */
export interface PinStore {
  pinnedKey(peer: number): Uint8Array | null;
  acceptKeyChange(peer: number, keys: TrustPeerKeys): Promise<boolean>;
}

interface Cached {
  readonly reply: GetKeysOk;
  readonly atMs: number;
}

export class KeyResolver {
  readonly #d: KeyResolverDeps;
  readonly #cache = new Map<number, Cached>();
  readonly #inflight = new Map<number, Promise<GetKeysOk | null>>();

  constructor(deps: KeyResolverDeps) {
    this.#d = deps;
  }

  /** The TrustManager's PeerKeySource: the registry's current key and its key chain. */
  readonly trustSource = {
    getKeys: async (node: number): Promise<TrustPeerKeys | null> => {
      const reply = await this.#fetch(node, true);
      return reply === null ? null : parseGetKeysReply(reply, node);
    },
  };

  /** Starts a `get_keys` for `node` unless an answer is shared already; a later tunnelKeys() joins it. */
  prefetch(node: number): void {
    void this.#fetch(node, false);
  }

  /** Forgets the answer for `node` (its pin changed, or it said BYE and may come back with a new key). */
  forget(node: number): void {
    this.#cache.delete(node);
  }

  /**
   * For the tunnel's KeyResolver: the Ed25519 key (the pin first) and the noise binding. With a hint, a shared
   * answer whose binding is older than the one the peer presented is not reused.
   */
  async tunnelKeys(node: number, pins: PinStore, hint?: KeyLookupHint): Promise<TunnelPeerKeys | null> {
    const pin = pins.pinnedKey(node);
    const cached = this.#cache.get(node)?.reply.noise_issued_at;
    const stale = hint !== undefined && (typeof cached !== "number" || cached < hint.minNoiseIssuedAt);
    const reply = await this.#fetch(node, stale);
    const fromRegistry = reply === null ? null : parseTunnelKeys(reply);
    if (fromRegistry === null) return pin === null ? null : pinOnly(pin);
    if (pin === null || bytesEqual(pin, fromRegistry.publicKey)) return fromRegistry;
    const chain = parseGetKeysReply(reply, node);
    if (chain !== null && keyReachableFromPin(node, pin, chain) && await pins.acceptKeyChange(node, chain)) {
      this.#d.log.info("peer key changed along its key chain; re-pinned", { peer: node });
      return fromRegistry;
    }
    this.#d.log.limited("warn", `key_mismatch_${node}`, "registry key differs from the pinned key", { peer: node });
    // The registry's binding is signed by a key we do not believe; with the pin it cannot verify.
    return { ...fromRegistry, publicKey: pin };
  }

  #fetch(node: number, fresh: boolean): Promise<GetKeysOk | null> {
    const now = this.#d.clock.monotonic();
    const cached = this.#cache.get(node);
    if (!fresh && cached !== undefined && now - cached.atMs < KEY_ANSWER_REUSE_MS) {
      return Promise.resolve(cached.reply);
    }
    const running = this.#inflight.get(node);
    if (running !== undefined) return running;
    const request = this.#request(node).finally(() => this.#inflight.delete(node));
    this.#inflight.set(node, request);
    return request;
  }

  async #request(node: number): Promise<GetKeysOk | null> {
    try {
      const reply = await this.#d.registry().getKeys(node);
      if (reply.node_id !== node) return null;
      this.#cache.delete(node);
      this.#cache.set(node, { reply, atMs: this.#d.clock.monotonic() });
      if (this.#cache.size > CACHE_MAX_ENTRIES) {
        const oldest = this.#cache.keys().next().value;
        if (oldest !== undefined) this.#cache.delete(oldest);
      }
      return reply;
    } catch (err) {
      this.#d.log.debug("get_keys failed", { peer: node, error: toPilotError(err).message });
      return null;
    }
  }
}

function parseTunnelKeys(reply: GetKeysOk): TunnelPeerKeys | null {
  const publicKey = fromBase64Exact(reply.public_key, KEY_BYTES);
  const noisePublicKey = fromBase64Exact(reply.noise_public_key, KEY_BYTES);
  const noiseSig = fromBase64Exact(reply.noise_sig, SIG_BYTES);
  const issued = reply.noise_issued_at;
  if (publicKey === null || noisePublicKey === null || noiseSig === null) return null;
  if (typeof issued !== "number" || !Number.isSafeInteger(issued) || issued < 0) return null;
  return { publicKey, noisePublicKey, noiseIssuedAt: issued, noiseSig };
}

/** A pinned key without a binding: enough to verify a peer's PILH, never to start one. */
function pinOnly(pin: Uint8Array): TunnelPeerKeys {
  return {
    publicKey: pin,
    noisePublicKey: new Uint8Array(KEY_BYTES),
    noiseIssuedAt: 0,
    noiseSig: new Uint8Array(SIG_BYTES),
  };
}
