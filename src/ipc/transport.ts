// The transport switch of PROTOCOL-BRIEF §8.1: a Unix stream socket (0600, umask 077, stale file removed, a live
// daemon refused), or on Windows a 127.0.0.1 TCP listener guarded by the random token of `ipc.token`. Both ends go
// through here; everything above sees only a Deno.Conn.
import { encodeIpcJson, IpcFrameReader } from "../wire/ipc_frame.ts";
import { parseJsonBody } from "../wire/registry_frame.ts";
import { PilotError, toPilotError } from "../util/errors.ts";
import {
  IPC_TCP_HOSTNAME,
  PROBE_TIMEOUT_MS,
  READ_CHUNK_BYTES,
  SOCKET_CREATE_UMASK,
  SOCKET_FILE_MODE,
} from "./constants.ts";
import {
  daemonAlreadyRunningError,
  daemonNotRunningError,
  inspectSocketPath,
  NOT_OWNED_HINT,
  validateSocketPath,
} from "./socket_path.ts";
import { newIpcToken, readIpcTokenFile, removeIpcTokenFile, writeIpcTokenFile } from "./token.ts";

export type IpcTransportKind = "unix" | "tcp";

/** Where the daemon listens: a socket path, or (Windows) the token file naming the loopback port. */
export type IpcAddress =
  | { readonly transport: "unix"; readonly path: string }
  | { readonly transport: "tcp"; readonly tokenPath: string };

/** Unix sockets everywhere but Windows (§8.1). */
export function defaultIpcTransport(): IpcTransportKind {
  return Deno.build.os === "windows" ? "tcp" : "unix";
}

/** The address for this platform from the resolved socket path and `<home>/ipc.token`. */
export function ipcAddress(
  socketPath: string,
  tokenPath: string,
  transport: IpcTransportKind = defaultIpcTransport(),
): IpcAddress {
  return transport === "unix" ? { transport, path: socketPath } : { transport, tokenPath };
}

/** `socket /tmp/pilot.sock` or `ipc token C:\…\ipc.token`, for messages. */
export function describeIpcAddress(address: IpcAddress): string {
  return address.transport === "unix" ? `socket ${address.path}` : `ipc token ${address.tokenPath}`;
}

/** A listening endpoint; `token` is set in TCP mode. `release()` removes what start-up created. */
export interface IpcEndpoint {
  readonly listener: Deno.Listener;
  readonly token: string | null;
  release(): Promise<void>;
}

export async function openIpcEndpoint(address: IpcAddress): Promise<IpcEndpoint> {
  return address.transport === "unix" ? await openUnix(address.path) : await openTcp(address.tokenPath);
}

async function openUnix(path: string): Promise<IpcEndpoint> {
  validateSocketPath(path);
  if (await inspectSocketPath(path) === "ours") {
    if (await unixAnswers(path)) throw daemonAlreadyRunningError(`socket ${path}`);
    await Deno.remove(path).catch((err) => {
      if (!(err instanceof Deno.errors.NotFound)) throw listenError(path, err);
    });
  }
  let listener: Deno.Listener;
  // umask is process-wide, but Deno.listen is synchronous, so no other JavaScript runs while it is narrowed.
  const previous = Deno.umask(SOCKET_CREATE_UMASK);
  try {
    listener = Deno.listen({ transport: "unix", path });
  } catch (err) {
    if (err instanceof Deno.errors.AddrInUse) throw daemonAlreadyRunningError(`socket ${path}`);
    throw listenError(path, err);
  } finally {
    Deno.umask(previous);
  }
  let ino: number | null;
  try {
    await Deno.chmod(path, SOCKET_FILE_MODE);
    ino = (await Deno.lstat(path)).ino;
  } catch (err) {
    listener.close();
    throw listenError(path, err);
  }
  return {
    listener,
    token: null,
    async release() {
      // Only our own socket file goes: a successor may already have replaced it. (Deno's listener.close() also
      // unlinks the path, without that check; this covers runtimes that leave the file behind.)
      const info = await Deno.lstat(path).catch(() => null);
      if (info !== null && info.isSocket === true && info.ino === ino) await Deno.remove(path).catch(() => {});
    },
  };
}

function listenError(path: string, err: unknown): PilotError {
  const base = toPilotError(err);
  return new PilotError(base.code, `cannot listen on socket ${path}: ${base.message}`, {
    hint: base.code === "unauthorized" ? NOT_OWNED_HINT : "",
    cause: err,
  });
}

