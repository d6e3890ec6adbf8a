// Trust, inbox, replay-cache, beacon and statistics operations of the SQLite StoreTx (PROTOCOL-BRIEF §4.6), on top
// of the node and network operations; SqliteTx is the complete StoreTx that store_sqlite.ts hands to callers.
import type { SQLInputValue } from "node:sqlite";
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
import { bytes, num, type Row } from "./store_sqlite_base.ts";
import { SqliteNodeTx } from "./store_sqlite_nodes.ts";

export class SqliteTx extends SqliteNodeTx implements StoreTx {
  // ── trust edges

  putTrustEdge(from: number, to: number, atMs: number): Promise<void> {
    this.run(
      "INSERT INTO trust_edges(from_node, to_node, created_at_ms) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
      from,
      to,
      atMs,
    );
    return Promise.resolve();
  }

  deleteTrustEdge(from: number, to: number): Promise<void> {
    this.run("DELETE FROM trust_edges WHERE from_node = ? AND to_node = ?", from, to);
    return Promise.resolve();
  }

  hasTrustEdge(from: number, to: number): Promise<boolean> {
    const row = this.get("SELECT 1 AS x FROM trust_edges WHERE from_node = ? AND to_node = ?", from, to);
    return Promise.resolve(row !== undefined);
  }

  trustEdgesOf(nodeId: number): Promise<TrustEdgeView[]> {
    const rows = this.all(
      `SELECT peer, MAX(outgoing) AS outgoing, MAX(incoming) AS incoming FROM (
         SELECT to_node AS peer, 1 AS outgoing, 0 AS incoming FROM trust_edges WHERE from_node = ?
         UNION ALL
         SELECT from_node AS peer, 0 AS outgoing, 1 AS incoming FROM trust_edges WHERE to_node = ?
       ) GROUP BY peer ORDER BY peer`,
      nodeId,
      nodeId,
    );
    return Promise.resolve(rows.map((r) => ({
      peer: num(r.peer),
      outgoing: num(r.outgoing) !== 0,
      incoming: num(r.incoming) !== 0,
    })));
  }

  deleteTrustEdgesOf(nodeId: number): Promise<void> {
    this.run("DELETE FROM trust_edges WHERE from_node = ? OR to_node = ?", nodeId, nodeId);
    return Promise.resolve();
  }

  // ── trust inbox

  enqueueInbox(e: NewInboxEntry): Promise<number> {
    this.run(
      `INSERT INTO trust_inbox(to_node, from_node, kind, message, queued_at_ms, expires_at_ms)
       VALUES (?, ?, ?, ?, ?, ?)`,
      e.to,
      e.from,
      e.kind,
      e.message,
      e.queuedAtMs,
      e.expiresAtMs,
    );
    return Promise.resolve(num(this.get("SELECT last_insert_rowid() AS seq")?.seq ?? 0));
  }

  deleteInbox(from: number, to: number, kind: string): Promise<void> {
    this.run("DELETE FROM trust_inbox WHERE from_node = ? AND to_node = ? AND kind = ?", from, to, kind);
    return Promise.resolve();
  }

  countInbox(to: number, nowMs: number): Promise<number> {
    const row = this.get("SELECT COUNT(*) AS n FROM trust_inbox WHERE to_node = ? AND expires_at_ms > ?", to, nowMs);
    return Promise.resolve(num(row?.n ?? 0));
  }

  ackInbox(to: number, seqs: readonly number[]): Promise<void> {
    for (const seq of seqs) this.run("DELETE FROM trust_inbox WHERE to_node = ? AND seq = ?", to, seq);
    return Promise.resolve();
  }

  pollInbox(to: number, nowMs: number, max: number): Promise<InboxEntry[]> {
    const rows = this.all(
      "SELECT * FROM trust_inbox WHERE to_node = ? AND expires_at_ms > ? ORDER BY seq LIMIT ?",
      to,
      nowMs,
      max,
    );
    return Promise.resolve(rows.map((r) => ({
      seq: num(r.seq),
      from: num(r.from_node),
      to: num(r.to_node),
      kind: String(r.kind),
      message: String(r.message),
      queuedAtMs: num(r.queued_at_ms),
      expiresAtMs: num(r.expires_at_ms),
    })));
  }

  pruneInbox(nowMs: number): Promise<void> {
    this.run("DELETE FROM trust_inbox WHERE expires_at_ms <= ?", nowMs);
    return Promise.resolve();
  }

  // ── replay cache

  putReplayEntries(entries: readonly ReplayEntry[]): Promise<void> {
    for (const e of entries) {
      this.run(
        `INSERT INTO replay_cache(node_id, nonce, expires_at_ms) VALUES (?, ?, ?)
         ON CONFLICT(node_id, nonce) DO UPDATE SET expires_at_ms = MAX(expires_at_ms, excluded.expires_at_ms)`,
        e.nodeId,
        e.nonce,
        e.expiresAtMs,
      );
    }
    return Promise.resolve();
  }

