// IPC stream commands (PROTOCOL-BRIEF §8.3, §7.5, §7.9): bind/unbind of stream ports, accept, dial (trust checked
// locally, then a tunnel path by the §5.6 strategy, then the SYN), send (STREAM_DATA, answered once buffered: the
// backpressure), close / set_option / conn_abort. Connections and ports belong to the client that made them; when it
// leaves, its connections get FIN after their queued data and its ports are unbound. Received bytes are pushed to the
// client within its `recv` credit, then `eof` and `closed`.
import type { IpcArgs, IpcClientContext, IpcResult } from "../ipc/mod.ts";
import type { Logger } from "../log/logger.ts";
import {
  closeError,
  DIAL_TIMEOUT_MS,
  ipcCloseReason,
  LISTEN_BACKLOG_MAX,
  RST_ABORTED,
  type StreamConn,
} from "../transport/mod.ts";
import {
  ConnectionFailedError,
  InvalidArgumentError,
  NotFoundError,
  NotTrustedError,
  toPilotError,
} from "../util/errors.ts";
import { formatAddr, NETWORK_BACKBONE } from "../wire/mod.ts";
import { AcceptQueue } from "./accept_queue.ts";
import type { DataPlane } from "./data_plane.ts";
import type { Dialer } from "./dialer.ts";
import { boolArg, intArg, optBoolArg, optIntArg, strArg } from "./ipc_args.ts";
import type { NodeState } from "./node_state.ts";
import type { PortTable } from "./port_table.ts";
import type { ResolvedName } from "./targets.ts";

/** A dial over an existing session unanswered this long makes the dialer check the peer (after the first SYN resend). */
const DIAL_RECHECK_AFTER_MS = 1_500;

/** Daemon → client data is gathered into frames of at most this many bytes. */
const PUSH_BATCH_BYTES = 256 * 1024;
/**
 * Bytes handed to the client's outbox and not yet written to its socket before the pump stops reading: frames that
 * queue behind a write in progress leave together in one write (the IPC writer coalesces them), while a client that
 * grants no credit still holds back at most this much beyond the stream's receive window.
 */
const PUSH_PIPELINE_BYTES = 256 * 1024;
const DIAL_TIMEOUT_MAX_MS = 600_000;
const ACCEPT_TIMEOUT_MAX_MS = 86_400_000;

export interface IpcStreamDeps {
  readonly plane: DataPlane;
  readonly dialer: Dialer;
  readonly state: NodeState;
  readonly ports: PortTable;
  readonly isTrusted: (node: number) => boolean;
  readonly resolve: (name: unknown) => Promise<ResolvedName>;
  readonly log: Logger;
}

function connNotFound(conn: number): NotFoundError {
  return new NotFoundError(`connection ${conn} not found`, { detail: "conn" });
}

export class IpcStreams {
  readonly #d: IpcStreamDeps;
  readonly #queues = new Map<number, AcceptQueue>();

  constructor(deps: IpcStreamDeps) {
    this.#d = deps;
  }

  bind(client: IpcClientContext, port: number, backlog: number | undefined): IpcResult {
    const d = this.#d;
    if (port !== 0) d.ports.checkBindable(port);
    const listener = d.plane.stack.listen(port, backlog ?? LISTEN_BACKLOG_MAX);
    try {
      client.ownPort("stream", listener.port);
    } catch (err) {
      listener.close();
      throw err;
    }
    this.#queues.set(listener.port, new AcceptQueue(listener, listener.backlog));
    d.ports.add("stream", listener.port);
    return { port: listener.port };
  }

  async unbind(client: IpcClientContext, port: number): Promise<IpcResult> {
    if (!client.ownsPort("stream", port)) throw new NotFoundError(`port ${port} is not bound`, { detail: "port" });
    client.disownPort("stream", port);
    await this.#release(port);
    return { port };
  }