async function unixAnswers(path: string): Promise<boolean> {
  try {
    const conn = await Deno.connect({ transport: "unix", path });
    conn.close();
    return true;
  } catch {
    return false;
  }
}

async function openTcp(tokenPath: string): Promise<IpcEndpoint> {
  const existing = await readIpcTokenFile(tokenPath);
  if (existing !== null && await tcpDaemonAnswers(existing.port, existing.token)) {
    throw daemonAlreadyRunningError(`${IPC_TCP_HOSTNAME} port ${existing.port}`);
  }
  const listener = Deno.listen({ transport: "tcp", hostname: IPC_TCP_HOSTNAME, port: 0 });
  const token = newIpcToken();
  try {
    await writeIpcTokenFile(tokenPath, { port: (listener.addr as Deno.NetAddr).port, token });
  } catch (err) {
    listener.close();
    throw err;
  }
  return { listener, token, release: () => removeIpcTokenFile(tokenPath, token) };
}

/** A stale token file may name a port some other program now uses, so only a successful `hello` counts. */
async function tcpDaemonAnswers(port: number, token: string): Promise<boolean> {
  let conn: Deno.TcpConn;
  try {
    conn = await Deno.connect({ transport: "tcp", hostname: IPC_TCP_HOSTNAME, port });
  } catch {
    return false;
  }
  const timer = setTimeout(() => conn.close(), PROBE_TIMEOUT_MS);
  try {
    await writeAll(conn, encodeIpcJson({ id: 1, cmd: "hello", version: "probe", client: "probe", token }));
    const reader = new IpcFrameReader();
    const buf = new Uint8Array(READ_CHUNK_BYTES);
    for (;;) {
      const r = reader.next();
      if (r.kind === "frame") {
        if (r.frame.kind !== "json") return false;
        const parsed = parseJsonBody(r.frame.body);
        return parsed.ok && parsed.value.id === 1 && parsed.value.ok === true;
      }
      if (r.kind !== "need_more") return false;
      const n = await conn.read(buf);
      if (n === null) return false;
      reader.push(buf.subarray(0, n));
    }
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
    closeQuietly(conn);
  }
}

/** Opens a connection to the daemon; `token` is what TCP mode must send in `hello`. */
export async function dialIpc(address: IpcAddress): Promise<{ conn: Deno.Conn; token: string | null }> {
  if (address.transport === "unix") {
    const path = address.path;
    validateSocketPath(path);
    if (await inspectSocketPath(path) === "missing") throw daemonNotRunningError(`socket ${path}`);
    try {
      return { conn: await Deno.connect({ transport: "unix", path }), token: null };
    } catch (err) {
      throw daemonNotRunningError(`socket ${path}`, err);
    }
  }
  const file = await readIpcTokenFile(address.tokenPath);
  if (file === null) throw daemonNotRunningError(describeIpcAddress(address));
  try {
    const conn = await Deno.connect({ transport: "tcp", hostname: IPC_TCP_HOSTNAME, port: file.port });
    return { conn, token: file.token };
  } catch (err) {
    throw daemonNotRunningError(`${IPC_TCP_HOSTNAME} port ${file.port}`, err);
  }
}

/** Bytes a lingering close reads and discards at most before closing anyway. */
const LINGER_MAX_BYTES = 4 * 1_048_576;

/**
 * Half-closes, then reads and discards until the peer closes (bounded in time and bytes) before closing. Closing a
 * socket with unread input resets it, and the reset can overtake the error event just written.
 */
export async function closeAfterLinger(conn: Deno.Conn, timeoutMs: number): Promise<void> {
  const timer = setTimeout(() => closeQuietly(conn), timeoutMs);
  try {
    await conn.closeWrite();
    const buf = new Uint8Array(READ_CHUNK_BYTES);
    for (let total = 0; total < LINGER_MAX_BYTES;) {
      const n = await conn.read(buf);
      if (n === null) break;
      total += n;
    }
  } catch {
    // the peer reset or the timer closed the socket: either way we are done
  } finally {
    clearTimeout(timer);
    closeQuietly(conn);
  }
}

export function closeQuietly(conn: Deno.Conn): void {
  try {
    conn.close();
  } catch {
    // already closed
  }
}

/** Writes every byte (Deno.Conn.write may write part of a buffer). */
export async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < bytes.length) offset += await conn.write(bytes.subarray(offset));
}
