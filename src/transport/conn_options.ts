// Options of one stream connection and their validation (PROTOCOL-BRIEF §7.1, §3.5, §10): buffer sizes, the
// tunnel path limit, the MAX_SEG we advertise, Nagle, the dial deadline and the ISN source (a CSPRNG unless a test
// injects one).
import type { Clock } from "../util/clock.ts";
import {
  DEFAULT_LOCAL_MAX_SEG_BYTES,
  DEFAULT_PATH_LIMIT_BYTES,
  DEFAULT_RECV_BUFFER_BYTES,
  DEFAULT_SEND_BUFFER_BYTES,
  DIAL_TIMEOUT_MS,
  MAX_PATH_LIMIT_BYTES,
  MAX_RECV_BUFFER_BYTES,
  MAX_SEND_BUFFER_BYTES,
  WINDOW_UNIT_BYTES,
} from "./constants.ts";
import type { SocketEnd } from "./packets.ts";

export interface ConnectionOptions {
  readonly local: SocketEnd;
  readonly remote: SocketEnd;
  readonly clock: Clock;
  /** Source of the initial sequence number; a CSPRNG by default (§7.1). */
  readonly isn?: () => number;
  readonly recvBufferBytes?: number;
  readonly sendBufferBytes?: number;
  /** The tunnel path limit toward the peer (§3.5). */
  readonly pathLimit?: number;
  /** MAX_SEG we advertise: the largest segment we accept (≥ 1152). */
  readonly localMaxSeg?: number;
  readonly nodelay?: boolean;
  /** Active opens fail with `timeout` detail `dial` after this long (§7.5). */
  readonly dialTimeoutMs?: number;
}

export interface ResolvedOptions {
  readonly iss: number;
  readonly recvBufferBytes: number;
  readonly sendBufferBytes: number;
  readonly pathLimit: number;
  readonly localMaxSeg: number;
  readonly nodelay: boolean;
  readonly dialTimeoutMs: number;
}

const MAX_SEG_FIELD_MAX = 0xffff;

/** 32 random bits from the platform CSPRNG (§7.1). */
export function randomIsn(): number {
  return crypto.getRandomValues(new Uint32Array(1))[0];
}

function inRange(value: number, min: number, max: number, what: string): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`invalid ${what} ${value}: want ${min}..${max}`);
  }
  return value;
}

/** Applies defaults and checks bounds; throws RangeError for a value out of range (a programming error). */
export function resolveOptions(o: ConnectionOptions): ResolvedOptions {
  return {
    iss: (o.isn ?? randomIsn)() >>> 0,
    recvBufferBytes: inRange(
      o.recvBufferBytes ?? DEFAULT_RECV_BUFFER_BYTES,
      WINDOW_UNIT_BYTES,
      MAX_RECV_BUFFER_BYTES,
      "receive buffer",
    ),
    sendBufferBytes: inRange(o.sendBufferBytes ?? DEFAULT_SEND_BUFFER_BYTES, 1, MAX_SEND_BUFFER_BYTES, "send buffer"),
    pathLimit: inRange(o.pathLimit ?? DEFAULT_PATH_LIMIT_BYTES, DEFAULT_PATH_LIMIT_BYTES, MAX_PATH_LIMIT_BYTES, "path"),
    localMaxSeg: inRange(
      o.localMaxSeg ?? DEFAULT_LOCAL_MAX_SEG_BYTES,
      DEFAULT_PATH_LIMIT_BYTES,
      MAX_SEG_FIELD_MAX,
      "max_seg",
    ),
    nodelay: o.nodelay ?? false,
    dialTimeoutMs: o.dialTimeoutMs ?? DIAL_TIMEOUT_MS,
  };
}
