// Node and network operations of the PostgreSQL StoreTx (PROTOCOL-BRIEF §4.6): node rows with their tags and key
// chain, the persisted node-id and network-id counters, networks, members and invites. The counters are single rows
// updated in the caller's SERIALIZABLE transaction: a concurrent allocation on another instance makes one of the two
// transactions fail with a serialization error and run again (store_postgres.ts), so an id is never handed out twice
// and a rolled-back transaction gives its id back.
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
import { bytes, num, PgTxBase, type Row, strOrNull, type UnsafeParam } from "./store_postgres_base.ts";
import {
  LAST_NETWORK_ID,
  NETWORK_COUNTER,
  NODE_COLUMNS,
  NODE_COUNTER,
  nodeRecordOf,
  type RowDecoders,
} from "./store_rows.ts";

/** The decoders of the PostgreSQL driver's values. */
const PG_DECODERS: RowDecoders<unknown> = { num, bytes, strOrNull, bool: (v) => v === true };

/** A node row selected together with its sorted tags (`tags` column), so one query yields one record. */
function nodeOf(row: Row): NodeRecord {
  return nodeRecordOf(row, Array.isArray(row.tags) ? row.tags.map(String) : [], PG_DECODERS);
}

function firstNode(rows: Row[]): NodeRecord | null {
  return rows.length === 0 ? null : nodeOf(rows[0]);
}

function networkOf(row: Row): NetworkRecord {
  return {
    networkId: num(row.network_id),
    name: String(row.name),
    joinRule: String(row.join_rule) as JoinRule,
    tokenSha256: row.token_sha256 instanceof Uint8Array ? bytes(row.token_sha256) : null,
    createdBy: num(row.created_by),
    createdAtMs: num(row.created_at_ms),
  };
}

