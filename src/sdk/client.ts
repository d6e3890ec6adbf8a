// PilotClient, the SDK's one interface to a node (docs/SDK.md): every method is a PROTOCOL-BRIEF §8.3 command, or a
// stream to a built-in service (§9), over one IPC connection. connect() finds the local daemon's socket the way the
// CLI does (CLI.md §1.6: PILOT_SOCKET > config `socket` > /tmp/pilot.sock); createNode() (node.ts) gives the same
// interface over an in-process node.
import denoJson from "../../deno.json" with { type: "json" };
import { pilotPaths, resolveConfig } from "../config/mod.ts";
import { ipcAddress, IpcClient, type IpcJson, type TrustStatusResult } from "../ipc/mod.ts";
import { InvalidArgumentError, type PilotError } from "../util/errors.ts";
import { PilotConn, PilotListener } from "./conn.ts";
import { DatagramPort, sendDatagramVia } from "./datagrams.ts";
import { sdkError } from "./errors.ts";
import {
  checkPatterns,
  checkTopic,
  DATA_EXCHANGE_PORT,
  ECHO_PORT,
  echoRoundTrip,
  EVENT_STREAM_PORT,
  exchangeMessage,
  exchangePublish,
  messagePayload,
  PING_TIMEOUT_MS,
  Subscription,
} from "./services.ts";
import { resolveNode, resolveTarget, type Target } from "./target.ts";
import type {
  ConnectOptions,
  DialOptions,
  HandshakeResult,
  ListenOptions,
  MessageAck,
  NodeInfo,
  PendingRequests,
  PingOptions,
  PingResult,
  ResolvedNode,
  SendMessageOptions,
  TrustedPeer,
  TrustResult,
} from "./types.ts";

/** What a daemon answers to a command it does not have (an older daemon asked for `ping`). */
const UNKNOWN_COMMAND_DETAIL = "unknown_cmd";
/** `client` of `hello` unless the caller names itself. */
export const SDK_CLIENT_NAME = "sdk";
/** `version` of `hello`: the pilotctl release the SDK belongs to. */
export const SDK_VERSION: string = denoJson.version;

function trustResult(r: TrustStatusResult): TrustResult {
  return { nodeId: r.node_id, status: r.status as TrustResult["status"], queued: r.queued === true };
}

function str(row: IpcJson, key: string): string {
  return typeof row[key] === "string" ? row[key] as string : "";
}

function optStr(row: IpcJson, key: string): string | null {
  return typeof row[key] === "string" && row[key] !== "" ? row[key] as string : null;
}

export class PilotClient implements AsyncDisposable {
  /** The typed IPC client, for the §8.3 commands the SDK does not wrap (`network_join`, `set_tags`, …). */
  readonly ipc: IpcClient;

  /** @internal use connect() or createNode() */
  constructor(ipc: IpcClient) {
    this.ipc = ipc;
  }

  /** This node's backbone address, `0:0000.0000.0101`. */
  get address(): string {
    return this.ipc.helloResult?.address ?? "";
  }

  get nodeId(): number {
    return this.ipc.helloResult?.node_id ?? 0;
  }

  /** Resolves with the reason once the IPC connection has ended (close(), or the daemon went away). */
  get closed(): Promise<PilotError> {
    return this.ipc.closed;
  }

  /** The daemon's `info` record (§8.3), field names as on the wire. */
  async info(): Promise<NodeInfo> {
    return await this.#call(() => this.ipc.request("info"));
  }

  /** An address, decimal node id or hostname as the node it names. */
  async resolve(target: string): Promise<ResolvedNode> {
    return await this.#call(() => resolveNode(this.ipc, target));
  }

  /** Opens a stream to `port` of `target` (trust required, except for port 444). */
  async dial(target: string, port: number, options: DialOptions = {}): Promise<PilotConn> {
    const t = await this.#target(target);
    try {
      const stream = await this.ipc.dialStream({
        addr: t.address,
        port,
        ...(options.timeoutMs === undefined ? {} : { timeout_ms: options.timeoutMs }),
        ...(options.nodelay === undefined ? {} : { nodelay: options.nodelay }),
      }, { signal: options.signal });
      return new PilotConn(stream);
    } catch (err) {
      throw sdkError(err, t.address);
    }
  }

  /** Binds stream `port` (0: an ephemeral one, see `.port`); iterate the listener for connections. */
  async listen(port: number, options: ListenOptions = {}): Promise<PilotListener> {
    const args = options.backlog === undefined
      ? { port, proto: "stream" as const }
      : { port, proto: "stream" as const, backlog: options.backlog };
    const bound = await this.#call(() => this.ipc.request("bind", args));
    return new PilotListener(this.ipc, bound.port);
  }

  /** One datagram from this client's ephemeral port; to `N:NNNN.FFFF.FFFF` a broadcast on network N. */
  async sendDatagram(target: string, port: number, data: Uint8Array): Promise<void> {
    await sendDatagramVia(this.ipc, target, port, data);
  }

  /** Binds datagram `port` (0: an ephemeral one); iterate it for datagrams, or send() from it. */
  async datagrams(port: number): Promise<DatagramPort> {
    const bound = await this.#call(() => this.ipc.request("bind", { port, proto: "datagram" }));
    return new DatagramPort(this.ipc, bound.port);
  }

