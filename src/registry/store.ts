// The registry store interface (PROTOCOL-BRIEF §4.6): everything the registry and beacon persist, behind async
// methods so SQLite (store_sqlite.ts) and PostgreSQL implement the same contract and pass one shared test suite.
// The store is dumb storage; the rules (visibility, limits, validation) live in the handlers.

/** A registered node as stored. Keys and signatures are raw bytes. */
export interface NodeRecord {
  readonly nodeId: number;
  readonly publicKey: Uint8Array;
  readonly noisePublicKey: Uint8Array;
  readonly noiseIssuedAt: number;
  readonly noiseSig: Uint8Array;
  readonly owner: string | null;
  readonly hostname: string | null;
  readonly tags: readonly string[];
  readonly public: boolean;
  /** Last register/heartbeat, unix ms, written at most once per 60 s; 0 = offline (deregistered or never seen). */
  readonly lastSeenMs: number;
  readonly listenPort: number | null;
  /** The configured public endpoint `ip:port` (register `endpoint`). */
  readonly endpoint: string | null;
  readonly lanAddrs: readonly string[];
  /** Source IP of the TCP connection of the last register/heartbeat. */
  readonly tcpIp: string | null;
  readonly createdAtMs: number;
}

export type NewNode = Omit<NodeRecord, "tags">;

/** Columns a request may change; absent fields are left alone. */
export interface NodePatch {
  noisePublicKey?: Uint8Array;
  noiseIssuedAt?: number;
  noiseSig?: Uint8Array;
  owner?: string | null;
  hostname?: string | null;
  public?: boolean;
  lastSeenMs?: number;
  listenPort?: number | null;
  endpoint?: string | null;
  lanAddrs?: readonly string[];
  tcpIp?: string | null;
}

/** One retired key: the old key, when it was replaced and the old key's signature over the step (§4.4). */
export interface KeyChainEntry {
  readonly publicKey: Uint8Array;
  readonly rotatedAtMs: number;
  readonly rotationSig: Uint8Array;
}

/** The key material rotate_key installs. */
export interface NewKeys {
  readonly publicKey: Uint8Array;
  readonly noisePublicKey: Uint8Array;
  readonly noiseIssuedAt: number;
  readonly noiseSig: Uint8Array;
}

export type JoinRule = "open" | "token" | "invite";

export interface NetworkRecord {
  readonly networkId: number;
  readonly name: string;
  readonly joinRule: JoinRule;
  /** SHA-256 of the join token (rule `token`), else null. */
  readonly tokenSha256: Uint8Array | null;
  readonly createdBy: number;
  readonly createdAtMs: number;
}

export interface MemberRecord {
  readonly nodeId: number;
  readonly admin: boolean;
}

export interface TrustEdgeView {
  readonly peer: number;
  readonly outgoing: boolean;
  readonly incoming: boolean;
}

export interface InboxEntry {
  readonly seq: number;
  readonly from: number;
  readonly to: number;
  /** The trust message type (`trust_request`, …). */
  readonly kind: string;
  /** The signed trust message as JSON text, exactly as relayed. */
  readonly message: string;
  readonly queuedAtMs: number;
  readonly expiresAtMs: number;
}

export type NewInboxEntry = Omit<InboxEntry, "seq">;

export interface ReplayEntry {
  readonly nodeId: number;
  readonly nonce: Uint8Array;
  readonly expiresAtMs: number;
}

export interface BeaconEndpoint {
  readonly nodeId: number;
  readonly ip: string;
  readonly port: number;
  readonly expiresAtMs: number;
}

export interface PunchJob {
  /** 16 lower-case hex digits (the 8-byte punch id of PUNCH_COMMAND). */
  readonly punchId: string;
  readonly nodeA: number;
  readonly nodeB: number;
  readonly endpointA: string;
  readonly endpointB: string;
  readonly createdAtMs: number;
}

export interface StoreCounts {
  readonly nodes: number;
  readonly online: number;
  /** Pairs with trust edges in both directions. */
  readonly mutualTrustLinks: number;
  /** Distinct tags in use. */
  readonly tags: number;
  readonly networks: number;
}

/** A UNIQUE constraint refused a write (a race the handler's own check lost); the handler maps it. */
export class StoreConflictError extends Error {
  readonly constraint: "public_key" | "hostname" | "network_name" | "other";
  constructor(constraint: StoreConflictError["constraint"], message: string) {
    super(message);
    this.name = "StoreConflictError";
    this.constraint = constraint;
  }
}

/** Operations inside one transaction. Valid only until the transaction callback settles. */
export interface StoreTx {
  // ── nodes
  nodeById(nodeId: number): Promise<NodeRecord | null>;
  nodeByPublicKey(publicKey: Uint8Array): Promise<NodeRecord | null>;
  nodeByHostname(hostname: string): Promise<NodeRecord | null>;
  /** Takes the next node id from the persisted counter (first FIRST_ASSIGNED_NODE); never returns one twice. */
  allocateNodeId(): Promise<number>;
  insertNode(node: NewNode): Promise<void>;
  updateNode(nodeId: number, patch: NodePatch): Promise<void>;
  setTags(nodeId: number, tags: readonly string[]): Promise<void>;
  /** Nodes carrying `tag` with node id > afterNodeId, ascending, at most `limit`. */
  nodesByTag(tag: string, afterNodeId: number, limit: number): Promise<NodeRecord[]>;
  /** True when the key was some node's key before a rotation. */
  isRetiredKey(publicKey: Uint8Array): Promise<boolean>;
  keyChain(nodeId: number): Promise<KeyChainEntry[]>;
  /** Appends the current key to the chain as `retired` and installs `next`. */
  rotateKey(nodeId: number, retired: KeyChainEntry, next: NewKeys): Promise<void>;

