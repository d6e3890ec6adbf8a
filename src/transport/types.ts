// Shared types of the stream transport: connection states (PROTOCOL-BRIEF §7.2), the actions a connection emits
// for its driver to carry out, and the per-connection statistics of CLI.md `connections`.
import type { Packet } from "../wire/mod.ts";
import type { CloseReason } from "./rst.ts";

export type ConnState =
  | "CLOSED"
  | "LISTEN"
  | "SYN_SENT"
  | "SYN_RCVD"
  | "ESTABLISHED"
  | "FIN_WAIT_1"
  | "FIN_WAIT_2"
  | "CLOSING"
  | "TIME_WAIT"
  | "CLOSE_WAIT"
  | "LAST_ACK";

/**
 * What a connection asks its driver to do. `deliver` bytes count against the receive window until the driver
 * returns them with readCredit(); `timer` gives the monotonic time the connection next needs timer() (null: none).
 */
export type Action =
  | { readonly type: "send"; readonly packet: Packet }
  | { readonly type: "deliver"; readonly data: Uint8Array }
  | { readonly type: "eof" }
  | { readonly type: "established" }
  | { readonly type: "writable"; readonly space: number }
  | { readonly type: "state"; readonly state: ConnState }
  | { readonly type: "closed"; readonly reason: CloseReason }
  | { readonly type: "timer"; readonly at: number | null };

/** Exactly the transport fields of a CLI.md `connections` row (byte counts in bytes, durations in ms). */
export interface ConnStats {
  readonly state: ConnState;
  readonly srtt_ms: number | null;
  readonly rttvar_ms: number | null;
  readonly cong_win: number;
  readonly ssthresh: number;
  readonly in_flight: number;
  readonly unacked: number;
  readonly ooo_buf: number;
  readonly recv_win: number;
  readonly peer_recv_win: number;
  readonly bytes_sent: number;
  readonly bytes_recv: number;
  readonly segs_sent: number;
  readonly segs_recv: number;
  readonly retransmits: number;
  readonly fast_retx: number;
  readonly sack_sent: number;
  readonly sack_recv: number;
  readonly dup_acks: number;
}

/** States in which both sides' sequence numbers are known and keepalive / idle rules apply. */
export const SYNCHRONIZED_STATES: ReadonlySet<ConnState> = new Set<ConnState>([
  "ESTABLISHED",
  "FIN_WAIT_1",
  "FIN_WAIT_2",
  "CLOSING",
  "CLOSE_WAIT",
  "LAST_ACK",
]);

/** States that may still send data or our FIN. */
export const SENDING_STATES: ReadonlySet<ConnState> = new Set<ConnState>([
  "ESTABLISHED",
  "CLOSE_WAIT",
  "FIN_WAIT_1",
  "CLOSING",
  "LAST_ACK",
]);

/** States in which the application may still write (before its FIN is queued). */
export const WRITABLE_STATES: ReadonlySet<ConnState> = new Set<ConnState>([
  "SYN_SENT",
  "SYN_RCVD",
  "ESTABLISHED",
  "CLOSE_WAIT",
]);

/** States that still accept the peer's data. */
export const RECEIVING_STATES: ReadonlySet<ConnState> = new Set<ConnState>(["ESTABLISHED", "FIN_WAIT_1", "FIN_WAIT_2"]);