  loadReplayEntries(nowMs: number): Promise<ReplayEntry[]> {
    const rows = this.all("SELECT * FROM replay_cache WHERE expires_at_ms > ?", nowMs);
    return Promise.resolve(rows.map((r) => ({
      nodeId: num(r.node_id),
      nonce: bytes(r.nonce),
      expiresAtMs: num(r.expires_at_ms),
    })));
  }

  pruneReplay(nowMs: number): Promise<void> {
    this.run("DELETE FROM replay_cache WHERE expires_at_ms <= ?", nowMs);
    return Promise.resolve();
  }

  // ── beacon registrations and punch jobs

  putBeaconEndpoint(e: BeaconEndpoint): Promise<void> {
    this.run(
      `INSERT INTO beacon_endpoints(node_id, ip, port, expires_at_ms) VALUES (?, ?, ?, ?)
       ON CONFLICT(node_id) DO UPDATE SET ip = excluded.ip, port = excluded.port, expires_at_ms = excluded.expires_at_ms`,
      e.nodeId,
      e.ip,
      e.port,
      e.expiresAtMs,
    );
    return Promise.resolve();
  }

  beaconEndpoint(nodeId: number, nowMs: number): Promise<BeaconEndpoint | null> {
    const row = this.get("SELECT * FROM beacon_endpoints WHERE node_id = ? AND expires_at_ms > ?", nodeId, nowMs);
    if (row === undefined) return Promise.resolve(null);
    return Promise.resolve({
      nodeId,
      ip: String(row.ip),
      port: num(row.port),
      expiresAtMs: num(row.expires_at_ms),
    });
  }

  deleteBeaconEndpoint(nodeId: number): Promise<void> {
    this.run("DELETE FROM beacon_endpoints WHERE node_id = ?", nodeId);
    return Promise.resolve();
  }

  pruneBeaconEndpoints(nowMs: number): Promise<void> {
    this.run("DELETE FROM beacon_endpoints WHERE expires_at_ms <= ?", nowMs);
    return Promise.resolve();
  }

  insertPunchJob(j: PunchJob): Promise<void> {
    this.run(
      `INSERT INTO punch_jobs(punch_id, node_lo, node_hi, node_a, node_b, endpoint_a, endpoint_b, created_at_ms)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      j.punchId,
      Math.min(j.nodeA, j.nodeB),
      Math.max(j.nodeA, j.nodeB),
      j.nodeA,
      j.nodeB,
      j.endpointA,
      j.endpointB,
      j.createdAtMs,
    );
    return Promise.resolve();
  }

  #job(row: Row): PunchJob {
    return {
      punchId: String(row.punch_id),
      nodeA: num(row.node_a),
      nodeB: num(row.node_b),
      endpointA: String(row.endpoint_a),
      endpointB: String(row.endpoint_b),
      createdAtMs: num(row.created_at_ms),
    };
  }

  recentPunchJob(a: number, b: number, sinceMs: number): Promise<PunchJob | null> {
    const row = this.get(
      `SELECT * FROM punch_jobs WHERE node_lo = ? AND node_hi = ? AND created_at_ms >= ?
       ORDER BY created_at_ms DESC LIMIT 1`,
      Math.min(a, b),
      Math.max(a, b),
      sinceMs,
    );
    return Promise.resolve(row === undefined ? null : this.#job(row));
  }

  takePunchJobs(max: number): Promise<PunchJob[]> {
    const rows = this.all("SELECT * FROM punch_jobs WHERE taken = 0 ORDER BY created_at_ms LIMIT ?", max);
    for (const r of rows) this.run("UPDATE punch_jobs SET taken = 1 WHERE punch_id = ?", r.punch_id);
    return Promise.resolve(rows.map((r) => this.#job(r)));
  }

  prunePunchJobs(beforeMs: number): Promise<void> {
    this.run("DELETE FROM punch_jobs WHERE created_at_ms < ?", beforeMs);
    return Promise.resolve();
  }

  // ── statistics

  counts(onlineSinceMs: number): Promise<StoreCounts> {
    const n = (sql: string, ...p: SQLInputValue[]) => num(this.get(sql, ...p)?.n ?? 0);
    return Promise.resolve({
      nodes: n("SELECT COUNT(*) AS n FROM nodes"),
      online: n("SELECT COUNT(*) AS n FROM nodes WHERE last_seen_ms > ?", onlineSinceMs),
      mutualTrustLinks: n(
        `SELECT COUNT(*) AS n FROM trust_edges a JOIN trust_edges b
         ON a.to_node = b.from_node AND a.from_node = b.to_node WHERE a.from_node < a.to_node`,
      ),
      tags: n("SELECT COUNT(DISTINCT tag) AS n FROM node_tags"),
      networks: n("SELECT COUNT(*) AS n FROM networks"),
    });
  }
}
