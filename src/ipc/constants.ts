// Numbers of the IPC layer between CLI/SDK and daemon (PROTOCOL-BRIEF §8, limits table of §10).

/** `proto` answered in `hello` (§8.3). */
export const IPC_PROTO_VERSION = 1;

/** A socket path longer than this is `invalid_argument` (§8.1); sun_path leaves room for it on every Unix. */
export const SOCKET_PATH_MAX_BYTES = 100;
/** The socket file's mode (§8.1), set before the accept loop starts. */
export const SOCKET_FILE_MODE = 0o600;
/** The umask in force while the socket file is created (§8.1). */
export const SOCKET_CREATE_UMASK = 0o077;

export const MAX_IPC_CLIENTS = 64;
export const MAX_OUTSTANDING_REQUESTS = 1024;

/** Request ids are 1..2^32−1; 0 marks daemon → client data frames (§8.2). */
export const REQUEST_ID_MAX = 0xffff_ffff;
export const DAEMON_DATA_ID = 0;

/** One `recv` grant (§8.3: bytes ≤ 16 MiB, added to what is left). */
export const RECV_CREDIT_MAX_BYTES = 16 * 1_048_576;
/** One `recvfrom` grant, in datagrams. */
export const RECVFROM_CREDIT_MAX_DATAGRAMS = 65_536;
/** Datagrams held per bound port while the client has no credit; later ones are dropped (datagrams are lossy). */
export const DATAGRAM_QUEUE_MAX = 256;

/** Windows fallback (§8.1): the random token a client proves in `hello`. */
export const IPC_TOKEN_BYTES = 32;
export const IPC_TOKEN_FILE_MODE = 0o600;
export const IPC_TCP_HOSTNAME = "127.0.0.1";

/** How long closing a client waits for queued frames (an error event, the last response) to reach it. */
export const CLOSE_FLUSH_TIMEOUT_MS = 2_000;
/** How long the start-up probe waits for an existing daemon to answer. */
export const PROBE_TIMEOUT_MS = 1_000;
/** Socket read size of both ends. */
export const READ_CHUNK_BYTES = 65_536;

/** Client side: connect + `hello` must finish within this unless the caller says otherwise. */
export const CONNECT_TIMEOUT_MS = 5_000;
/** Client side: default receive window of a stream helper (bytes of `recv` credit outstanding or unread). */
export const STREAM_WINDOW_BYTES = 262_144;
/** Client side: bytes of `send` frames awaiting `queued` before a stream write waits. */
export const SEND_PIPELINE_BYTES = 262_144;
/** Client side: default receive window of a datagram helper, in datagrams. */
export const DATAGRAM_WINDOW = 64;
