// Tuning values and limits of the stream transport and its port table (PROTOCOL-BRIEF §7, §1.4, §10). Every value
// carries its unit in its name; nothing here is configurable on the wire.

import { DEFAULT_PAYLOAD_LIMIT_BYTES, MAX_PAYLOAD_ABSOLUTE_BYTES, SEGMENT_UNIT_BYTES } from "../wire/mod.ts";

/** The Window field unit and the default segment size (§2.1). */
export const WINDOW_UNIT_BYTES = SEGMENT_UNIT_BYTES;
/** Payload limit of an unprobed or relayed path (§3.5). */
export const DEFAULT_PATH_LIMIT_BYTES = DEFAULT_PAYLOAD_LIMIT_BYTES;
/** Absolute payload limit on a probed path: 65,507 − 32 − 34 (§2.2). */
export const MAX_PATH_LIMIT_BYTES = MAX_PAYLOAD_ABSOLUTE_BYTES;
/** MAX_SEG we advertise by default: as large as any path could carry, so probed paths can use it (§7.1). */
export const DEFAULT_LOCAL_MAX_SEG_BYTES = MAX_PAYLOAD_ABSOLUTE_BYTES;
/** The Window field is a u16 of units. */
export const WINDOW_FIELD_MAX_UNITS = 0xffff;

export const DEFAULT_RECV_BUFFER_BYTES = 2 * 1024 * 1024;
export const MAX_RECV_BUFFER_BYTES = 16 * 1024 * 1024;
export const DEFAULT_SEND_BUFFER_BYTES = 1024 * 1024;
export const MAX_SEND_BUFFER_BYTES = 16 * 1024 * 1024;

// RFC 6298 estimator (§7.5).
export const RTO_INITIAL_MS = 1000;
export const RTO_MIN_MS = 200;
export const RTO_MAX_MS = 10_000;
export const RTT_ALPHA = 1 / 8;
export const RTT_BETA = 1 / 4;
export const RTO_K = 4;
export const CLOCK_GRANULARITY_MS = 1;

/** Consecutive RTO expiries on one connection before it is aborted (§7.5). */
export const MAX_RTO_EXPIRIES = 15;
/** Data unacknowledged this long aborts the connection (§7.5). */
export const USER_TIMEOUT_MS = 60_000;
/** SYN retransmissions: the SYN goes out at 0, 1, 3, 7 and 15 s (backoff 1, 2, 4, 8 s), §7.5. */
export const SYN_RETRANSMITS_MAX = 4;
export const SYNACK_RETRANSMITS_MAX = 5;
export const DIAL_TIMEOUT_MS = 20_000;

// Congestion control (§7.6).
export const INITIAL_WINDOW_SEGMENTS = 10;
export const INITIAL_SSTHRESH_BYTES = 64 * 1024 * 1024;
export const CWND_MAX_BYTES = 16 * 1024 * 1024;
/** RFC 3465 ABC limit L in segments. */
export const ABC_LIMIT_SEGMENTS = 2;
/** Tail loss probe (RFC 8985 §7): PTO = 2 · SRTT, at least 10 ms. */
export const TLP_RTT_FACTOR = 2;
export const TLP_MIN_MS = 10;
/** RFC 5681 / 6675 DupThresh. */
export const DUP_ACK_THRESHOLD = 3;

// ACK policy (§7.7).
export const DELAYED_ACK_MS = 5;
export const DELAYED_ACK_FULL_SEGMENTS = 2;
/** Window updates: growth by this many units, or by this fraction of the buffer, triggers an ACK (§7.3). */
export const WINDOW_UPDATE_MIN_UNITS = 2;
export const WINDOW_UPDATE_BUFFER_FRACTION = 0.25;

// Liveness (§7.8).
export const KEEPALIVE_IDLE_MS = 30_000;
export const KEEPALIVE_INTERVAL_MS = 30_000;
export const IDLE_TIMEOUT_MS = 120_000;
export const ZERO_WINDOW_NO_ANSWER_MS = 60_000;
export const PERSIST_MAX_MS = 10_000;
/** 2 × MSL with MSL = 15 s. */
export const TIME_WAIT_MS = 30_000;
export const FIN_WAIT_2_TIMEOUT_MS = 60_000;

// RST rules (§7.9).
export const CHALLENGE_ACKS_PER_SEC = 10;
export const NO_CONN_RSTS_PER_PEER_PER_SEC = 10;

// Ports and limits (§1.4, §10).
export const EPHEMERAL_PORT_MIN = 49_152;
export const EPHEMERAL_PORT_MAX = 65_535;
export const EPHEMERAL_DRAWS_MAX = 64;
export const PORT_PING = 0;
export const PORT_TRUST = 444;
export const LISTEN_BACKLOG_MAX = 128;
export const STREAM_LISTENERS_MAX = 1024;
export const DATAGRAM_BINDINGS_MAX = 1024;
export const CONNECTIONS_MAX_TOTAL = 4096;
export const CONNECTIONS_MAX_PER_PORT = 1024;
export const SYN_RATE_TOTAL_PER_SEC = 100;
export const SYN_RATE_PER_PEER_PER_SEC = 10;

// Control ping (§7.10).
export const PING_PAYLOAD_MAX_BYTES = 64;
export const PING_REPLIES_PER_PEER_PER_SEC = 20;

/** Upper bound on segments one event may emit, so a bug cannot spin forever. */
export const MAX_SEGMENTS_PER_EVENT = 4096;
