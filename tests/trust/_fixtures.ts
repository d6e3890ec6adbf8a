// Shared fixtures for the trust tests: deterministic identities, an in-memory key directory and store, message
// builders, and a two-daemon harness that carries the `send` actions of one TrustManager to another.
import { ed25519FromSeed, ed25519Sign } from "../../src/crypto/mod.ts";
import { toBase64 } from "../../src/util/bytes.ts";
import { ManualClock } from "../../src/util/clock.ts";
import { InternalError } from "../../src/util/errors.ts";
import {
  type AutoApprovePolicy,
  DIRECT_MESSAGE_LIFETIME_MS,
  type PeerKeys,
  type PeerKeySource,
  type PeerRecord,
  signTrustMessage,
  type TrustAction,
  TrustManager,
  type TrustMessage,
  type TrustMessageType,
  type TrustSigner,
  type TrustStore,
} from "../../src/trust/mod.ts";

export const A = 0x101;
export const B = 0x102;
export const C = 0x103;
export const START_MS = 1_767_225_600_000;

export interface TestNode {
  readonly id: number;
  readonly seed: Uint8Array;
  readonly publicKey: Uint8Array;
  readonly publicKeyB64: string;
  readonly signer: TrustSigner;
}

/** A node whose key is derived from `id` and `generation` (a rotation gives a new generation). */
export function makeNode(id: number, generation = 0): TestNode {
  const seed = new Uint8Array(32);
  new DataView(seed.buffer).setUint32(0, id);
  seed[31] = generation + 1;
  const pair = ed25519FromSeed(seed);
  return {
    id,
    seed,
    publicKey: pair.publicKey,
    publicKeyB64: toBase64(pair.publicKey),
    signer: { sign: (m) => ed25519Sign(seed, m) },
  };
}

let nonceCounter = 0;

/** A signed message from `from` to `to`; fields can be overridden before signing. */
export function signedMessage(
  from: TestNode,
  to: number,
  type: TrustMessageType,
  ts: number,
  extra: Partial<{ exp: number; justification: string; reason: string; fromId: number }> = {},
): TrustMessage {
  const nonce = new Uint8Array(16);
  new DataView(nonce.buffer).setUint32(12, ++nonceCounter);
  return signTrustMessage({
    type,
    from: extra.fromId ?? from.id,
    to,
    ts,
    exp: extra.exp ?? ts + DIRECT_MESSAGE_LIFETIME_MS,
    nonce: toBase64(nonce),
    ...(extra.justification !== undefined ? { justification: extra.justification } : {}),
    ...(extra.reason !== undefined ? { reason: extra.reason } : {}),
  }, from.signer);
}

/** The message as a receiver sees it: untyped JSON. */
export function wire(msg: TrustMessage): Record<string, unknown> {
  return JSON.parse(JSON.stringify(msg));
}

export class KeyDirectory implements PeerKeySource {
  readonly #keys = new Map<number, PeerKeys>();
  lookups = 0;

  set(nodeId: number, keys: PeerKeys): void {
    this.#keys.set(nodeId, keys);
  }

  add(node: TestNode): void {
    this.set(node.id, { publicKey: node.publicKey, keyChain: [] });
  }

  getKeys(nodeId: number): Promise<PeerKeys | null> {
    this.lookups++;
    return Promise.resolve(this.#keys.get(nodeId) ?? null);
  }
}

export class MemoryStore implements TrustStore {
  records: PeerRecord[] = [];
  saves = 0;
  failWrites = false;

  load(): Promise<PeerRecord[]> {
    return Promise.resolve([...this.records]);
  }

  save(records: readonly PeerRecord[]): Promise<void> {
    if (this.failWrites) return Promise.reject(new InternalError("storage write failed: disk full"));
    this.saves++;
    this.records = [...records];
    return Promise.resolve();
  }
}

export interface Daemon {
  readonly node: TestNode;
  readonly manager: TrustManager;
  readonly store: TrustStore;
}

export interface OpenOptions {
  readonly store?: TrustStore;
  readonly policy?: AutoApprovePolicy;
  readonly sharesNetwork?: (peer: number) => Promise<number | null>;
}

export function openDaemon(
  node: TestNode,
  clock: ManualClock,
  keys: KeyDirectory,
  opts: OpenOptions = {},
): Promise<Daemon> {
  const store = opts.store ?? new MemoryStore();
  return TrustManager.open({
    selfId: node.id,
    signer: node.signer,
    store,
    keys,
    clock,
    policy: opts.policy ?? "none",
    sharesNetwork: opts.sharesNetwork,
  }).then((manager) => ({ node, manager, store }));
}

export type SendAction = Extract<TrustAction<TrustMessage>, { kind: "send" }>;

export function sends(actions: readonly TrustAction<TrustMessage>[]): SendAction[] {
  return actions.filter((a): a is SendAction => a.kind === "send");
}

export function kinds(actions: readonly TrustAction<TrustMessage>[]): string[] {
  return actions.map((a) => a.kind === "webhook" ? `webhook:${a.event}` : a.kind);
}

/** Delivers every `send` of `actions` from `from` to `to` over port 444; returns the acks' statuses. */
export async function deliver(
  actions: readonly TrustAction<TrustMessage>[],
  from: Daemon,
  to: Daemon,
): Promise<{ statuses: string[]; actions: TrustAction<TrustMessage>[] }> {
  const statuses: string[] = [];
  const produced: TrustAction<TrustMessage>[] = [];
  for (const send of sends(actions)) {
    const result = await to.manager.onMessage(wire(send.direct), "direct", from.node.id);
    statuses.push(result.ack.status);
    produced.push(...result.actions);
  }
  return { statuses, actions: produced };
}

export function newWorld(): { clock: ManualClock; keys: KeyDirectory; a: TestNode; b: TestNode; c: TestNode } {
  const keys = new KeyDirectory();
  const a = makeNode(A);
  const b = makeNode(B);
  const c = makeNode(C);
  keys.add(a);
  keys.add(b);
  keys.add(c);
  return { clock: new ManualClock(START_MS), keys, a, b, c };
}
