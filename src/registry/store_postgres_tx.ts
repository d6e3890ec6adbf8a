// Trust, inbox, replay-cache, beacon and statistics operations of the PostgreSQL StoreTx (PROTOCOL-BRIEF §4.6), on
// top of the node and network operations; PgTx is the complete StoreTx that store_postgres.ts hands to callers.
// Writes other instances must hear about (a queued trust message, punch jobs, a dropped beacon registration,
// recorded nonces) also publish an event on the store's channel inside the same transaction, so it is delivered
// exactly when the write commits (§4.1, §4.2, §5).
import { toHex } from "../util/bytes.ts";
import { encodeReplayEvents, encodeStoreEvent, type StoreEvent } from "./multi_instance_events.ts";
import type {
  BeaconEndpoint,
  InboxEntry,
  NewInboxEntry,
  PunchJob,
  ReplayEntry,
  StoreCounts,
  StoreTx,
  TrustEdgeView,
} from "./store.ts";
import { bytes, num, type Row } from "./store_postgres_base.ts";
import { PgNodeTx } from "./store_postgres_nodes.ts";

function jobOf(row: Row): PunchJob {
  return {
    punchId: String(row.punch_id),
    nodeA: num(row.node_a),
    nodeB: num(row.node_b),
    endpointA: String(row.endpoint_a),
    endpointB: String(row.endpoint_b),
    createdAtMs: num(row.created_at_ms),
  };
}