  async accept(args: IpcArgs, client: IpcClientContext): Promise<IpcResult> {
    const port = intArg(args, "port", 1, 0xffff, "port_range");
    const timeoutMs = optIntArg(args, "timeout_ms", 0, ACCEPT_TIMEOUT_MAX_MS);
    const queue = this.#queues.get(port);
    if (queue === undefined || !client.ownsPort("stream", port)) {
      throw new NotFoundError(`port ${port} is not bound`, { detail: "port" });
    }
    const sc = await queue.accept(timeoutMs, client.signal);
    return this.#adopt(client, sc);
  }

  async dial(args: IpcArgs, client: IpcClientContext): Promise<IpcResult> {
    const d = this.#d;
    const target = await d.resolve(args.addr);
    const port = intArg(args, "port", 1, 0xffff, "port_range");
    const timeoutMs = optIntArg(args, "timeout_ms", 1, DIAL_TIMEOUT_MAX_MS) ?? DIAL_TIMEOUT_MS;
    const nodelay = optBoolArg(args, "nodelay");
    const remote = target.addr;
    const text = formatAddr(remote);
    if (remote.network !== NETWORK_BACKBONE && !d.state.isMember(remote.network)) {
      throw new InvalidArgumentError(`cannot connect to ${text}: not a member of network ${remote.network}`);
    }
    if (port !== 444 && !d.isTrusted(remote.node)) throw new NotTrustedError(text);
    const startedAt = performance.now();
    try {
      await abortable(d.dialer.ensurePath(remote.node, timeoutMs), client.signal);
    } catch (err) {
      const e = toPilotError(err);
      throw new ConnectionFailedError(`cannot connect to ${text} port ${port}`, {
        detail: e.detail ?? "no_path",
        hint: `pilotctl ping ${text}`,
      });
    }
    const left = Math.max(1, Math.round(timeoutMs - (performance.now() - startedAt)));
    // No answer to the SYN soon: the session's peer may have restarted elsewhere; have the dialer check it.
    const recheck = setTimeout(() => d.dialer.recheck(remote.node, left), DIAL_RECHECK_AFTER_MS);
    let sc;
    try {
      sc = await d.plane.stack.dial(remote, port, { nodelay, timeoutMs: left });
    } finally {
      clearTimeout(recheck);
    }
    return this.#adopt(client, sc);
  }

  /** STREAM_DATA from the client: resolves once the bytes are in the connection's send buffer. */
  async streamData(client: IpcClientContext, conn: number, data: Uint8Array): Promise<void> {
    const sc = this.#owned(client, conn);
    // The frame's bytes are this request's own (the IPC reader copies each frame) and the send buffer copies them.
    await sc.write(data);
  }

  close(args: IpcArgs, client: IpcClientContext): IpcResult {
    const conn = intArg(args, "conn", 0, 0xffff_ffff);
    const how = strArg(args, "how", 16);
    const sc = this.#owned(client, conn);
    switch (how) {
      case "write":
        sc.closeWrite().catch(() => {});
        return {};
      case "both":
        client.disownConn(conn);
        sc.close();
        return {};
      case "abort":
        client.disownConn(conn);
        sc.abort(RST_ABORTED);
        return {};
      default:
        throw new InvalidArgumentError(`invalid how "${how}": use write, both or abort`, { detail: "bad_argument" });
    }
  }

  setOption(args: IpcArgs, client: IpcClientContext): IpcResult {
    const sc = this.#owned(client, intArg(args, "conn", 0, 0xffff_ffff));
    sc.setNoDelay(boolArg(args, "nodelay"));
    return {};
  }

  /** Any connection of the daemon (§8.3): RST reason 5. */
  connAbort(args: IpcArgs): IpcResult {
    const conn = intArg(args, "conn", 0, 0xffff_ffff);
    const sc = this.#d.plane.stack.get(conn);
    if (sc === undefined) throw connNotFound(conn);
    sc.abort(RST_ABORTED);
    return {};
  }

  /** The client left: FIN its connections after their queued data, unbind its stream ports. */
  async clientClosed(client: IpcClientContext): Promise<void> {
    for (const conn of client.conns) this.#d.plane.stack.get(conn)?.close();
    for (const p of client.ports) if (p.proto === "stream") await this.#release(p.port);
  }