  /**
   * One round trip to `target`: a control ping by default, or with `method: "echo"` (or a daemon that has no `ping`
   * command) a probe through the peer's echo service on port 7; the dial is not counted.
   */
  async ping(target: string, options: PingOptions = {}): Promise<PingResult> {
    const timeoutMs = options.timeoutMs ?? PING_TIMEOUT_MS;
    const t = await this.#target(target);
    if (options.method !== "echo") {
      try {
        const r = await this.ipc.call("ping", { addr: t.address, timeout_ms: timeoutMs });
        return { rttMs: Number(r.rtt_ms), method: "control" };
      } catch (err) {
        const e = sdkError(err, t.address);
        if (e.code !== "invalid_argument" || e.detail !== UNKNOWN_COMMAND_DETAIL) throw e;
      }
    }
    const conn = await this.dial(t.address, ECHO_PORT, { timeoutMs, nodelay: true });
    return { rttMs: await echoRoundTrip(conn, timeoutMs), method: "echo" };
  }

  /** Asks `target` for mutual trust (§6); `status` is `sent`, or `trusted` when it had asked us too. */
  async handshake(target: string, justification = ""): Promise<HandshakeResult> {
    const t = await this.#target(target);
    if (t.addr.node === this.nodeId) throw new InvalidArgumentError("cannot handshake with yourself");
    const r = await this.#call(() => this.ipc.request("trust_request", { node: t.address, justification }));
    return { nodeId: r.node_id, address: t.address, status: r.status as HandshakeResult["status"] };
  }

  /** Approves a pending request from `node` (address or node id). */
  async approve(node: string | number): Promise<TrustResult> {
    const t = await this.#target(String(node));
    const r = await this.#call(() => this.ipc.request("trust_approve", { node: t.address }));
    return trustResult(r);
  }

  async reject(node: string | number, reason?: string): Promise<TrustResult> {
    const t = await this.#target(String(node));
    const args = reason === undefined ? { node: t.address } : { node: t.address, reason };
    const r = await this.#call(() => this.ipc.request("trust_reject", args));
    return trustResult(r);
  }

  /** Ends trust with `node`; its connections are reset. */
  async revoke(node: string | number, reason?: string): Promise<TrustResult> {
    const t = await this.#target(String(node));
    const args = reason === undefined ? { node: t.address } : { node: t.address, reason };
    const r = await this.#call(() => this.ipc.request("trust_revoke", args));
    return trustResult(r);
  }

  /** The peers trusted now. */
  async trust(): Promise<TrustedPeer[]> {
    const r = await this.#call(() => this.ipc.request("trust_list"));
    return r.trusted.map((row) => ({
      nodeId: Number(row.node_id),
      address: str(row, "address"),
      hostname: str(row, "hostname"),
      origin: str(row, "origin"),
      approvedAt: optStr(row, "approved_at"),
    }));
  }

  /** Trust requests waiting: incoming ones to approve or reject, and ours not yet answered. */
  async pending(): Promise<PendingRequests> {
    const r = await this.#call(() => this.ipc.request("trust_pending"));
    return {
      incoming: r.incoming.map((row) => ({
        nodeId: Number(row.node_id),
        address: str(row, "address"),
        hostname: str(row, "hostname"),
        justification: str(row, "justification"),
        receivedAt: optStr(row, "received_at"),
      })),
      outgoing: r.outgoing.map((row) => ({
        nodeId: Number(row.node_id),
        address: str(row, "address"),
        hostname: str(row, "hostname"),
        sentAt: optStr(row, "sent_at"),
      })),
    };
  }

  /** Delivers one message (≤ 1 MiB) to `target`'s inbox (port 1001); resolves once the receiver stored it. */
  async sendMessage(target: string, data: string | Uint8Array, options: SendMessageOptions = {}): Promise<MessageAck> {
    const [type, payload] = messagePayload(data, options.type);
    return await exchangeMessage(await this.dial(target, DATA_EXCHANGE_PORT), type, payload);
  }

  /** Publishes one event on `target`'s broker (port 1002; your own address for your own broker). */
  async publish(target: string, topic: string, data: string | Uint8Array = new Uint8Array(0)): Promise<number> {
    const payload = typeof data === "string" ? new TextEncoder().encode(data) : data;
    checkTopic(topic, payload);
    return await exchangePublish(await this.dial(target, EVENT_STREAM_PORT), topic, payload);
  }

  /** Subscribes to `target`'s broker; `*` matches one segment, a final `**` one or more, `*` alone everything. */
  async subscribe(target: string, patterns: string | readonly string[]): Promise<Subscription> {
    const list = typeof patterns === "string" ? [patterns] : [...patterns];
    checkPatterns(list);
    return await Subscription.open(await this.dial(target, EVENT_STREAM_PORT), list);
  }

  /** Closes the IPC connection; the daemon closes what it left open (connections get FIN, ports are unbound). */
  async close(): Promise<void> {
    await this.ipc.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  async #target(text: string): Promise<Target> {
    return await this.#call(() => resolveTarget(this.ipc, text));
  }

  async #call<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw sdkError(err);
    }
  }
}

/** Connects to the local daemon (see ConnectOptions for how the socket is found). */
export async function connect(options: ConnectOptions = {}): Promise<PilotClient> {
  const env = options.env ?? Deno.env;
  const config = await resolveConfig({ env, flags: options.socket === undefined ? {} : { socket: options.socket } });
  const address = ipcAddress(config.values.socket, pilotPaths(config.home).ipcToken);
  try {
    const ipc = await IpcClient.connect(address, {
      client: options.clientName ?? SDK_CLIENT_NAME,
      version: SDK_VERSION,
      ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    });
    return new PilotClient(ipc);
  } catch (err) {
    throw sdkError(err);
  }
}