export abstract class PgNodeTx extends PgTxBase {
  async #counter(name: string): Promise<number> {
    const rows = await this.q`UPDATE counters SET value = value + 1 WHERE name = ${name} RETURNING value - 1 AS v`;
    if (rows.length !== 1) throw new Error(`counter ${name} is missing from the store`);
    return num(rows[0].v);
  }

  // ── nodes

  async nodeById(nodeId: number): Promise<NodeRecord | null> {
    return firstNode(
      await this.q`SELECT n.*, ARRAY(SELECT tag FROM node_tags t WHERE t.node_id = n.node_id ORDER BY tag) AS tags
        FROM nodes n WHERE n.node_id = ${nodeId}`,
    );
  }

  async nodeByPublicKey(publicKey: Uint8Array): Promise<NodeRecord | null> {
    return firstNode(
      await this.q`SELECT n.*, ARRAY(SELECT tag FROM node_tags t WHERE t.node_id = n.node_id ORDER BY tag) AS tags
        FROM nodes n WHERE n.public_key = ${publicKey}`,
    );
  }

  async nodeByHostname(hostname: string): Promise<NodeRecord | null> {
    return firstNode(
      await this.q`SELECT n.*, ARRAY(SELECT tag FROM node_tags t WHERE t.node_id = n.node_id ORDER BY tag) AS tags
        FROM nodes n WHERE n.hostname = ${hostname}`,
    );
  }

  async allocateNodeId(): Promise<number> {
    return await this.#counter(NODE_COUNTER);
  }

  async insertNode(n: NewNode): Promise<void> {
    await this.q`INSERT INTO nodes(node_id, public_key, noise_public_key, noise_issued_at, noise_sig, owner, hostname,
        public, last_seen_ms, listen_port, endpoint, lan_addrs, tcp_ip, created_at_ms)
      VALUES (${n.nodeId}, ${n.publicKey}, ${n.noisePublicKey}, ${n.noiseIssuedAt}, ${n.noiseSig}, ${n.owner},
        ${n.hostname}, ${n.public}, ${n.lastSeenMs}, ${n.listenPort}, ${n.endpoint}, ${JSON.stringify(n.lanAddrs)},
        ${n.tcpIp}, ${n.createdAtMs})`;
  }

  async updateNode(nodeId: number, patch: NodePatch): Promise<void> {
    const sets: string[] = [];
    const values: UnsafeParam[] = [];
    for (const [key, column] of Object.entries(NODE_COLUMNS) as [keyof NodePatch, string][]) {
      const value = patch[key];
      if (value === undefined) continue;
      values.push(Array.isArray(value) ? JSON.stringify(value) : value as UnsafeParam);
      sets.push(`${column} = $${values.length}`);
    }
    if (sets.length === 0) return;
    values.push(nodeId);
    await this.qText(`UPDATE nodes SET ${sets.join(", ")} WHERE node_id = $${values.length}`, values);
  }

  async setTags(nodeId: number, tags: readonly string[]): Promise<void> {
    await this.q`DELETE FROM node_tags WHERE node_id = ${nodeId}`;
    for (const tag of new Set(tags)) await this.q`INSERT INTO node_tags(node_id, tag) VALUES (${nodeId}, ${tag})`;
  }

  async nodesByTag(tag: string, afterNodeId: number, limit: number): Promise<NodeRecord[]> {
    const rows = await this.q`SELECT n.*,
        ARRAY(SELECT tag FROM node_tags x WHERE x.node_id = n.node_id ORDER BY tag) AS tags
      FROM node_tags t JOIN nodes n ON n.node_id = t.node_id
      WHERE t.tag = ${tag} AND t.node_id > ${afterNodeId} ORDER BY t.node_id LIMIT ${limit}`;
    return rows.map(nodeOf);
  }

  async isRetiredKey(publicKey: Uint8Array): Promise<boolean> {
    return (await this.q`SELECT 1 AS x FROM key_chain WHERE public_key = ${publicKey}`).length > 0;
  }

  async keyChain(nodeId: number): Promise<KeyChainEntry[]> {
    const rows = await this.q`SELECT * FROM key_chain WHERE node_id = ${nodeId} ORDER BY position`;
    return rows.map((r) => ({
      publicKey: bytes(r.public_key),
      rotatedAtMs: num(r.rotated_at_ms),
      rotationSig: bytes(r.rotation_sig),
    }));
  }

  async rotateKey(nodeId: number, retired: KeyChainEntry, next: NewKeys): Promise<void> {
    await this.q`INSERT INTO key_chain(node_id, position, public_key, rotated_at_ms, rotation_sig)
      SELECT ${nodeId}, COALESCE(MAX(position), 0) + 1, ${retired.publicKey}, ${retired.rotatedAtMs},
        ${retired.rotationSig}
      FROM key_chain WHERE node_id = ${nodeId}`;
    await this.q`UPDATE nodes SET public_key = ${next.publicKey}, noise_public_key = ${next.noisePublicKey},
        noise_issued_at = ${next.noiseIssuedAt}, noise_sig = ${next.noiseSig}
      WHERE node_id = ${nodeId}`;
  }

  // ── networks

  async allocateNetworkId(): Promise<number | null> {
    const rows = await this.q`SELECT value FROM counters WHERE name = ${NETWORK_COUNTER}`;
    if (rows.length === 1 && num(rows[0].value) > LAST_NETWORK_ID) return null;
    return await this.#counter(NETWORK_COUNTER);
  }

  async insertNetwork(n: NetworkRecord): Promise<void> {
    await this.q`INSERT INTO networks(network_id, name, join_rule, token_sha256, created_by, created_at_ms)
      VALUES (${n.networkId}, ${n.name}, ${n.joinRule}, ${n.tokenSha256}, ${n.createdBy}, ${n.createdAtMs})`;
  }

  async networkById(networkId: number): Promise<NetworkRecord | null> {
    const rows = await this.q`SELECT * FROM networks WHERE network_id = ${networkId}`;
    return rows.length === 0 ? null : networkOf(rows[0]);
  }

  async networkByName(name: string): Promise<NetworkRecord | null> {
    const rows = await this.q`SELECT * FROM networks WHERE name = ${name}`;
    return rows.length === 0 ? null : networkOf(rows[0]);
  }

  async listNetworks(limit: number): Promise<NetworkRecord[]> {
    return (await this.q`SELECT * FROM networks ORDER BY network_id LIMIT ${limit}`).map(networkOf);
  }

  async member(networkId: number, nodeId: number): Promise<MemberRecord | null> {
    const rows = await this.q`SELECT admin FROM members WHERE network_id = ${networkId} AND node_id = ${nodeId}`;
    return rows.length === 0 ? null : { nodeId, admin: rows[0].admin === true };
  }

  async addMember(networkId: number, nodeId: number, admin: boolean, joinedAtMs: number): Promise<void> {
    await this.q`INSERT INTO members(network_id, node_id, admin, joined_at_ms)
      VALUES (${networkId}, ${nodeId}, ${admin}, ${joinedAtMs})
      ON CONFLICT (network_id, node_id) DO UPDATE SET admin = members.admin OR EXCLUDED.admin`;
  }

  async removeMember(networkId: number, nodeId: number): Promise<void> {
    await this.q`DELETE FROM members WHERE network_id = ${networkId} AND node_id = ${nodeId}`;
  }

  async countMembers(networkId: number): Promise<number> {
    const rows = await this.q`SELECT COUNT(*) AS n FROM members WHERE network_id = ${networkId}`;
    return num(rows[0]?.n);
  }

  async listMembers(networkId: number, afterNodeId: number, limit: number): Promise<MemberRecord[]> {
    const rows = await this.q`SELECT node_id, admin FROM members
      WHERE network_id = ${networkId} AND node_id > ${afterNodeId} ORDER BY node_id LIMIT ${limit}`;
    return rows.map((r) => ({ nodeId: num(r.node_id), admin: r.admin === true }));
  }

  async networksOf(nodeId: number): Promise<number[]> {
    const rows = await this.q`SELECT network_id FROM members WHERE node_id = ${nodeId} ORDER BY network_id`;
    return rows.map((r) => num(r.network_id));
  }

  async sharedNetworks(a: number, b: number): Promise<number[]> {
    const rows = await this.q`SELECT x.network_id FROM members x JOIN members y ON x.network_id = y.network_id
      WHERE x.node_id = ${a} AND y.node_id = ${b} ORDER BY x.network_id`;
    return rows.map((r) => num(r.network_id));
  }

  async putInvite(networkId: number, invitee: number, expiresAtMs: number): Promise<void> {
    await this
      .q`INSERT INTO invites(network_id, invitee, expires_at_ms) VALUES (${networkId}, ${invitee}, ${expiresAtMs})
      ON CONFLICT (network_id, invitee) DO UPDATE SET expires_at_ms = EXCLUDED.expires_at_ms`;
  }

  async inviteExpiry(networkId: number, invitee: number): Promise<number | null> {
    const rows = await this.q`SELECT expires_at_ms FROM invites
      WHERE network_id = ${networkId} AND invitee = ${invitee}`;
    return rows.length === 0 ? null : num(rows[0].expires_at_ms);
  }

  async deleteInvite(networkId: number, invitee: number): Promise<void> {
    await this.q`DELETE FROM invites WHERE network_id = ${networkId} AND invitee = ${invitee}`;
  }
}
