// RST rules of PROTOCOL-BRIEF §7.9: the reason bytes, the exact form of a reset answering an offending segment,
// and how a connection's end (close reason) maps to the error codes and details of §8.4 / CLI.md §2.
import { ConnectionFailedError, NotTrustedError, type PilotError, TimeoutError } from "../util/errors.ts";
import { FLAG_ACK, FLAG_FIN, FLAG_RST, FLAG_SYN, type Packet, PROTO_STREAM, WIRE_VERSION } from "../wire/mod.ts";
import { seqAdd } from "./seq.ts";

export const RST_NO_LISTENER = 1;
export const RST_NOT_TRUSTED = 2;
export const RST_LIMIT = 3;
export const RST_NO_CONNECTION = 4;
export const RST_ABORTED = 5;
export const RST_TIMEOUT = 6;

/**
 * How a connection ended: `reset.rst` is the peer's reason byte (null when its RST carried none); `aborted.rst` the
 * reason byte we sent when this side aborted (5 by the application, 2 when trust was revoked).
 */
export type CloseReason =
  | { readonly kind: "normal" }
  | { readonly kind: "reset"; readonly rst: number | null }
  | { readonly kind: "aborted"; readonly rst: number }
  | { readonly kind: "timeout"; readonly detail: "dial" | "idle" | "retransmit" };

const NO_PAYLOAD = new Uint8Array(0);

/**
 * Sequence space a segment occupies: its data (stream packets only; a SYN's payload is its option list, not data)
 * plus one each for SYN and FIN.
 */
export function segmentLength(p: Packet): number {
  if (p.flags & FLAG_SYN) return 1;
  return (p.proto === PROTO_STREAM ? p.payload.length : 0) + (p.flags & FLAG_FIN ? 1 : 0);
}

/**
 * The reset answering `offending` (§7.9 "Form"): if it had ACK, `RST` with Seq = its Ack; otherwise `RST|ACK`, Seq 0,
 * Ack = its Seq + its length (+1 for SYN). Addresses and ports are swapped; the payload is the reason byte.
 * Callers never answer a RST with a RST (the function returns null for one).
 */
export function resetFor(offending: Packet, reason: number | null): Packet | null {
  if (offending.flags & FLAG_RST) return null;
  const hasAck = (offending.flags & FLAG_ACK) !== 0;
  return {
    version: WIRE_VERSION,
    flags: hasAck ? FLAG_RST : FLAG_RST | FLAG_ACK,
    proto: PROTO_STREAM,
    src: offending.dst,
    dst: offending.src,
    srcPort: offending.dstPort,
    dstPort: offending.srcPort,
    seq: hasAck ? offending.ack : 0,
    ack: hasAck ? 0 : seqAdd(offending.seq, segmentLength(offending)),
    window: 0,
    payload: reason === null ? NO_PAYLOAD : Uint8Array.of(reason),
  };
}

/** The reason byte of a received RST, or null when it carries none (or more than one byte). */
export function rstReasonOf(p: Packet): number | null {
  return p.payload.length === 1 ? p.payload[0] : null;
}

/** The `reason` of an IPC `closed` event (§8.3). */
export function ipcCloseReason(reason: CloseReason): "closed" | "reset" | "timeout" | "not_trusted" {
  switch (reason.kind) {
    case "normal":
      return "closed";
    case "timeout":
      return "timeout";
    case "reset":
    case "aborted":
      return reason.rst === RST_NOT_TRUSTED ? "not_trusted" : "reset";
  }
}

/**
 * The error an application sees when a connection ends this way, or null for an orderly close. `target` is the
 * remote socket address as text, `port` the remote port; `dialing` is true while the connection was not yet
 * established (then the RST reasons 1–3 become the dial errors of §7.9).
 */
export function closeError(reason: CloseReason, target: string, port: number, dialing: boolean): PilotError | null {
  switch (reason.kind) {
    case "normal":
      return null;
    case "aborted":
      if (reason.rst === RST_NOT_TRUSTED) return new NotTrustedError(target);
      return new ConnectionFailedError(`connection to ${target} port ${port} was aborted`, { detail: "reset" });
    case "timeout":
      if (reason.detail === "dial") {
        return new TimeoutError(`cannot connect to ${target} port ${port}: no answer`, {
          detail: "dial",
          hint: "retry with a longer --timeout",
        });
      }
      return new TimeoutError(
        reason.detail === "idle"
          ? `connection to ${target} port ${port} timed out: nothing received`
          : `connection to ${target} port ${port} timed out: data unacknowledged`,
        { detail: reason.detail },
      );
    case "reset":
      if (dialing && reason.rst === RST_NO_LISTENER) {
        return new ConnectionFailedError(`connection refused: ${target} port ${port}`, {
          detail: "refused",
          hint: `check that a service listens on port ${port}`,
        });
      }
      if (reason.rst === RST_NOT_TRUSTED) return new NotTrustedError(target);
      if (dialing && reason.rst === RST_LIMIT) {
        return new ConnectionFailedError(`cannot connect to ${target} port ${port}: peer connection limit reached`, {
          detail: "limit",
        });
      }
      return new ConnectionFailedError(`connection to ${target} port ${port} reset by peer`, { detail: "reset" });
  }
}
