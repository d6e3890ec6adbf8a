// Versioned schema of the PostgreSQL registry store (PROTOCOL-BRIEF §4.6), the same tables as the SQLite store with
// PostgreSQL types (node ids and unix-ms times are BIGINT: node ids are u32). Migration N takes a store from version
// N−1 to N; all pending steps run in one transaction together with the version bump. Never edit a shipped step:
// append a new one. Foreign keys are checked at commit (DEFERRABLE), so a transaction may write rows in any order.
import { FIRST_ASSIGNED_NODE } from "../wire/mod.ts";

/** The one-row table holding the schema version; its absence means "no pilot store here yet". */
export const POSTGRES_VERSION_TABLE = "pilot_schema_version";

/** Every table of the current schema; a schema holding some of them but no version table is foreign. */
export const POSTGRES_TABLES: readonly string[] = [
  "counters",
  "nodes",
  "node_tags",
  "key_chain",
  "networks",
  "members",
  "invites",
  "trust_edges",
  "trust_inbox",
  "replay_cache",
  "beacon_endpoints",
  "punch_jobs",
];

export const POSTGRES_MIGRATIONS: readonly string[] = [
  // 1: the initial schema. The counters are seeded here so that allocation is a single row-locked UPDATE.
  `
  CREATE TABLE pilot_schema_version (
    version INTEGER NOT NULL
  );
  CREATE TABLE counters (
    name  TEXT PRIMARY KEY,
    value BIGINT NOT NULL
  );
  INSERT INTO counters(name, value) VALUES ('next_node_id', ${FIRST_ASSIGNED_NODE}), ('next_network_id', 1);
  CREATE TABLE nodes (
    node_id          BIGINT PRIMARY KEY,
    public_key       BYTEA NOT NULL CONSTRAINT nodes_public_key_key UNIQUE,
    noise_public_key BYTEA NOT NULL,
    noise_issued_at  BIGINT NOT NULL,
    noise_sig        BYTEA NOT NULL,
    owner            TEXT,
    hostname         TEXT CONSTRAINT nodes_hostname_key UNIQUE,
    public           BOOLEAN NOT NULL DEFAULT FALSE,
    last_seen_ms     BIGINT NOT NULL DEFAULT 0,
    listen_port      INTEGER,
    endpoint         TEXT,
    lan_addrs        TEXT NOT NULL DEFAULT '[]',
    tcp_ip           TEXT,
    created_at_ms    BIGINT NOT NULL
  );
  CREATE INDEX nodes_last_seen ON nodes(last_seen_ms);
  CREATE TABLE node_tags (
    node_id BIGINT NOT NULL REFERENCES nodes(node_id) DEFERRABLE INITIALLY DEFERRED,
    tag     TEXT NOT NULL,
    PRIMARY KEY (node_id, tag)
  );
  CREATE INDEX node_tags_by_tag ON node_tags(tag, node_id);
  CREATE TABLE key_chain (
    node_id       BIGINT NOT NULL REFERENCES nodes(node_id) DEFERRABLE INITIALLY DEFERRED,
    position      INTEGER NOT NULL,
    public_key    BYTEA NOT NULL CONSTRAINT key_chain_public_key_key UNIQUE,
    rotated_at_ms BIGINT NOT NULL,
    rotation_sig  BYTEA NOT NULL,
    PRIMARY KEY (node_id, position)
  );
  CREATE TABLE networks (
    network_id    INTEGER PRIMARY KEY,
    name          TEXT NOT NULL CONSTRAINT networks_name_key UNIQUE,
    join_rule     TEXT NOT NULL,
    token_sha256  BYTEA,
    created_by    BIGINT NOT NULL,
    created_at_ms BIGINT NOT NULL
  );
  CREATE TABLE members (
    network_id   INTEGER NOT NULL REFERENCES networks(network_id) DEFERRABLE INITIALLY DEFERRED,
    node_id      BIGINT NOT NULL REFERENCES nodes(node_id) DEFERRABLE INITIALLY DEFERRED,
    admin        BOOLEAN NOT NULL DEFAULT FALSE,
    joined_at_ms BIGINT NOT NULL,
    PRIMARY KEY (network_id, node_id)
  );
  CREATE INDEX members_by_node ON members(node_id, network_id);
  CREATE TABLE invites (
    network_id    INTEGER NOT NULL,
    invitee       BIGINT NOT NULL,
    expires_at_ms BIGINT NOT NULL,
    PRIMARY KEY (network_id, invitee)
  );
  CREATE TABLE trust_edges (
    from_node     BIGINT NOT NULL,
    to_node       BIGINT NOT NULL,
    created_at_ms BIGINT NOT NULL,
    PRIMARY KEY (from_node, to_node)
  );
  CREATE INDEX trust_edges_by_to ON trust_edges(to_node, from_node);
  CREATE TABLE trust_inbox (
    seq           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    to_node       BIGINT NOT NULL,
    from_node     BIGINT NOT NULL,
    kind          TEXT NOT NULL,
    message       TEXT NOT NULL,
    queued_at_ms  BIGINT NOT NULL,
    expires_at_ms BIGINT NOT NULL
  );
  CREATE INDEX trust_inbox_by_to ON trust_inbox(to_node, seq);
  CREATE INDEX trust_inbox_by_pair ON trust_inbox(from_node, to_node, kind);
  CREATE TABLE replay_cache (
    node_id       BIGINT NOT NULL,
    nonce         BYTEA NOT NULL,
    expires_at_ms BIGINT NOT NULL,
    PRIMARY KEY (node_id, nonce)
  );
  CREATE INDEX replay_cache_by_expiry ON replay_cache(expires_at_ms);
  CREATE TABLE beacon_endpoints (
    node_id       BIGINT PRIMARY KEY,
    ip            TEXT NOT NULL,
    port          INTEGER NOT NULL,
    expires_at_ms BIGINT NOT NULL
  );
  CREATE TABLE punch_jobs (
    punch_id      TEXT PRIMARY KEY,
    node_lo       BIGINT NOT NULL,
    node_hi       BIGINT NOT NULL,
    node_a        BIGINT NOT NULL,
    node_b        BIGINT NOT NULL,
    endpoint_a    TEXT NOT NULL,
    endpoint_b    TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL,
    taken         BOOLEAN NOT NULL DEFAULT FALSE
  );
  CREATE INDEX punch_jobs_by_pair ON punch_jobs(node_lo, node_hi, created_at_ms);
  CREATE INDEX punch_jobs_untaken ON punch_jobs(taken, created_at_ms);
  `,
];

/** The schema version this build writes; a store with a higher version is refused. */
export const POSTGRES_SCHEMA_VERSION = POSTGRES_MIGRATIONS.length;