  /** Unbinds every IPC stream port (shutdown). */
  async closeAll(): Promise<void> {
    await Promise.all([...this.#queues.keys()].map((port) => this.#release(port)));
  }

  async #release(port: number): Promise<void> {
    const queue = this.#queues.get(port);
    if (queue === undefined) return;
    this.#queues.delete(port);
    this.#d.ports.remove("stream", port);
    await queue.close();
  }

  #owned(client: IpcClientContext, conn: number): StreamConn {
    const sc = client.ownsConn(conn) ? this.#d.plane.stack.get(conn) : undefined;
    if (sc === undefined) throw connNotFound(conn);
    return sc;
  }

  /** Hands a connection to the client and starts pushing its bytes. */
  #adopt(client: IpcClientContext, sc: StreamConn): IpcResult {
    try {
      client.ownConn(sc.id);
    } catch (err) {
      sc.close();
      throw err;
    }
    pump(client, sc, this.#d.log).catch(() => {});
    const c = sc.conn;
    return {
      conn: sc.id,
      local_port: c.local.port,
      remote: formatAddr(c.remote.addr),
      remote_port: c.remote.port,
    };
  }
}

/** Received bytes → the client (within its credit), then `eof`, then `closed` with the reason. */
async function pump(client: IpcClientContext, sc: StreamConn, log: Logger): Promise<void> {
  const id = sc.id;
  const pushes = new PushPipeline(PUSH_PIPELINE_BYTES);
  try {
    for (;;) {
      const first = await sc.read();
      if (first === null) break;
      const chunk = sc.gather(first, PUSH_BATCH_BYTES);
      await pushes.add(client.pushStreamData(id, chunk), chunk.length);
    }
    await pushes.drain();
    await client.pushStreamEof(id);
    const reason = await sc.closed;
    if (!client.ownsConn(id)) return;
    const c = sc.conn;
    const error = closeError(reason, formatAddr(c.remote.addr), c.remote.port, false) ?? undefined;
    await client.pushStreamClosed(id, ipcCloseReason(reason), error);
  } catch (err) {
    if (!client.ownsConn(id)) {
      // The client dropped the connection (close both / abort) or left: stop reading.
      sc.shutdownRead();
      return;
    }
    const reason = sc.closeReason;
    if (reason === null) {
      log.debug("stream pump failed", { conn: id, error: toPilotError(err).message });
      sc.shutdownRead();
      return;
    }
    const c = sc.conn;
    const error = closeError(reason, formatAddr(c.remote.addr), c.remote.port, false) ?? undefined;
    await client.pushStreamClosed(id, ipcCloseReason(reason), error).catch(() => {});
  }
}

/** Pushes in flight to the client, bounded in bytes; the first failure is rethrown to the pump. */
class PushPipeline {
  readonly #maxBytes: number;
  readonly #pending = new Set<Promise<void>>();
  #bytes = 0;
  #failure: { readonly err: unknown } | null = null;

  constructor(maxBytes: number) {
    this.#maxBytes = maxBytes;
  }

  /** Tracks `push` of `bytes`; waits while more than the bound is in flight. */
  async add(push: Promise<void>, bytes: number): Promise<void> {
    this.#bytes += bytes;
    const settle = (err?: { readonly err: unknown }) => {
      this.#bytes -= bytes;
      this.#pending.delete(tracked);
      if (err !== undefined) this.#failure ??= err;
    };
    const tracked: Promise<void> = push.then(() => settle(), (err) => settle({ err }));
    this.#pending.add(tracked);
    while (this.#bytes > this.#maxBytes && this.#failure === null) await Promise.race(this.#pending);
    if (this.#failure !== null) throw this.#failure.err;
  }

  /** Waits for every push; rethrows the first failure. */
  async drain(): Promise<void> {
    await Promise.all(this.#pending);
    if (this.#failure !== null) throw this.#failure.err;
  }
}

/** `promise`, or a rejection once the IPC client leaves. */
function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(new ConnectionFailedError("ipc client closed", { detail: "ipc_closed" }));
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(new ConnectionFailedError("ipc client closed", { detail: "ipc_closed" }));
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}
