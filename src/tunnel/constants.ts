// Tunnel tuning values and limits (PROTOCOL-BRIEF §3.3, §3.7, §3.9, §5.5, §5.6, §10). Every number the tunnel
// acts on lives here, named with its unit, so the spec tables can be checked against one file.

/** Prologue prefix; the responder's node id (u32) follows (§3.3). */
export const TUNNEL_PROLOGUE_LABEL = "pilot-tunnel-v1";

// §3.7 keysets, rekey, timers.
export const REKEY_AFTER_MESSAGES = 2n ** 32n;
export const REJECT_AFTER_MESSAGES = 2n ** 60n;
export const REKEY_AFTER_TIME_INITIATOR_MS = 120_000;
/** The keyset's responder waits longer so both sides do not start a handshake at once. */
export const REKEY_AFTER_TIME_RESPONDER_MS = 135_000;
export const REJECT_AFTER_TIME_MS = 180_000;
/** previous keyset: receive-only until it is this old. */
export const PREVIOUS_KEYSET_MAX_AGE_MS = REJECT_AFTER_TIME_MS;
/** next keyset (responder, unconfirmed) is discarded after this. */
export const NEXT_KEYSET_TTL_MS = 10_000;
/** Unconfirmed next keysets kept per peer: each retry of a lossy handshake may be the one confirmed. */
export const NEXT_KEYSETS_PER_PEER_MAX = 4;
export const STALE_PEER_MS = 15_000;
export const UNUSED_PEER_MS = 180_000;
/** A rekey keeps retrying this long (§3.3); first contact uses the caller's deadline. */
export const REKEY_HANDSHAKE_DEADLINE_MS = 90_000;

// §3.3 handshake retries: 1, 2, 4, 8, 8, ... s.
export const HANDSHAKE_RETRY_FIRST_MS = 1_000;
export const HANDSHAKE_RETRY_MAX_MS = 8_000;
/** Outstanding initiations kept per peer, so a late PILR to an earlier retry still completes. */
export const HANDSHAKE_ATTEMPTS_PER_PEER_MAX = 4;
/** PILH frames are sent to at most this many direct candidates (§5.6). */
export const MAX_CANDIDATE_ENDPOINTS = 4;
/** The handshake timestamp must be within this of our wall clock (§3.3). */
export const HANDSHAKE_TIMESTAMP_SKEW_MS = 300_000;

// §3.9 flood protection.
export const UNDER_LOAD_HANDSHAKES_PER_S = 200;
export const UNDER_LOAD_WAITING_LOOKUPS = 32;
export const HANDSHAKE_RATE_PER_SOURCE_PER_S = 20;
export const HANDSHAKE_BURST_PER_SOURCE = 40;
export const COOKIE_REPLIES_PER_S = 50;
/** Sources tracked by the per-source token bucket; the least recently seen is forgotten beyond this. */
export const RATE_LIMIT_SOURCES_MAX = 16_384;

// §10 limits.
export const MAX_PEERS_WITH_KEYSETS = 4096;
export const MAX_HANDSHAKES_IN_PROGRESS = 256;
export const MAX_WAITING_KEY_LOOKUPS = 64;
export const KEY_LOOKUP_TIMEOUT_MS = 5_000;
export const PEER_QUEUE_MAX_PACKETS = 64;
export const PEER_QUEUE_MAX_BYTES = 256 * 1024;

// §5.5 keepalives, §5.6 path validation.
export const NAT_KEEPALIVE_IDLE_MS = 25_000;
/** A peer with traffic this recent still gets NAT keepalives. */
export const NAT_KEEPALIVE_RECENT_TRAFFIC_MS = 120_000;
/**
 * After authenticated data arrives, an empty PILS goes back if nothing else did within this time, so a one-way
 * sender never sees its peer as stale (§3.7 stale peer is 15 s).
 */
export const PASSIVE_KEEPALIVE_MS = 10_000;
/** The initiator repeats its key confirmation this often until something arrives under the new keyset. */
export const KEY_CONFIRM_RETRY_MS = 1_000;
export const PATH_RESPONSE_TIMEOUT_MS = 2_000;
export const PATH_PROBES_PER_PEER_MAX = 8;

/** The timer wheel granularity: every per-peer deadline is evaluated at most this late. */
export const TICK_INTERVAL_MS = 250;
/** Default overlay packet limit on any path (§3.5); the relay path never exceeds it. */
export const DEFAULT_PATH_PAYLOAD_BYTES = 1152;
