// Beacon UDP messages (PROTOCOL-BRIEF §5.1), the bytes signed by REGISTER (§5.2 step 3) and the challenge MAC input
// (§5.2 step 2). First byte = type, always < 0x10; each type has an exact size. Decoded byte fields (txid,
// challenge, sig, punch_id, relay inner frame) are subarray VIEWS of the input; ips are copies.
//
//   0x01 DISCOVER        01 ‖ node_id(4) ‖ txid(8)                                                     13
//   0x02 DISCOVER_REPLY  02 ‖ txid(8) ‖ status(1) ‖ ip_len(1)=4|16 ‖ ip ‖ port(2) ‖ challenge(16)      33 / 45
//   0x04 PUNCH_COMMAND   04 ‖ peer_node(4) ‖ punch_id(8) ‖ delay_ms(2) ‖ ip_len(1) ‖ ip ‖ port(2)       22 / 34
//   0x05 RELAY           05 ‖ src_node(4) ‖ dst_node(4) ‖ inner frame                                   9 + inner
//   0x06 RELAY_DELIVER   06 ‖ src_node(4) ‖ dst_node(4) ‖ inner frame                                   9 + inner
//   0x08 REGISTER        08 ‖ node_id(4) ‖ txid(8) ‖ ts_ms(8) ‖ challenge(16) ‖ sig(64)                101
//   0x09 REGISTER_ACK    09 ‖ txid(8) ‖ status(1) ‖ ttl_s(2)                                            12
//   0x03, 0x07, 0x0A–0x0F reserved.
import { WireFormatError } from "./errors.ts";
import { type Ip, IPV4_BYTES, IPV6_BYTES } from "./ip.ts";

export const BEACON_DISCOVER = 0x01;
export const BEACON_DISCOVER_REPLY = 0x02;
export const BEACON_PUNCH_COMMAND = 0x04;
export const BEACON_RELAY = 0x05;
export const BEACON_RELAY_DELIVER = 0x06;
export const BEACON_REGISTER = 0x08;
export const BEACON_REGISTER_ACK = 0x09;
/** Any datagram whose first byte is below this is a beacon message (§3.1). */
export const BEACON_TYPE_LIMIT = 0x10;

export const TXID_BYTES = 8;
export const PUNCH_ID_BYTES = 8;
export const BEACON_CHALLENGE_BYTES = 16;
export const SIGNATURE_BYTES = 64;
export const RELAY_HEADER_BYTES = 9;
/** Largest inner frame the beacon relays (§5.4: larger → `relay_too_large`); a policy the caller applies. */
export const RELAY_INNER_MAX_BYTES = 1463;

export const DISCOVER_BYTES = 13;
export const REGISTER_BYTES = 101;
export const REGISTER_ACK_BYTES = 12;
const DISCOVER_REPLY_FIXED_BYTES = 29;
const PUNCH_COMMAND_FIXED_BYTES = 18;

export const DISCOVER_STATUS_REGISTERED = 0;
export const DISCOVER_STATUS_NOT_REGISTERED = 1;
export const DISCOVER_STATUS_OTHER_ENDPOINT = 2;
export const REGISTER_STATUS_OK = 0;
export const REGISTER_STATUS_BAD_SIGNATURE = 1;
export const REGISTER_STATUS_UNKNOWN_NODE = 2;
export const REGISTER_STATUS_STALE_CHALLENGE = 3;
export const REGISTER_STATUS_CLOCK_SKEW = 4;
export const REGISTER_STATUS_RATE_LIMITED = 5;

export const BEACON_REGISTER_LABEL = "pilot-beacon-register-v1";

export type BeaconMessage =
  | { readonly type: "discover"; readonly nodeId: number; readonly txid: Uint8Array }
  | {
    readonly type: "discover_reply";
    readonly txid: Uint8Array;
    readonly status: number;
    readonly ip: Ip;
    readonly port: number;
    readonly challenge: Uint8Array;
  }
  | {
    readonly type: "punch_command";
    readonly peerNode: number;
    readonly punchId: Uint8Array;
    readonly delayMs: number;
    readonly ip: Ip;
    readonly port: number;
  }
  | {
    readonly type: "relay" | "relay_deliver";
    readonly srcNode: number;
    readonly dstNode: number;
    readonly inner: Uint8Array;
  }
  | {
    readonly type: "register";
    readonly nodeId: number;
    readonly txid: Uint8Array;
    readonly tsMs: number;
    readonly challenge: Uint8Array;
    readonly sig: Uint8Array;
  }
  | { readonly type: "register_ack"; readonly txid: Uint8Array; readonly status: number; readonly ttlS: number };