export class PgTx extends PgNodeTx implements StoreTx {
  async #event(event: StoreEvent): Promise<void> {
    await this.publish(encodeStoreEvent(this.events.origin, event));
  }

  // ── trust edges

  async putTrustEdge(from: number, to: number, atMs: number): Promise<void> {
    await this.q`INSERT INTO trust_edges(from_node, to_node, created_at_ms) VALUES (${from}, ${to}, ${atMs})
      ON CONFLICT DO NOTHING`;
  }

  async deleteTrustEdge(from: number, to: number): Promise<void> {
    await this.q`DELETE FROM trust_edges WHERE from_node = ${from} AND to_node = ${to}`;
  }

  async hasTrustEdge(from: number, to: number): Promise<boolean> {
    return (await this.q`SELECT 1 AS x FROM trust_edges WHERE from_node = ${from} AND to_node = ${to}`).length > 0;
  }

  async trustEdgesOf(nodeId: number): Promise<TrustEdgeView[]> {
    const rows = await this.q`SELECT peer, bool_or(outgoing) AS outgoing, bool_or(incoming) AS incoming FROM (
        SELECT to_node AS peer, TRUE AS outgoing, FALSE AS incoming FROM trust_edges WHERE from_node = ${nodeId}
        UNION ALL
        SELECT from_node AS peer, FALSE AS outgoing, TRUE AS incoming FROM trust_edges WHERE to_node = ${nodeId}
      ) e GROUP BY peer ORDER BY peer`;
    return rows.map((r) => ({ peer: num(r.peer), outgoing: r.outgoing === true, incoming: r.incoming === true }));
  }

  async deleteTrustEdgesOf(nodeId: number): Promise<void> {
    await this.q`DELETE FROM trust_edges WHERE from_node = ${nodeId} OR to_node = ${nodeId}`;
  }

  // ── trust inbox

  async enqueueInbox(e: NewInboxEntry): Promise<number> {
    const rows = await this.q`INSERT INTO trust_inbox(to_node, from_node, kind, message, queued_at_ms, expires_at_ms)
      VALUES (${e.to}, ${e.from}, ${e.kind}, ${e.message}, ${e.queuedAtMs}, ${e.expiresAtMs}) RETURNING seq`;
    // The instance holding the target's connection pushes `notify` with the inbox size as of this commit.
    await this.#event({ kind: "inbox", node: e.to, inbox: await this.countInbox(e.to, e.queuedAtMs) });
    return num(rows[0].seq);
  }

  async deleteInbox(from: number, to: number, kind: string): Promise<void> {
    await this.q`DELETE FROM trust_inbox WHERE from_node = ${from} AND to_node = ${to} AND kind = ${kind}`;
  }

  async countInbox(to: number, nowMs: number): Promise<number> {
    const rows = await this.q`SELECT COUNT(*) AS n FROM trust_inbox WHERE to_node = ${to} AND expires_at_ms > ${nowMs}`;
    return num(rows[0]?.n);
  }

  async ackInbox(to: number, seqs: readonly number[]): Promise<void> {
    if (seqs.length === 0) return;
    await this.q`DELETE FROM trust_inbox WHERE to_node = ${to} AND seq = ANY(${seqs.map(String)}::bigint[])`;
  }

  async pollInbox(to: number, nowMs: number, max: number): Promise<InboxEntry[]> {
    const rows = await this.q`SELECT * FROM trust_inbox WHERE to_node = ${to} AND expires_at_ms > ${nowMs}
      ORDER BY seq LIMIT ${max}`;
    return rows.map((r) => ({
      seq: num(r.seq),
      from: num(r.from_node),
      to: num(r.to_node),
      kind: String(r.kind),
      message: String(r.message),
      queuedAtMs: num(r.queued_at_ms),
      expiresAtMs: num(r.expires_at_ms),
    }));
  }

  async pruneInbox(nowMs: number): Promise<void> {
    await this.q`DELETE FROM trust_inbox WHERE expires_at_ms <= ${nowMs}`;
  }

  // ── replay cache

  async putReplayEntries(entries: readonly ReplayEntry[]): Promise<void> {
    if (entries.length === 0) return;
    // One row per pair (a single INSERT may not touch a row twice), keeping the later expiry.
    const latest = new Map<string, ReplayEntry>();
    for (const e of entries) {
      const key = `${e.nodeId}/${toHex(e.nonce)}`;
      const seen = latest.get(key);
      if (seen === undefined || seen.expiresAtMs < e.expiresAtMs) latest.set(key, e);
    }
    const batch = [...latest.values()];
    await this.q`INSERT INTO replay_cache(node_id, nonce, expires_at_ms)
      SELECT n, decode(h, 'hex'), x
      FROM unnest(${batch.map((e) => String(e.nodeId))}::bigint[], ${batch.map((e) => toHex(e.nonce))}::text[],
        ${batch.map((e) => String(e.expiresAtMs))}::bigint[]) AS b(n, h, x)
      ON CONFLICT (node_id, nonce) DO UPDATE
      SET expires_at_ms = GREATEST(replay_cache.expires_at_ms, EXCLUDED.expires_at_ms)`;
    for (const payload of encodeReplayEvents(this.events.origin, batch)) await this.publish(payload);
  }

  async loadReplayEntries(nowMs: number): Promise<ReplayEntry[]> {
    const rows = await this.q`SELECT * FROM replay_cache WHERE expires_at_ms > ${nowMs}`;
    return rows.map((r) => ({ nodeId: num(r.node_id), nonce: bytes(r.nonce), expiresAtMs: num(r.expires_at_ms) }));
  }

  async pruneReplay(nowMs: number): Promise<void> {
    await this.q`DELETE FROM replay_cache WHERE expires_at_ms <= ${nowMs}`;
  }

  // ── beacon registrations and punch jobs

  async putBeaconEndpoint(e: BeaconEndpoint): Promise<void> {
    await this.q`INSERT INTO beacon_endpoints(node_id, ip, port, expires_at_ms)
      VALUES (${e.nodeId}, ${e.ip}, ${e.port}, ${e.expiresAtMs})
      ON CONFLICT (node_id) DO UPDATE
      SET ip = EXCLUDED.ip, port = EXCLUDED.port, expires_at_ms = EXCLUDED.expires_at_ms`;
  }

  async beaconEndpoint(nodeId: number, nowMs: number): Promise<BeaconEndpoint | null> {
    const rows = await this.q`SELECT * FROM beacon_endpoints WHERE node_id = ${nodeId} AND expires_at_ms > ${nowMs}`;
    if (rows.length === 0) return null;
    return { nodeId, ip: String(rows[0].ip), port: num(rows[0].port), expiresAtMs: num(rows[0].expires_at_ms) };
  }

  async deleteBeaconEndpoint(nodeId: number): Promise<void> {
    await this.q`DELETE FROM beacon_endpoints WHERE node_id = ${nodeId}`;
    // The beacon may run in another instance; it holds the registration in memory too.
    await this.#event({ kind: "forget", node: nodeId });
  }

  async pruneBeaconEndpoints(nowMs: number): Promise<void> {
    await this.q`DELETE FROM beacon_endpoints WHERE expires_at_ms <= ${nowMs}`;
  }

  async insertPunchJob(j: PunchJob): Promise<void> {
    await this.q`INSERT INTO punch_jobs(punch_id, node_lo, node_hi, node_a, node_b, endpoint_a, endpoint_b,
        created_at_ms)
      VALUES (${j.punchId}, ${Math.min(j.nodeA, j.nodeB)}, ${Math.max(j.nodeA, j.nodeB)}, ${j.nodeA}, ${j.nodeB},
        ${j.endpointA}, ${j.endpointB}, ${j.createdAtMs})`;
    await this.#event({ kind: "punch" });
  }

  async recentPunchJob(a: number, b: number, sinceMs: number): Promise<PunchJob | null> {
    const rows = await this.q`SELECT * FROM punch_jobs
      WHERE node_lo = ${Math.min(a, b)} AND node_hi = ${Math.max(a, b)} AND created_at_ms >= ${sinceMs}
      ORDER BY created_at_ms DESC LIMIT 1`;
    return rows.length === 0 ? null : jobOf(rows[0]);
  }

  async takePunchJobs(max: number): Promise<PunchJob[]> {
    const rows = await this.q`UPDATE punch_jobs SET taken = TRUE WHERE punch_id IN (
        SELECT punch_id FROM punch_jobs WHERE NOT taken ORDER BY created_at_ms LIMIT ${max}
      ) RETURNING *`;
    return rows.map(jobOf).sort((x, y) => x.createdAtMs - y.createdAtMs || (x.punchId < y.punchId ? -1 : 1));
  }

  async prunePunchJobs(beforeMs: number): Promise<void> {
    await this.q`DELETE FROM punch_jobs WHERE created_at_ms < ${beforeMs}`;
  }

  // ── statistics

  async counts(onlineSinceMs: number): Promise<StoreCounts> {
    const rows = await this.q`SELECT
        (SELECT COUNT(*) FROM nodes) AS nodes,
        (SELECT COUNT(*) FROM nodes WHERE last_seen_ms > ${onlineSinceMs}) AS online,
        (SELECT COUNT(*) FROM trust_edges a JOIN trust_edges b ON a.to_node = b.from_node AND a.from_node = b.to_node
          WHERE a.from_node < a.to_node) AS mutual,
        (SELECT COUNT(DISTINCT tag) FROM node_tags) AS tags,
        (SELECT COUNT(*) FROM networks) AS networks`;
    const r = rows[0];
    return {
      nodes: num(r.nodes),
      online: num(r.online),
      mutualTrustLinks: num(r.mutual),
      tags: num(r.tags),
      networks: num(r.networks),
    };
  }
}
