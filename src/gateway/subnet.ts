// The gateway's address plan (CLI.md §3.9): the `--subnet` CIDR, IPv4 text ↔ u32, which local IPs are mappable, and
// "the next free IP, .1 first". The default is 127.4.0.0/16 on Linux (the whole of 127/8 is loopback there, so no
// alias and no root) and 10.4.0.0/16 elsewhere (interface aliases, root).
import { InvalidArgumentError } from "../util/errors.ts";

export const DEFAULT_SUBNET_LINUX = "127.4.0.0/16";
export const DEFAULT_SUBNET_OTHER = "10.4.0.0/16";
/** Shorter prefixes would hand out most of an address class; longer ones leave fewer than two host addresses. */
export const SUBNET_PREFIX_MIN = 8;
export const SUBNET_PREFIX_MAX = 30;
/** 127.0.0.0/8: loopback on every OS, though only Linux and Windows answer on all of it without aliases. */
const LOOPBACK_NET = 0x7f00_0000;
const LOOPBACK_PREFIX = 8;

const SUBNET_HINT = "use a CIDR such as 127.4.0.0/16";
const OCTET_RE = /^(0|[1-9][0-9]{0,2})$/;

/** A `--subnet` value: network address and prefix length. */
export interface Subnet {
  /** The network address as an unsigned 32-bit number (host bits zero). */
  readonly network: number;
  readonly prefix: number;
  /** Canonical text: `127.4.0.0/16`. */
  readonly text: string;
}

/** The default subnet for this OS. */
export function defaultSubnet(os: typeof Deno.build.os = Deno.build.os): string {
  return os === "linux" ? DEFAULT_SUBNET_LINUX : DEFAULT_SUBNET_OTHER;
}

/** Dotted-quad IPv4 → u32, or null (no leading zeros, no other forms). */
export function parseIPv4(text: string): number | null {
  const parts = text.split(".");
  if (parts.length !== 4) return null;
  let value = 0;
  for (const part of parts) {
    if (!OCTET_RE.test(part)) return null;
    const octet = Number(part);
    if (octet > 255) return null;
    value = value * 256 + octet;
  }
  return value;
}

export function formatIPv4(ip: number): string {
  return [ip >>> 24, (ip >>> 16) & 0xff, (ip >>> 8) & 0xff, ip & 0xff].join(".");
}

function maskOf(prefix: number): number {
  return prefix === 0 ? 0 : (0xffff_ffff << (32 - prefix)) >>> 0;
}

/** Parses `a.b.c.d/n`; anything else, host bits set or a prefix outside 8–30 is invalid_argument. */
export function parseSubnet(text: string): Subnet {
  const slash = text.indexOf("/");
  const ip = slash < 0 ? null : parseIPv4(text.slice(0, slash));
  const prefixText = slash < 0 ? "" : text.slice(slash + 1);
  if (ip === null || !/^[0-9]{1,2}$/.test(prefixText)) {
    throw new InvalidArgumentError(`invalid subnet "${text}": not an IPv4 CIDR`, { hint: SUBNET_HINT });
  }
  const prefix = Number(prefixText);
  if (prefix < SUBNET_PREFIX_MIN || prefix > SUBNET_PREFIX_MAX) {
    throw new InvalidArgumentError(
      `invalid subnet "${text}": prefix must be ${SUBNET_PREFIX_MIN}-${SUBNET_PREFIX_MAX}`,
      { hint: SUBNET_HINT },
    );
  }
  const network = (ip & maskOf(prefix)) >>> 0;
  if (network !== ip) {
    throw new InvalidArgumentError(
      `invalid subnet "${text}": host bits set (did you mean ${formatIPv4(network)}/${prefix}?)`,
      {
        hint: SUBNET_HINT,
      },
    );
  }
  return { network, prefix, text: `${formatIPv4(network)}/${prefix}` };
}

export function subnetContains(subnet: Subnet, ip: number): boolean {
  return ((ip & maskOf(subnet.prefix)) >>> 0) === subnet.network;
}

/** Addresses a mapping may take: inside the subnet, neither its network nor its broadcast address. */
export function isHostAddress(subnet: Subnet, ip: number): boolean {
  const broadcast = (subnet.network | ~maskOf(subnet.prefix)) >>> 0;
  return subnetContains(subnet, ip) && ip !== subnet.network && ip !== broadcast;
}

/** Number of host addresses in the subnet. */
export function hostCount(subnet: Subnet): number {
  return 2 ** (32 - subnet.prefix) - 2;
}

/**
 * The lowest free host address (.1 first), or null when all are taken. At most `used.size + 1` candidates are tried:
 * one of them must be free unless the subnet is full.
 */
export function firstFreeHost(subnet: Subnet, used: ReadonlySet<number>): number | null {
  const limit = Math.min(hostCount(subnet), used.size + 1);
  for (let i = 1; i <= limit; i++) {
    const ip = subnet.network + i;
    if (!used.has(ip)) return ip;
  }
  return null;
}

/** The subnet lies inside 127.0.0.0/8. */
export function isLoopbackSubnet(subnet: Subnet): boolean {
  return subnet.prefix >= LOOPBACK_PREFIX && ((subnet.network & maskOf(LOOPBACK_PREFIX)) >>> 0) === LOOPBACK_NET;
}

/** Whether local IPs must be added as interface aliases: everywhere except 127/8 on Linux and Windows. */
export function needsAliases(subnet: Subnet, os: typeof Deno.build.os = Deno.build.os): boolean {
  return !(isLoopbackSubnet(subnet) && (os === "linux" || os === "windows"));
}

/** A local IP given by the user for `gateway map`: dotted quad, a host address of the subnet. */
export function parseLocalIp(subnet: Subnet, text: string): number {
  const ip = parseIPv4(text);
  if (ip === null) throw new InvalidArgumentError(`invalid local IP "${text}"`);
  if (!isHostAddress(subnet, ip)) {
    throw new InvalidArgumentError(`local IP ${text} is outside the gateway subnet ${subnet.text}`, {
      hint: "pick a host address of the subnet, or leave it out to get the next free one",
    });
  }
  return ip;
}