/** Writes fields in order through a bounds-checked cursor; used by every encoder here. */
class Writer {
  readonly out: Uint8Array;
  readonly #view: DataView;
  #at = 0;
  constructor(size: number) {
    this.out = new Uint8Array(size);
    this.#view = new DataView(this.out.buffer);
  }
  u8(v: number, field: string): this {
    if ((v & 0xff) !== v) throw encodeError(field, this.#at);
    this.out[this.#at++] = v;
    return this;
  }
  u16(v: number, field: string): this {
    if ((v & 0xffff) !== v) throw encodeError(field, this.#at);
    this.#view.setUint16(this.#at, v);
    this.#at += 2;
    return this;
  }
  u32(v: number, field: string): this {
    if (v >>> 0 !== v) throw encodeError(field, this.#at);
    this.#view.setUint32(this.#at, v);
    this.#at += 4;
    return this;
  }
  u64(v: number, field: string): this {
    if (!Number.isSafeInteger(v) || v < 0) throw encodeError(field, this.#at);
    this.#view.setBigUint64(this.#at, BigInt(v));
    this.#at += 8;
    return this;
  }
  bytes(b: Uint8Array, length: number, field: string): this {
    if (b.length !== length) throw encodeError(field, this.#at);
    this.out.set(b, this.#at);
    this.#at += length;
    return this;
  }
  ip(ip: Ip): this {
    const len = ip.family === 4 ? IPV4_BYTES : IPV6_BYTES;
    return this.u8(len, "ip_len").bytes(ip.bytes, len, "ip");
  }
}

function encodeError(field: string, offset: number): WireFormatError {
  return new WireFormatError(`cannot encode beacon message: bad ${field}`, field, offset);
}

function ipBytes(ip: Ip): number {
  return ip.family === 4 ? IPV4_BYTES : IPV6_BYTES;
}

export function encodeBeaconMessage(m: BeaconMessage): Uint8Array {
  switch (m.type) {
    case "discover":
      return new Writer(DISCOVER_BYTES).u8(BEACON_DISCOVER, "type").u32(m.nodeId, "node_id")
        .bytes(m.txid, TXID_BYTES, "txid").out;
    case "discover_reply":
      return new Writer(DISCOVER_REPLY_FIXED_BYTES + ipBytes(m.ip)).u8(BEACON_DISCOVER_REPLY, "type")
        .bytes(m.txid, TXID_BYTES, "txid").u8(m.status, "status").ip(m.ip).u16(m.port, "port")
        .bytes(m.challenge, BEACON_CHALLENGE_BYTES, "challenge").out;
    case "punch_command":
      return new Writer(PUNCH_COMMAND_FIXED_BYTES + ipBytes(m.ip)).u8(BEACON_PUNCH_COMMAND, "type")
        .u32(m.peerNode, "peer_node").bytes(m.punchId, PUNCH_ID_BYTES, "punch_id").u16(m.delayMs, "delay_ms")
        .ip(m.ip).u16(m.port, "port").out;
    case "relay":
    case "relay_deliver":
      return new Writer(RELAY_HEADER_BYTES + m.inner.length)
        .u8(m.type === "relay" ? BEACON_RELAY : BEACON_RELAY_DELIVER, "type").u32(m.srcNode, "src_node")
        .u32(m.dstNode, "dst_node").bytes(m.inner, m.inner.length, "inner").out;
    case "register":
      return new Writer(REGISTER_BYTES).u8(BEACON_REGISTER, "type").u32(m.nodeId, "node_id")
        .bytes(m.txid, TXID_BYTES, "txid").u64(m.tsMs, "ts_ms").bytes(m.challenge, BEACON_CHALLENGE_BYTES, "challenge")
        .bytes(m.sig, SIGNATURE_BYTES, "sig").out;
    case "register_ack":
      return new Writer(REGISTER_ACK_BYTES).u8(BEACON_REGISTER_ACK, "type").bytes(m.txid, TXID_BYTES, "txid")
        .u8(m.status, "status").u16(m.ttlS, "ttl_s").out;
  }
}

function badLen(b: Uint8Array, want: string): WireFormatError {
  return new WireFormatError(
    `invalid beacon message: ${b.length} bytes for type ${b[0]} (want ${want})`,
    "beacon_bad_len",
    0,
  );
}

/** Reads `ip_len ‖ ip` at `at`, requiring the ip length that makes the message exactly `b.length` bytes. */
function readIp(b: Uint8Array, at: number, fixed: number): Ip {
  const len = b[at];
  if ((len !== IPV4_BYTES && len !== IPV6_BYTES) || b.length !== fixed + len) {
    throw badLen(b, `${fixed + IPV4_BYTES} or ${fixed + IPV6_BYTES} with a matching ip_len`);
  }
  return { family: len === IPV4_BYTES ? 4 : 6, bytes: b.slice(at + 1, at + 1 + len) };
}

function readU64Number(v: DataView, at: number, field: string): number {
  const hi = v.getUint32(at);
  if (hi > 0x1fffff) throw new WireFormatError(`invalid beacon message: ${field} beyond 2^53`, field, at);
  return hi * 0x1_0000_0000 + v.getUint32(at + 4);
}

/**
 * Decodes one beacon message. Wrong size (including an ip_len that does not match it) → WireFormatError with field
 * `beacon_bad_len`; a reserved or unknown type → field `beacon_bad_type`.
 */
export function decodeBeaconMessage(b: Uint8Array): BeaconMessage {
  if (b.length === 0) throw new WireFormatError("invalid beacon message: empty", "beacon_bad_len", 0);
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  switch (b[0]) {
    case BEACON_DISCOVER:
      if (b.length !== DISCOVER_BYTES) throw badLen(b, `${DISCOVER_BYTES}`);
      return { type: "discover", nodeId: v.getUint32(1), txid: b.subarray(5, 13) };
    case BEACON_DISCOVER_REPLY: {
      if (b.length < DISCOVER_REPLY_FIXED_BYTES + IPV4_BYTES) throw badLen(b, "33 or 45");
      const ip = readIp(b, 10, DISCOVER_REPLY_FIXED_BYTES);
      const at = 11 + ip.bytes.length;
      return {
        type: "discover_reply",
        txid: b.subarray(1, 9),
        status: b[9],
        ip,
        port: v.getUint16(at),
        challenge: b.subarray(at + 2, at + 2 + BEACON_CHALLENGE_BYTES),
      };
    }
    case BEACON_PUNCH_COMMAND: {
      if (b.length < PUNCH_COMMAND_FIXED_BYTES + IPV4_BYTES) throw badLen(b, "22 or 34");
      const ip = readIp(b, 15, PUNCH_COMMAND_FIXED_BYTES);
      return {
        type: "punch_command",
        peerNode: v.getUint32(1),
        punchId: b.subarray(5, 13),
        delayMs: v.getUint16(13),
        ip,
        port: v.getUint16(16 + ip.bytes.length),
      };
    }
    case BEACON_RELAY:
    case BEACON_RELAY_DELIVER:
      if (b.length < RELAY_HEADER_BYTES) throw badLen(b, `at least ${RELAY_HEADER_BYTES}`);
      return {
        type: b[0] === BEACON_RELAY ? "relay" : "relay_deliver",
        srcNode: v.getUint32(1),
        dstNode: v.getUint32(5),
        inner: b.subarray(RELAY_HEADER_BYTES),
      };
    case BEACON_REGISTER:
      if (b.length !== REGISTER_BYTES) throw badLen(b, `${REGISTER_BYTES}`);
      return {
        type: "register",
        nodeId: v.getUint32(1),
        txid: b.subarray(5, 13),
        tsMs: readU64Number(v, 13, "ts_ms"),
        challenge: b.subarray(21, 37),
        sig: b.subarray(37, 101),
      };
    case BEACON_REGISTER_ACK:
      if (b.length !== REGISTER_ACK_BYTES) throw badLen(b, `${REGISTER_ACK_BYTES}`);
      return { type: "register_ack", txid: b.subarray(1, 9), status: b[9], ttlS: v.getUint16(10) };
    default:
      throw new WireFormatError(`invalid beacon message: type ${b[0]} is reserved`, "beacon_bad_type", 0);
  }
}

const LABEL_BYTES = new TextEncoder().encode(BEACON_REGISTER_LABEL);

/**
 * The message REGISTER signs (§5.2 step 3):
 * "pilot-beacon-register-v1" ‖ 00 ‖ node_id u32 ‖ ts_ms u64 ‖ challenge(16) ‖ ip_len u8 ‖ ip ‖ port u16.
 */
export function beaconRegisterSignedBytes(
  nodeId: number,
  tsMs: number,
  challenge: Uint8Array,
  ip: Ip,
  port: number,
): Uint8Array {
  const w = new Writer(LABEL_BYTES.length + 1 + 4 + 8 + BEACON_CHALLENGE_BYTES + 1 + ipBytes(ip) + 2);
  return w.bytes(LABEL_BYTES, LABEL_BYTES.length, "label").u8(0, "separator").u32(nodeId, "node_id")
    .u64(tsMs, "ts_ms").bytes(challenge, BEACON_CHALLENGE_BYTES, "challenge").ip(ip).u16(port, "port").out;
}

/** The HMAC input of the DISCOVER_REPLY challenge (§5.2 step 2): node_id ‖ ip_len ‖ ip ‖ port ‖ epoch u32. */
export function beaconChallengeInput(nodeId: number, ip: Ip, port: number, epoch: number): Uint8Array {
  return new Writer(4 + 1 + ipBytes(ip) + 2 + 4).u32(nodeId, "node_id").ip(ip).u16(port, "port")
    .u32(epoch, "epoch").out;
}
