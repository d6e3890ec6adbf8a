// Overlay addresses (PROTOCOL-BRIEF §1): the 6-byte binary form, the `N:NNNN.HHHH.LLLL` text form with its exact
// five-rule parser (§1.2), socket addresses `<address>:<port>` and the special node ids (§1.3).
//
//   binary:  +--------+--------+--------+--------+--------+--------+
//            |  network (u16)  |          node (u32)               |
//            +--------+--------+--------+--------+--------+--------+
import { InvalidArgumentError } from "../util/errors.ts";
import { WireFormatError } from "./errors.ts";

export type Addr = { readonly network: number; readonly node: number };
export type SockAddr = { readonly addr: Addr; readonly port: number };

export const ADDR_BYTES = 6;

export const NETWORK_BACKBONE = 0;
/** Network 65535 is reserved (§1.1); it parses and formats but is never assigned. */
export const NETWORK_RESERVED = 0xffff;
export const NETWORK_MAX = 0xffff;
export const NODE_MAX = 0xffffffff;
export const PORT_MAX = 0xffff;

export const NODE_UNSPECIFIED = 0;
export const NODE_REGISTRY = 1;
export const NODE_BEACON = 2;
export const NODE_NAMESERVER = 3;
export const NODE_BROADCAST = 0xffffffff;
/** Node ids 0..RESERVED_MAX never appear as Src or Dst of an overlay packet (drop `reserved_addr`). */
export const RESERVED_MAX = 0xff;
/** The registry allocates node ids sequentially from here and never reuses one. */
export const FIRST_ASSIGNED_NODE = 0x100;

const ADDR_TEXT_MIN_CHARS = 16;
const ADDR_TEXT_MAX_CHARS = 20;
const NETWORK_RE = /^[0-9]{1,5}$/;
const NODE_GROUPS_RE = /^([0-9A-Fa-f]{4})\.([0-9A-Fa-f]{4})\.([0-9A-Fa-f]{4})$/;
const PORT_RE = /^[0-9]{1,5}$/;

export function isValidNetwork(network: number): boolean {
  return Number.isInteger(network) && network >= 0 && network <= NETWORK_MAX;
}

export function isValidNode(node: number): boolean {
  return Number.isInteger(node) && node >= 0 && node <= NODE_MAX;
}

export function isValidPort(port: number): boolean {
  return Number.isInteger(port) && port >= 0 && port <= PORT_MAX;
}

export function isReservedNode(node: number): boolean {
  return node <= RESERVED_MAX;
}

export function broadcastAddr(network: number): Addr {
  return { network, node: NODE_BROADCAST };
}

export function addrEquals(a: Addr, b: Addr): boolean {
  return a.network === b.network && a.node === b.node;
}

/** A number unique per address (network · 2^32 + node, < 2^48), for use as a Map key. */
export function addrKey(a: Addr): number {
  return a.network * 0x1_0000_0000 + a.node;
}

function hex4(value: number): string {
  return value.toString(16).toUpperCase().padStart(4, "0");
}

/** Text form with upper-case hex: `0:0000.0000.012A`. */
export function formatAddr(a: Addr): string {
  return `${a.network}:${hex4(a.network)}.${hex4(a.node >>> 16)}.${hex4(a.node & 0xffff)}`;
}

function badAddress(input: string, reason: string): InvalidArgumentError {
  return new InvalidArgumentError(`invalid address "${input}": ${reason}`, { detail: "bad_address" });
}

function isAsciiNonSpace(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    // ASCII whitespace as JS `\s` knows it within ASCII: TAB, LF, VT, FF, CR, SPACE.
    if (c > 0x7f || c === 0x20 || (c >= 0x09 && c <= 0x0d)) return false;
  }
  return true;
}

/**
 * Parses the text form by exactly the rules of §1.2, failing on the first rule broken.
 * Throws InvalidArgumentError (code `invalid_argument`, detail `bad_address`).
 */
export function parseAddr(text: string): Addr {
  // Rule 1 (a non-string from JSON fails it too, rather than escaping as a TypeError).
  if (
    typeof text !== "string" || text.length < ADDR_TEXT_MIN_CHARS || text.length > ADDR_TEXT_MAX_CHARS ||
    !isAsciiNonSpace(text)
  ) {
    throw badAddress(String(text), "bad length");
  }
  // Rule 2: split at the first colon; no colon leaves a 16+ character "network", which rule 2 rejects.
  const colon = text.indexOf(":");
  const left = colon < 0 ? text : text.slice(0, colon);
  const network = NETWORK_RE.test(left) ? Number(left) : -1;
  if (network < 0 || network > NETWORK_MAX) throw badAddress(text, "bad network");
  // Rule 3.
  const groups = colon < 0 ? null : NODE_GROUPS_RE.exec(text.slice(colon + 1));
  if (groups === null) throw badAddress(text, "bad node groups");
  // Rule 4.
  if (parseInt(groups[1], 16) !== network) throw badAddress(text, "network mismatch");
  // Rule 5.
  const node = (parseInt(groups[2], 16) * 0x10000 + parseInt(groups[3], 16)) >>> 0;
  return { network, node };
}

export function formatSockAddr(s: SockAddr): string {
  return `${formatAddr(s.addr)}:${s.port}`;
}

/**
 * Parses `<address>:<port>`, split at the last colon; the port is 1–5 decimal digits ≤ 65535 (0 is allowed here:
 * it is the control/ping port, and callers that need a bindable port check that themselves).
 * Throws InvalidArgumentError (detail `bad_address`).
 */
export function parseSockAddr(text: string): SockAddr {
  const colon = typeof text === "string" ? text.lastIndexOf(":") : -1;
  if (colon < 0) {
    throw new InvalidArgumentError(`invalid socket address "${text}": missing port`, { detail: "bad_address" });
  }
  const portText = text.slice(colon + 1);
  const port = PORT_RE.test(portText) ? Number(portText) : -1;
  if (port < 0 || port > PORT_MAX) {
    throw new InvalidArgumentError(`invalid socket address "${text}": bad port`, { detail: "bad_address" });
  }
  return { addr: parseAddr(text.slice(0, colon)), port };
}

/** Writes the 6-byte form at `offset`; the caller guarantees room. */
export function writeAddr(out: Uint8Array, offset: number, a: Addr): void {
  if (!isValidNetwork(a.network)) throw new WireFormatError(`invalid network ${a.network}`, "network", offset);
  if (!isValidNode(a.node)) throw new WireFormatError(`invalid node ${a.node}`, "node", offset + 2);
  const node = a.node;
  out[offset] = a.network >>> 8;
  out[offset + 1] = a.network & 0xff;
  out[offset + 2] = node >>> 24;
  out[offset + 3] = (node >>> 16) & 0xff;
  out[offset + 4] = (node >>> 8) & 0xff;
  out[offset + 5] = node & 0xff;
}

export function encodeAddr(a: Addr): Uint8Array {
  const out = new Uint8Array(ADDR_BYTES);
  writeAddr(out, 0, a);
  return out;
}

export function decodeAddr(bytes: Uint8Array, offset = 0): Addr {
  if (!Number.isInteger(offset) || offset < 0 || offset + ADDR_BYTES > bytes.length) {
    throw new WireFormatError(`invalid address bytes: need ${ADDR_BYTES} at offset ${offset}`, "addr", offset);
  }
  const network = (bytes[offset] << 8) | bytes[offset + 1];
  const node =
    ((bytes[offset + 2] << 24) | (bytes[offset + 3] << 16) | (bytes[offset + 4] << 8) | bytes[offset + 5]) >>>
    0;
  return { network, node };
}