  // ── networks
  /** Next network id from 1 up, never reused; null when all 65534 are used. */
  allocateNetworkId(): Promise<number | null>;
  insertNetwork(network: NetworkRecord): Promise<void>;
  networkById(networkId: number): Promise<NetworkRecord | null>;
  networkByName(name: string): Promise<NetworkRecord | null>;
  /** All networks by id, at most `limit`. */
  listNetworks(limit: number): Promise<NetworkRecord[]>;
  member(networkId: number, nodeId: number): Promise<MemberRecord | null>;
  addMember(networkId: number, nodeId: number, admin: boolean, joinedAtMs: number): Promise<void>;
  removeMember(networkId: number, nodeId: number): Promise<void>;
  countMembers(networkId: number): Promise<number>;
  /** Members with node id > afterNodeId, ascending, at most `limit`. */
  listMembers(networkId: number, afterNodeId: number, limit: number): Promise<MemberRecord[]>;
  /** Non-zero networks `nodeId` belongs to, ascending. */
  networksOf(nodeId: number): Promise<number[]>;
  /** Non-zero networks both nodes belong to, ascending. */
  sharedNetworks(a: number, b: number): Promise<number[]>;
  putInvite(networkId: number, invitee: number, expiresAtMs: number): Promise<void>;
  /** The invite's expiry, or null when there is none. */
  inviteExpiry(networkId: number, invitee: number): Promise<number | null>;
  deleteInvite(networkId: number, invitee: number): Promise<void>;

  // ── trust edges (§4.4 report_trust)
  putTrustEdge(from: number, to: number, atMs: number): Promise<void>;
  deleteTrustEdge(from: number, to: number): Promise<void>;
  hasTrustEdge(from: number, to: number): Promise<boolean>;
  trustEdgesOf(nodeId: number): Promise<TrustEdgeView[]>;
  /** Removes every edge from or to the node (deregister `purge`). */
  deleteTrustEdgesOf(nodeId: number): Promise<void>;

  // ── trust inbox
  enqueueInbox(entry: NewInboxEntry): Promise<number>;
  /** Deletes queued messages of `kind` from → to (a newer trust_request replaces the older). */
  deleteInbox(from: number, to: number, kind: string): Promise<void>;
  countInbox(to: number, nowMs: number): Promise<number>;
  ackInbox(to: number, seqs: readonly number[]): Promise<void>;
  /** Unexpired messages for `to` by seq, at most `max`. */
  pollInbox(to: number, nowMs: number, max: number): Promise<InboxEntry[]>;
  pruneInbox(nowMs: number): Promise<void>;

  // ── replay cache (§4.2), persisted in batches
  putReplayEntries(entries: readonly ReplayEntry[]): Promise<void>;
  loadReplayEntries(nowMs: number): Promise<ReplayEntry[]>;
  pruneReplay(nowMs: number): Promise<void>;

  // ── beacon registrations (TTL) and punch jobs (§5)
  putBeaconEndpoint(endpoint: BeaconEndpoint): Promise<void>;
  /** The unexpired registration, or null. */
  beaconEndpoint(nodeId: number, nowMs: number): Promise<BeaconEndpoint | null>;
  deleteBeaconEndpoint(nodeId: number): Promise<void>;
  pruneBeaconEndpoints(nowMs: number): Promise<void>;
  insertPunchJob(job: PunchJob): Promise<void>;
  /** The newest job for the unordered pair created at or after `sinceMs`, or null. */
  recentPunchJob(a: number, b: number, sinceMs: number): Promise<PunchJob | null>;
  /** Marks up to `max` untaken jobs taken and returns them, oldest first. */
  takePunchJobs(max: number): Promise<PunchJob[]>;
  prunePunchJobs(beforeMs: number): Promise<void>;

  // ── statistics (metrics, dashboard)
  counts(onlineSinceMs: number): Promise<StoreCounts>;
}

/**
 * Writes made by other registry instances sharing the store, delivered after they commit (§4.1 notify across
 * instances, §4.2 replay cache, §5 punch jobs reach the one instance running the beacon).
 */
export interface StoreEventHandlers {
  /** A trust message was queued for `nodeId`, whose inbox now holds `inbox` messages. */
  inboxQueued(nodeId: number, inbox: number): void;
  /** Punch jobs were inserted. */
  punchJobsQueued(): void;
  /** The node went offline: its beacon registration is void. */
  beaconForget(nodeId: number): void;
  /** Nonces recorded by another instance. */
  replayRecorded(entries: readonly ReplayEntry[]): void;
}

export interface StoreSubscription {
  close(): Promise<void>;
}

export interface RegistryStore {
  /** `sqlite` or `postgres`, for the ready block. */
  readonly kind: string;
  /** The file path, `:memory:` or a redacted URL. */
  readonly location: string;
  /**
   * Runs `fn` in one transaction: committed when it resolves (and only then does this resolve), rolled back when it
   * throws, the error passed on. Storage failures become InternalError("storage write failed: …"). `fn` uses only
   * `tx`: calling the store again from inside may wait for this very transaction (SQLite runs them one at a time),
   * and a backend may run `fn` again after a serialization conflict (PostgreSQL), so it must have no other effects.
   */
  transaction<T>(fn: (tx: StoreTx) => Promise<T>): Promise<T>;
  /** Runs read-only `fn` against a consistent view. */
  read<T>(fn: (tx: StoreTx) => Promise<T>): Promise<T>;
  /**
   * Present on stores that several instances share: delivers the other instances' events to `handlers` (its own
   * are not echoed) from when this resolves until the subscription or the store is closed.
   */
  subscribe?(handlers: StoreEventHandlers): Promise<StoreSubscription>;
  close(): Promise<void>;
}
