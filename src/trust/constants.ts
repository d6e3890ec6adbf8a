// The numbers of the trust handshake (PROTOCOL-BRIEF §6): message bounds, lifetimes, receiver limits and the port-444
// stream budget. Every tuning value of src/trust lives here, with its unit in its name.

/** The built-in handshake port: the only port open to untrusted peers (§1.4). */
export const TRUST_PORT = 444;

/** Domain-separation label signed before the canonical JSON of a trust message (§6.1). */
export const TRUST_SIG_LABEL = "pilot-trust-v1\n";
export const TRUST_NONCE_BYTES = 16;
export const TRUST_SIGNATURE_BYTES = 64;
export const ED25519_KEY_BYTES = 32;
export const MAX_JUSTIFICATION_BYTES = 1024;
export const MAX_REASON_BYTES = 256;

/** Node ids 0–0xFF are reserved and 0xFFFFFFFF is broadcast (§1.3): neither is ever a trust peer. */
export const MIN_PEER_NODE_ID = 0x100;
export const MAX_PEER_NODE_ID = 0xfffffffe;
export const MAX_NETWORK_ID = 0xfffe;

/** `exp` − `ts` of a message sent on port 444. */
export const DIRECT_MESSAGE_LIFETIME_MS = 10 * 60 * 1000;
/** `exp` − `ts` of a message re-signed for the registry relay; also the longest lifetime a receiver accepts. */
export const RELAY_MESSAGE_LIFETIME_MS = 7 * 24 * 60 * 60 * 1000;
/** A message whose `ts` is further ahead of our clock than this is refused. */
export const MAX_CLOCK_SKEW_MS = 300 * 1000;

/** At most one `trust_request` per peer in this interval. */
export const REQUEST_MIN_INTERVAL_MS = 60 * 1000;
/** Incoming requests awaiting a decision; the oldest is dropped beyond this (§10). */
export const MAX_INCOMING_PENDING = 256;
/** An unanswered outgoing request falls back to `none` after this. */
export const PENDING_OUT_LIFETIME_MS = 7 * 24 * 60 * 60 * 1000;
/**
 * A `none` row is kept until this long after its last rx / tx timestamp: as long as the longest `exp`, so any replay
 * of an older message has expired by the time the row (and its `last_rx_ts`) goes (§6.5).
 */
export const TOMBSTONE_LIFETIME_MS = RELAY_MESSAGE_LIFETIME_MS;
/**
 * Bound on `none` rows, so a flood of requests from throw-away registered nodes cannot grow trust.json without
 * limit; the oldest are forgotten first.
 */
export const MAX_TOMBSTONES = 4096;

/** Overall budget of one port-444 connection, for the side that drives the stream. */
export const PORT444_TIMEOUT_MS = 10 * 1000;
/** Messages accepted on one port-444 connection before the receiver refuses more and closes. */
export const MAX_TRUST_MESSAGES_PER_CONNECTION = 16;
/** Bounds on the optional `code` / `message` of a `trust_ack`. */
export const MAX_ACK_CODE_CHARS = 64;
export const MAX_ACK_MESSAGE_CHARS = 1024;

/** Upper bound on trust.json; a larger file is not ours. */
export const MAX_TRUST_FILE_BYTES = 64 * 1024 * 1024;
export const TRUST_FILE_NAME = "trust.json";
export const TRUST_FILE_VERSION = 1;
export const TRUST_FILE_MODE = 0o600;
export const TRUST_DIR_MODE = 0o700;

/** Longest key_chain a get_keys reply may carry before we refuse to walk it. */
export const MAX_KEY_CHAIN_ENTRIES = 256;
