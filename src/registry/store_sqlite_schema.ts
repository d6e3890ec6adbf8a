// Versioned schema of the SQLite registry store (PROTOCOL-BRIEF §4.6). Migration N takes a store from version N−1
// to N; all pending steps run in one transaction together with the `user_version` bump. Never edit a shipped step:
// append a new one.

export const SQLITE_MIGRATIONS: readonly string[] = [
  // 1: the initial schema.
  `
  CREATE TABLE counters (
    name  TEXT PRIMARY KEY,
    value INTEGER NOT NULL
  );
  CREATE TABLE nodes (
    node_id          INTEGER PRIMARY KEY,
    public_key       BLOB NOT NULL UNIQUE,
    noise_public_key BLOB NOT NULL,
    noise_issued_at  INTEGER NOT NULL,
    noise_sig        BLOB NOT NULL,
    owner            TEXT,
    hostname         TEXT UNIQUE,
    public           INTEGER NOT NULL DEFAULT 0,
    last_seen_ms     INTEGER NOT NULL DEFAULT 0,
    listen_port      INTEGER,
    endpoint         TEXT,
    lan_addrs        TEXT NOT NULL DEFAULT '[]',
    tcp_ip           TEXT,
    created_at_ms    INTEGER NOT NULL
  );
  CREATE INDEX nodes_last_seen ON nodes(last_seen_ms);
  CREATE TABLE node_tags (
    node_id INTEGER NOT NULL REFERENCES nodes(node_id),
    tag     TEXT NOT NULL,
    PRIMARY KEY (node_id, tag)
  );
  CREATE INDEX node_tags_by_tag ON node_tags(tag, node_id);
  CREATE TABLE key_chain (
    node_id       INTEGER NOT NULL REFERENCES nodes(node_id),
    position      INTEGER NOT NULL,
    public_key    BLOB NOT NULL UNIQUE,
    rotated_at_ms INTEGER NOT NULL,
    rotation_sig  BLOB NOT NULL,
    PRIMARY KEY (node_id, position)
  );
  CREATE TABLE networks (
    network_id    INTEGER PRIMARY KEY,
    name          TEXT NOT NULL UNIQUE,
    join_rule     TEXT NOT NULL,
    token_sha256  BLOB,
    created_by    INTEGER NOT NULL,
    created_at_ms INTEGER NOT NULL
  );
  CREATE TABLE members (
    network_id   INTEGER NOT NULL REFERENCES networks(network_id),
    node_id      INTEGER NOT NULL REFERENCES nodes(node_id),
    admin        INTEGER NOT NULL DEFAULT 0,
    joined_at_ms INTEGER NOT NULL,
    PRIMARY KEY (network_id, node_id)
  );
  CREATE INDEX members_by_node ON members(node_id, network_id);
  CREATE TABLE invites (
    network_id    INTEGER NOT NULL,
    invitee       INTEGER NOT NULL,
    expires_at_ms INTEGER NOT NULL,
    PRIMARY KEY (network_id, invitee)
  );
  CREATE TABLE trust_edges (
    from_node     INTEGER NOT NULL,
    to_node       INTEGER NOT NULL,
    created_at_ms INTEGER NOT NULL,
    PRIMARY KEY (from_node, to_node)
  );
  CREATE INDEX trust_edges_by_to ON trust_edges(to_node, from_node);
  CREATE TABLE trust_inbox (
    seq           INTEGER PRIMARY KEY AUTOINCREMENT,
    to_node       INTEGER NOT NULL,
    from_node     INTEGER NOT NULL,
    kind          TEXT NOT NULL,
    message       TEXT NOT NULL,
    queued_at_ms  INTEGER NOT NULL,
    expires_at_ms INTEGER NOT NULL
  );
  CREATE INDEX trust_inbox_by_to ON trust_inbox(to_node, seq);
  CREATE INDEX trust_inbox_by_pair ON trust_inbox(from_node, to_node, kind);
  CREATE TABLE replay_cache (
    node_id       INTEGER NOT NULL,
    nonce         BLOB NOT NULL,
    expires_at_ms INTEGER NOT NULL,
    PRIMARY KEY (node_id, nonce)
  );
  CREATE INDEX replay_cache_by_expiry ON replay_cache(expires_at_ms);
  CREATE TABLE beacon_endpoints (
    node_id       INTEGER PRIMARY KEY,
    ip            TEXT NOT NULL,
    port          INTEGER NOT NULL,
    expires_at_ms INTEGER NOT NULL
  );
  CREATE TABLE punch_jobs (
    punch_id      TEXT PRIMARY KEY,
    node_lo       INTEGER NOT NULL,
    node_hi       INTEGER NOT NULL,
    node_a        INTEGER NOT NULL,
    node_b        INTEGER NOT NULL,
    endpoint_a    TEXT NOT NULL,
    endpoint_b    TEXT NOT NULL,
    created_at_ms INTEGER NOT NULL,
    taken         INTEGER NOT NULL DEFAULT 0
  );
  CREATE INDEX punch_jobs_by_pair ON punch_jobs(node_lo, node_hi, created_at_ms);
  CREATE INDEX punch_jobs_untaken ON punch_jobs(taken, created_at_ms);
  `,
];

/** The schema version this build writes; a store with a higher `user_version` is refused. */
export const SQLITE_SCHEMA_VERSION = SQLITE_MIGRATIONS.length;
