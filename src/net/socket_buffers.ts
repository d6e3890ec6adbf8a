// Larger kernel buffers for the node's UDP socket. Deno.listenDatagram has no option for SO_RCVBUF / SO_SNDBUF, and
// the Linux default receive buffer (208 KiB) holds only a dozen 16 KiB datagrams: a burst from a fast peer overflows
// it, and every overflow is a loss the stream's congestion control answers by halving its window. So, where FFI is
// permitted and libc is at hand (Linux, macOS), the socket is found among the process's descriptors by what
// getsockname() says of it — a datagram socket of the right family bound to our port — and setsockopt() asks for
// bigger buffers. The kernel caps the request (Linux: net.core.rmem_max / wmem_max) and reports what it granted.
// Anything unexpected leaves the socket as it was: the result is then null and nothing else changes.
import { ffiGranted } from "../util/ffi.ts";

/** What each buffer was, as getsockopt() reports it, after the request. */
export interface SocketBuffers {
  readonly receiveBytes: number;
  readonly sendBytes: number;
}

interface Platform {
  readonly libc: string;
  readonly fdDir: string;
  readonly solSocket: number;
  readonly soSndbuf: number;
  readonly soRcvbuf: number;
  readonly soType: number;
  readonly sockDgram: number;
  readonly afInet: number;
  readonly afInet6: number;
  /** Where sockaddr keeps its family: a u16 at 0 (Linux) or a u8 at 1 after sa_len (BSD). */
  readonly familyAt: "u16le@0" | "u8@1";
}

const PLATFORMS: Partial<Record<typeof Deno.build.os, Platform>> = {
  linux: {
    libc: "libc.so.6",
    fdDir: "/proc/self/fd",
    solSocket: 1,
    soSndbuf: 7,
    soRcvbuf: 8,
    soType: 3,
    sockDgram: 2,
    afInet: 2,
    afInet6: 10,
    familyAt: "u16le@0",
  },
  darwin: {
    libc: "/usr/lib/libSystem.B.dylib",
    fdDir: "/dev/fd",
    solSocket: 0xffff,
    soSndbuf: 0x1001,
    soRcvbuf: 0x1002,
    soType: 0x1008,
    sockDgram: 2,
    afInet: 2,
    afInet6: 30,
    familyAt: "u8@1",
  },
};

const SYMBOLS = {
  getsockname: { parameters: ["i32", "buffer", "buffer"], result: "i32" },
  getsockopt: { parameters: ["i32", "i32", "i32", "buffer", "buffer"], result: "i32" },
  setsockopt: { parameters: ["i32", "i32", "i32", "buffer", "u32"], result: "i32" },
} as const;

const SOCKADDR_BYTES = 128;
/** sockaddr_in / sockaddr_in6 keep the port big-endian at byte 2 on every supported platform. */
const PORT_OFFSET = 2;
/** Descriptors looked at, at most: a daemon has a few dozen. */
const MAX_FDS_SCANNED = 4096;

type Libc = Deno.DynamicLibrary<typeof SYMBOLS>["symbols"];

/**
 * Asks for `bytes` of receive and send buffer on the UDP socket bound to `port` (`ipv6`: an AF_INET6 socket).
 * Returns what the kernel granted, or null when the socket was not found or FFI / libc is unavailable.
 */
export function raiseUdpBuffers(port: number, ipv6: boolean, bytes: number): SocketBuffers | null {
  const p = PLATFORMS[Deno.build.os];
  if (p === undefined || !ffiGranted()) return null;
  let lib: Deno.DynamicLibrary<typeof SYMBOLS>;
  try {
    lib = Deno.dlopen(p.libc, SYMBOLS);
  } catch {
    return null; // no FFI permission, or no such library
  }
  try {
    const fd = findUdpSocket(lib.symbols, p, port, ipv6 ? p.afInet6 : p.afInet);
    if (fd === null) return null;
    setInt(lib.symbols, fd, p.solSocket, p.soRcvbuf, bytes);
    setInt(lib.symbols, fd, p.solSocket, p.soSndbuf, bytes);
    const receiveBytes = getInt(lib.symbols, fd, p.solSocket, p.soRcvbuf);
    const sendBytes = getInt(lib.symbols, fd, p.solSocket, p.soSndbuf);
    if (receiveBytes === null || sendBytes === null) return null;
    return { receiveBytes, sendBytes };
  } catch {
    return null;
  } finally {
    lib.close();
  }
}

/** The descriptor of our datagram socket of `family` bound to `port`; null when none or more than one match. */
function findUdpSocket(libc: Libc, p: Platform, port: number, family: number): number | null {
  let match: number | null = null;
  let scanned = 0;
  for (const entry of Deno.readDirSync(p.fdDir)) {
    if (++scanned > MAX_FDS_SCANNED) break;
    const fd = Number(entry.name);
    if (!Number.isInteger(fd) || fd < 0) continue;
    if (getInt(libc, fd, p.solSocket, p.soType) !== p.sockDgram) continue;
    const addr = new Uint8Array(SOCKADDR_BYTES);
    const len = new Uint32Array([SOCKADDR_BYTES]);
    if (libc.getsockname(fd, addr, len) !== 0) continue;
    const fam = p.familyAt === "u16le@0" ? addr[0] | (addr[1] << 8) : addr[1];
    const boundPort = (addr[PORT_OFFSET] << 8) | addr[PORT_OFFSET + 1];
    if (fam !== family || boundPort !== port) continue;
    if (match !== null) return null; // ambiguous: touch nothing
    match = fd;
  }
  return match;
}

function getInt(libc: Libc, fd: number, level: number, option: number): number | null {
  const value = new Int32Array(1);
  const len = new Uint32Array([4]);
  return libc.getsockopt(fd, level, option, value, len) === 0 ? value[0] : null;
}

function setInt(libc: Libc, fd: number, level: number, option: number, v: number): void {
  libc.setsockopt(fd, level, option, new Int32Array([v]), 4);
}
