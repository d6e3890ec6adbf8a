// Node and network operations of the SQLite StoreTx (PROTOCOL-BRIEF §4.6): node rows with their tags and key
// chain, the persisted node-id and network-id counters, networks, members and invites.
import type { SQLInputValue } from "node:sqlite";
import { FIRST_ASSIGNED_NODE } from "../wire/mod.ts";
import type {
  JoinRule,
  KeyChainEntry,
  MemberRecord,
  NetworkRecord,
  NewKeys,
  NewNode,
  NodePatch,
  NodeRecord,
} from "./store.ts";
import { bytes, num, type Row, SqliteTxBase, strOrNull } from "./store_sqlite_base.ts";
import {
  LAST_NETWORK_ID,
  NETWORK_COUNTER,
  NODE_COLUMNS,
  NODE_COUNTER,
  nodeRecordOf,
  type RowDecoders,
} from "./store_rows.ts";

const FIRST_NETWORK_ID = 1;

/** The decoders of node:sqlite's values (booleans are stored as 0 / 1). */
const SQLITE_DECODERS: RowDecoders<SQLInputValue> = { num, bytes, strOrNull, bool: (v) => num(v) !== 0 };

export abstract class SqliteNodeTx extends SqliteTxBase {
  #node(row: Row | undefined): NodeRecord | null {
    if (row === undefined) return null;
    const tags = this.all("SELECT tag FROM node_tags WHERE node_id = ? ORDER BY tag", num(row.node_id))
      .map((r) => String(r.tag));
    return nodeRecordOf(row, tags, SQLITE_DECODERS);
  }

  #counter(name: string, first: number): number {
    const row = this.get("SELECT value FROM counters WHERE name = ?", name);
    const value = row === undefined ? first : num(row.value);
    this.run(
      "INSERT INTO counters(name, value) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET value = excluded.value",
      name,
      value + 1,
    );
    return value;
  }

  // ── nodes

  nodeById(nodeId: number): Promise<NodeRecord | null> {
    return Promise.resolve(this.#node(this.get("SELECT * FROM nodes WHERE node_id = ?", nodeId)));
  }

  nodeByPublicKey(publicKey: Uint8Array): Promise<NodeRecord | null> {
    return Promise.resolve(this.#node(this.get("SELECT * FROM nodes WHERE public_key = ?", publicKey)));
  }

  nodeByHostname(hostname: string): Promise<NodeRecord | null> {
    return Promise.resolve(this.#node(this.get("SELECT * FROM nodes WHERE hostname = ?", hostname)));
  }

  allocateNodeId(): Promise<number> {
    return Promise.resolve(this.#counter(NODE_COUNTER, FIRST_ASSIGNED_NODE));
  }

  insertNode(n: NewNode): Promise<void> {
    this.run(
      `INSERT INTO nodes(node_id, public_key, noise_public_key, noise_issued_at, noise_sig, owner, hostname, public,
         last_seen_ms, listen_port, endpoint, lan_addrs, tcp_ip, created_at_ms)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      n.nodeId,
      n.publicKey,
      n.noisePublicKey,
      n.noiseIssuedAt,
      n.noiseSig,
      n.owner,
      n.hostname,
      n.public ? 1 : 0,
      n.lastSeenMs,
      n.listenPort,
      n.endpoint,
      JSON.stringify(n.lanAddrs),
      n.tcpIp,
      n.createdAtMs,
    );
    return Promise.resolve();
  }

  updateNode(nodeId: number, patch: NodePatch): Promise<void> {
    const sets: string[] = [];
    const values: SQLInputValue[] = [];
    for (const [key, column] of Object.entries(NODE_COLUMNS) as [keyof NodePatch, string][]) {
      const value = patch[key];
      if (value === undefined) continue;
      sets.push(`${column} = ?`);
      if (typeof value === "boolean") values.push(value ? 1 : 0);
      else if (Array.isArray(value)) values.push(JSON.stringify(value));
      else values.push(value as SQLInputValue);
    }
    if (sets.length > 0) this.run(`UPDATE nodes SET ${sets.join(", ")} WHERE node_id = ?`, ...values, nodeId);
    return Promise.resolve();
  }

  setTags(nodeId: number, tags: readonly string[]): Promise<void> {
    this.run("DELETE FROM node_tags WHERE node_id = ?", nodeId);
    for (const tag of new Set(tags)) this.run("INSERT INTO node_tags(node_id, tag) VALUES (?, ?)", nodeId, tag);
    return Promise.resolve();
  }

  nodesByTag(tag: string, afterNodeId: number, limit: number): Promise<NodeRecord[]> {
    const rows = this.all(
      `SELECT n.* FROM node_tags t JOIN nodes n ON n.node_id = t.node_id
       WHERE t.tag = ? AND t.node_id > ? ORDER BY t.node_id LIMIT ?`,
      tag,
      afterNodeId,
      limit,
    );
    return Promise.resolve(rows.map((r) => this.#node(r)!));
  }

  isRetiredKey(publicKey: Uint8Array): Promise<boolean> {
    return Promise.resolve(this.get("SELECT 1 AS x FROM key_chain WHERE public_key = ?", publicKey) !== undefined);
  }

  keyChain(nodeId: number): Promise<KeyChainEntry[]> {
    const rows = this.all("SELECT * FROM key_chain WHERE node_id = ? ORDER BY position", nodeId);
    return Promise.resolve(rows.map((r) => ({
      publicKey: bytes(r.public_key),
      rotatedAtMs: num(r.rotated_at_ms),
      rotationSig: bytes(r.rotation_sig),
    })));
  }

  rotateKey(nodeId: number, retired: KeyChainEntry, next: NewKeys): Promise<void> {
    const row = this.get("SELECT COALESCE(MAX(position), 0) AS p FROM key_chain WHERE node_id = ?", nodeId);
    this.run(
      "INSERT INTO key_chain(node_id, position, public_key, rotated_at_ms, rotation_sig) VALUES (?, ?, ?, ?, ?)",
      nodeId,
      num(row?.p ?? 0) + 1,
      retired.publicKey,
      retired.rotatedAtMs,
      retired.rotationSig,
    );
    this.run(
      `UPDATE nodes SET public_key = ?, noise_public_key = ?, noise_issued_at = ?, noise_sig = ? WHERE node_id = ?`,
      next.publicKey,
      next.noisePublicKey,
      next.noiseIssuedAt,
      next.noiseSig,
      nodeId,
    );
    return Promise.resolve();
  }

  // ── networks

  allocateNetworkId(): Promise<number | null> {
    const row = this.get("SELECT value FROM counters WHERE name = ?", NETWORK_COUNTER);
    if (row !== undefined && num(row.value) > LAST_NETWORK_ID) return Promise.resolve(null);
    return Promise.resolve(this.#counter(NETWORK_COUNTER, FIRST_NETWORK_ID));
  }

  insertNetwork(n: NetworkRecord): Promise<void> {
    this.run(
      "INSERT INTO networks(network_id, name, join_rule, token_sha256, created_by, created_at_ms) VALUES (?, ?, ?, ?, ?, ?)",
      n.networkId,
      n.name,
      n.joinRule,
      n.tokenSha256,
      n.createdBy,
      n.createdAtMs,
    );
    return Promise.resolve();
  }

  #network(row: Row | undefined): NetworkRecord | null {
    if (row === undefined) return null;
    return {
      networkId: num(row.network_id),
      name: String(row.name),
      joinRule: String(row.join_rule) as JoinRule,
      tokenSha256: row.token_sha256 instanceof Uint8Array ? bytes(row.token_sha256) : null,
      createdBy: num(row.created_by),
      createdAtMs: num(row.created_at_ms),
    };
  }

  networkById(networkId: number): Promise<NetworkRecord | null> {
    return Promise.resolve(this.#network(this.get("SELECT * FROM networks WHERE network_id = ?", networkId)));
  }

  networkByName(name: string): Promise<NetworkRecord | null> {
    return Promise.resolve(this.#network(this.get("SELECT * FROM networks WHERE name = ?", name)));
  }

  listNetworks(limit: number): Promise<NetworkRecord[]> {
    const rows = this.all("SELECT * FROM networks ORDER BY network_id LIMIT ?", limit);
    return Promise.resolve(rows.map((r) => this.#network(r)!));
  }

  member(networkId: number, nodeId: number): Promise<MemberRecord | null> {
    const row = this.get("SELECT admin FROM members WHERE network_id = ? AND node_id = ?", networkId, nodeId);
    return Promise.resolve(row === undefined ? null : { nodeId, admin: num(row.admin) !== 0 });
  }

  addMember(networkId: number, nodeId: number, admin: boolean, joinedAtMs: number): Promise<void> {
    this.run(
      `INSERT INTO members(network_id, node_id, admin, joined_at_ms) VALUES (?, ?, ?, ?)
       ON CONFLICT(network_id, node_id) DO UPDATE SET admin = MAX(admin, excluded.admin)`,
      networkId,
      nodeId,
      admin ? 1 : 0,
      joinedAtMs,
    );
    return Promise.resolve();
  }

  removeMember(networkId: number, nodeId: number): Promise<void> {
    this.run("DELETE FROM members WHERE network_id = ? AND node_id = ?", networkId, nodeId);
    return Promise.resolve();
  }

  countMembers(networkId: number): Promise<number> {
    return Promise.resolve(num(this.get("SELECT COUNT(*) AS n FROM members WHERE network_id = ?", networkId)?.n ?? 0));
  }

  listMembers(networkId: number, afterNodeId: number, limit: number): Promise<MemberRecord[]> {
    const rows = this.all(
      "SELECT node_id, admin FROM members WHERE network_id = ? AND node_id > ? ORDER BY node_id LIMIT ?",
      networkId,
      afterNodeId,
      limit,
    );
    return Promise.resolve(rows.map((r) => ({ nodeId: num(r.node_id), admin: num(r.admin) !== 0 })));
  }

  networksOf(nodeId: number): Promise<number[]> {
    const rows = this.all("SELECT network_id FROM members WHERE node_id = ? ORDER BY network_id", nodeId);
    return Promise.resolve(rows.map((r) => num(r.network_id)));
  }

  sharedNetworks(a: number, b: number): Promise<number[]> {
    const rows = this.all(
      `SELECT x.network_id FROM members x JOIN members y ON x.network_id = y.network_id
       WHERE x.node_id = ? AND y.node_id = ? ORDER BY x.network_id`,
      a,
      b,
    );
    return Promise.resolve(rows.map((r) => num(r.network_id)));
  }

  putInvite(networkId: number, invitee: number, expiresAtMs: number): Promise<void> {
    this.run(
      `INSERT INTO invites(network_id, invitee, expires_at_ms) VALUES (?, ?, ?)
       ON CONFLICT(network_id, invitee) DO UPDATE SET expires_at_ms = excluded.expires_at_ms`,
      networkId,
      invitee,
      expiresAtMs,
    );
    return Promise.resolve();
  }

  inviteExpiry(networkId: number, invitee: number): Promise<number | null> {
    const row = this.get("SELECT expires_at_ms FROM invites WHERE network_id = ? AND invitee = ?", networkId, invitee);
    return Promise.resolve(row === undefined ? null : num(row.expires_at_ms));
  }

  deleteInvite(networkId: number, invitee: number): Promise<void> {
    this.run("DELETE FROM invites WHERE network_id = ? AND invitee = ?", networkId, invitee);
    return Promise.resolve();
  }
}
