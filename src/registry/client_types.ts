// Typed shapes of registry replies (PROTOCOL-BRIEF §4.4) as the client returns them: the wire's own snake_case
// field names, so what a caller reads is exactly what the registry sent. Node references in requests may be an
// integer node id or an address in text form.
import type { JoinRule } from "./store.ts";
export type { JoinRule };

/** An integer node id or an address text (`0:0000.0000.0105`). */
export type NodeRef = number | string;

/** The node identity material registration needs (a subset of crypto's Identity). */
export interface RegistryIdentity {
  readonly seed: Uint8Array;
  readonly publicKey: Uint8Array;
  readonly noisePublicKey: Uint8Array;
  readonly noiseIssuedAt: number;
  readonly noiseSig: Uint8Array;
}

export interface HelloOk {
  proto: number;
  registry_id: string;
  server_time_ms: number;
  max_frame: number;
}

export interface RegisterArgs {
  listenPort: number;
  endpoint?: string;
  lanAddrs?: string[];
  owner?: string;
  hostname?: string;
  public?: boolean;
}

export interface RegisterOk {
  node_id: number;
  address: string;
  new: boolean;
  public: boolean;
  hostname?: string;
  hostname_error?: string;
  networks: number[];
  heartbeat_s: number;
  expiry_s: number;
  server_time_ms: number;
}

export interface HeartbeatOk {
  server_time_ms: number;
  inbox: number;
  online_until_ms: number;
}

export interface KeyFields {
  public_key: string;
  noise_public_key: string;
  noise_issued_at: number;
  noise_sig: string;
}

export interface LookupOk extends KeyFields {
  node_id: number;
  address: string;
  addresses: Record<string, string>;
  hostname?: string;
  tags: string[];
  public: boolean;
  online: boolean;
  last_seen_ms: number;
  endpoints: string[];
  shared_networks: number[];
  owner?: string;
}

export interface KeyChainLink {
  public_key: string;
  rotated_at_ms: number;
  rotation_sig: string;
}

export interface GetKeysOk extends KeyFields {
  node_id: number;
  key_chain: KeyChainLink[];
}

export interface ResolveHostnameOk {
  node_id: number;
  address: string;
  hostname: string;
  public: boolean;
}

export interface FindByTagArgs {
  tags: string[];
  networkId?: number;
  limit?: number;
  cursor?: string;
}

export interface FoundNode {
  node_id: number;
  address: string;
  hostname?: string;
  tags: string[];
  public: boolean;
  online: boolean;
}

export interface FindByTagOk {
  nodes: FoundNode[];
  next_cursor?: string;
}

export interface RotateKeyOk {
  node_id: number;
  address: string;
  public_key: string;
}

export interface NetworkCreateOk {
  network_id: number;
  name: string;
  address: string;
}

export interface NetworkJoinOk {
  network_id: number;
  address: string;
}

export interface NetworkInviteOk {
  network_id: number;
  invitee: number;
  expires_at_ms: number;
}

export interface NetworkInfo {
  network_id: number;
  name: string;
  join_rule: JoinRule;
  members: number;
  member: boolean;
  admin: boolean;
  address: string;
}

export interface NetworkMember {
  node_id: number;
  address: string;
  hostname?: string;
  tags: string[];
  admin: boolean;
  online: boolean;
}

export interface NetworkMembersOk {
  members: NetworkMember[];
  next_cursor?: string;
}

export interface InboxMessage {
  seq: number;
  from: number;
  /** The signed trust message (§6.1) exactly as its sender queued it. */
  message: Record<string, unknown>;
  queued_at_ms: number;
}

export interface HandshakePollOk {
  messages: InboxMessage[];
  more: boolean;
}

export interface TrustEdge {
  peer: number;
  outgoing: boolean;
  incoming: boolean;
}

export interface PunchOk {
  /** 16 lower-case hex digits: the punch_id the PUNCH_COMMANDs carry. */
  punch_id: string;
  target_endpoint: string;
  self_endpoint: string;
  fire_in_ms: number;
}
