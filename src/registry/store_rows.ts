// What the SQLite and PostgreSQL stores share about node rows (PROTOCOL-BRIEF §4.6): the counter names, the column of
// each patchable field, and the mapping of a `nodes` row (plus its sorted tags) to a NodeRecord. Each backend passes
// its own column decoders, since the drivers hand out integers and booleans differently.
import type { NodePatch, NodeRecord } from "./store.ts";

export const NODE_COUNTER = "next_node_id";
export const NETWORK_COUNTER = "next_network_id";
/** 65535 is reserved (§1.1), so the last assignable network id is 65534. */
export const LAST_NETWORK_ID = 0xfffe;

/** The `nodes` column of each field updateNode() may patch. */
export const NODE_COLUMNS: Record<keyof NodePatch, string> = {
  noisePublicKey: "noise_public_key",
  noiseIssuedAt: "noise_issued_at",
  noiseSig: "noise_sig",
  owner: "owner",
  hostname: "hostname",
  public: "public",
  lastSeenMs: "last_seen_ms",
  listenPort: "listen_port",
  endpoint: "endpoint",
  lanAddrs: "lan_addrs",
  tcpIp: "tcp_ip",
};

/** A backend's decoders of column values. */
export interface RowDecoders<V> {
  num(value: V): number;
  bytes(value: V): Uint8Array;
  strOrNull(value: V): string | null;
  bool(value: V): boolean;
}

/** `lan_addrs` is stored as a JSON array of strings; anything else reads as no addresses. */
function lanAddrsOf(text: unknown): string[] {
  try {
    const parsed: unknown = JSON.parse(String(text));
    return Array.isArray(parsed) ? parsed.filter((x): x is string => typeof x === "string") : [];
  } catch {
    return [];
  }
}

/** A `nodes` row and the node's tags (sorted) as a NodeRecord. */
export function nodeRecordOf<V>(row: Record<string, V>, tags: string[], d: RowDecoders<V>): NodeRecord {
  return {
    nodeId: d.num(row.node_id),
    publicKey: d.bytes(row.public_key),
    noisePublicKey: d.bytes(row.noise_public_key),
    noiseIssuedAt: d.num(row.noise_issued_at),
    noiseSig: d.bytes(row.noise_sig),
    owner: d.strOrNull(row.owner),
    hostname: d.strOrNull(row.hostname),
    tags,
    public: d.bool(row.public),
    lastSeenMs: d.num(row.last_seen_ms),
    listenPort: row.listen_port === null ? null : d.num(row.listen_port),
    endpoint: d.strOrNull(row.endpoint),
    lanAddrs: lanAddrsOf(row.lan_addrs),
    tcpIp: d.strOrNull(row.tcp_ip),
    createdAtMs: d.num(row.created_at_ms),
  };
}
