// The SDK's public shapes (docs/SDK.md): options and results of PilotClient. Objects the SDK builds use camelCase;
// `info()` returns the daemon's §8.3 record as is (snake_case, the same fields as `pilotctl info --json`).
import type { Env } from "../config/mod.ts";
import type { LogLevel } from "../log/logger.ts";

export type { ConnInfo, InfoResult as NodeInfo, PeerInfo } from "../ipc/mod.ts";

/** How a connection is closed (PROTOCOL-BRIEF §8.3): `write` half-closes (FIN), `both` closes, `abort` resets. */
export type CloseHow = "write" | "both" | "abort";

export interface ConnectOptions {
  /** The daemon's IPC socket; else PILOT_SOCKET, else config `socket`, else /tmp/pilot.sock. */
  readonly socket?: string;
  /** Where PILOT_SOCKET / PILOT_HOME are read; Deno.env by default. */
  readonly env?: Env;
  /** Bound on connecting and `hello`, in ms (default 5000). */
  readonly timeoutMs?: number;
  /** `client` announced in `hello` (default `sdk`). */
  readonly clientName?: string;
}

export interface DialOptions {
  /** The daemon gives up after this (path discovery and SYN together); default 20000. */
  readonly timeoutMs?: number;
  /** Disable Nagle (PROTOCOL-BRIEF §7.7) for small interactive writes. */
  readonly nodelay?: boolean;
  readonly signal?: AbortSignal;
}

export interface ListenOptions {
  /** Connections waiting to be accepted, ≤ 128. */
  readonly backlog?: number;
}

/** A node as `resolve()` found it. */
export interface ResolvedNode {
  readonly nodeId: number;
  /** Backbone address text: `0:0000.0000.0101`. */
  readonly address: string;
  readonly hostname: string | null;
  readonly public: boolean;
}

export interface Datagram {
  /** The sender's address text. */
  readonly from: string;
  readonly fromPort: number;
  /** Our port it arrived on. */
  readonly port: number;
  readonly data: Uint8Array;
}

export interface PingOptions {
  /** Default 5000. */
  readonly timeoutMs?: number;
  /**
   * `control` (default): a control ping packet, protocol 0x03 (PROTOCOL-BRIEF §7.10), through the daemon's `ping`
   * command; a daemon without that command is pinged with `echo` instead. `echo`: a small probe through the peer's
   * echo service on port 7 over a stream, an application-level round trip.
   */
  readonly method?: "control" | "echo";
}

export interface PingResult {
  /** Round-trip time in milliseconds. */
  readonly rttMs: number;
  /** How it was measured (see PingOptions.method). */
  readonly method: "control" | "echo";
}

export interface HandshakeResult {
  readonly nodeId: number;
  readonly address: string;
  /** `trusted`: the peer had asked us too, so trust is mutual now (PROTOCOL-BRIEF §6.3). */
  readonly status: "sent" | "trusted" | "already_trusted";
}

export interface TrustResult {
  readonly nodeId: number;
  readonly status: "approved" | "rejected" | "revoked";
  /** The answer went through the registry because the peer was not reachable directly (§6.2). */
  readonly queued: boolean;
}

export interface TrustedPeer {
  readonly nodeId: number;
  readonly address: string;
  readonly hostname: string;
  /** How trust began: `approved` (we approved), `accepted` (they approved us), `mutual`, `auto` (policy). */
  readonly origin: string;
  /** RFC 3339, or null when the daemon did not say. */
  readonly approvedAt: string | null;
}

export interface IncomingRequest {
  readonly nodeId: number;
  readonly address: string;
  readonly hostname: string;
  readonly justification: string;
  readonly receivedAt: string | null;
}

export interface OutgoingRequest {
  readonly nodeId: number;
  readonly address: string;
  readonly hostname: string;
  readonly sentAt: string | null;
}

export interface PendingRequests {
  readonly incoming: readonly IncomingRequest[];
  readonly outgoing: readonly OutgoingRequest[];
}

export type MessageType = "text" | "json" | "binary";

export interface SendMessageOptions {
  /** Default: `text` for a string, `binary` for bytes. `json` needs valid JSON text. */
  readonly type?: MessageType;
}

/** The receiver's acknowledgement of a stored message (PROTOCOL-BRIEF §9.2 ACK). */
export interface MessageAck {
  readonly type: MessageType;
  readonly bytes: number;
  /** The id of the message in the receiver's inbox. */
  readonly messageId: string | null;
}

export interface PubSubEvent {
  readonly topic: string;
  /** The publisher's address text, as the broker saw it. */
  readonly from: string;
  readonly data: Uint8Array;
  /** `data` decoded as UTF-8 (invalid sequences replaced). */
  readonly text: string;
}

export interface CreateNodeOptions {
  /** Registry `host:port` (or `tls://host:port`). */
  readonly registry: string;
  /** Beacon `host:port` (UDP); default config `beacon` of `home`, else 127.0.0.1:9001. */
  readonly beacon?: string;
  /** State directory (identity, trust, inbox); default a fresh temp dir, removed by close(). */
  readonly home?: string;
  /** Default `<home>/identity.json`; keep it to keep the node id. */
  readonly identityPath?: string;
  readonly hostname?: string;
  readonly public?: boolean;
  /** UDP `host:port` of the tunnel; default config `listen` (port 0: any). */
  readonly listen?: string;
  /** PEM bundle for a `tls://` registry with a private CA. */
  readonly registryCa?: string;
  /** Logs on stderr at this level; default `warn`. */
  readonly logLevel?: LogLevel | "silent";
  /** Aborting ends a start still waiting for the registry. */
  readonly signal?: AbortSignal;
}
