// createNode(): a whole node inside the calling process, for agents that want no daemon (docs/SDK.md). It is the
// daemon's own composition root (startNode, node_start.ts) with its IPC socket in a private temp dir that only this
// PilotNode connects to, so it offers exactly the PilotClient interface, plus the node's identity and lifetime;
// ping() sends its control ping (PROTOCOL-BRIEF §7.10) straight through the node's own data plane.
import type { Node } from "../daemon/mod.ts";
import type { IpcClient } from "../ipc/mod.ts";
import { InvalidArgumentError, NotTrustedError } from "../util/errors.ts";
import { NETWORK_BACKBONE } from "../wire/mod.ts";
import { PilotClient } from "./client.ts";
import { sdkError } from "./errors.ts";
import { PING_TIMEOUT_MS } from "./services.ts";
import type { CreateNodeOptions, PingOptions, PingResult } from "./types.ts";

/** An in-process node: the PilotClient interface plus the node's own identity and lifetime. */
export class PilotNode extends PilotClient {
  /** The state directory (identity, trust, inbox, received files). */
  readonly home: string;
  /** The private IPC socket; other processes of this user may connect({ socket }) to it. */
  readonly socketPath: string;
  readonly #node: Node;
  readonly #tempDirs: readonly string[];
  #closing: Promise<void> | null = null;

  /** @internal use createNode() */
  constructor(ipc: IpcClient, node: Node, tempDirs: readonly string[]) {
    super(ipc);
    this.#node = node;
    this.#tempDirs = tempDirs;
    this.home = node.parts.settings.home;
    this.socketPath = node.socketPath;
  }

  override get address(): string {
    return this.#node.address;
  }

  override get nodeId(): number {
    return this.#node.nodeId;
  }

  /** The tunnel's bound UDP address. */
  get listenAddr(): { readonly hostname: string; readonly port: number } {
    const a = this.#node.listenAddr;
    return { hostname: a.hostname, port: a.port };
  }

  /** A control ping straight through the node's data plane (no IPC hop); `method: "echo"` as PilotClient. */
  override async ping(target: string, options: PingOptions = {}): Promise<PingResult> {
    if (options.method === "echo") return await super.ping(target, options);
    const timeoutMs = options.timeoutMs ?? PING_TIMEOUT_MS;
    const peer = await this.resolve(target);
    const { dialer, plane, trust } = this.#node.parts;
    // Fail fast: finding a path to a peer that would drop the ping anyway is wasted time.
    if (peer.nodeId !== this.nodeId && !trust.isTrusted(peer.nodeId)) throw new NotTrustedError(peer.address);
    try {
      const started = performance.now();
      await dialer.ensurePath(peer.nodeId, timeoutMs);
      const left = Math.max(1, Math.round(timeoutMs - (performance.now() - started)));
      const r = await plane.ping.ping({ network: NETWORK_BACKBONE, node: peer.nodeId }, new Uint8Array(0), left);
      return { rttMs: r.rttMs, method: "control" };
    } catch (err) {
      throw sdkError(err, peer.address);
    }
  }

  /** Closes the IPC connection, stops the node (FIN to peers, deregister: offline) and removes its temp dirs. */
  override close(): Promise<void> {
    this.#closing ??= this.#shutdown();
    return this.#closing;
  }

  async #shutdown(): Promise<void> {
    await super.close().catch(() => {});
    await this.#node.close();
    for (const dir of this.#tempDirs) await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

/**
 * Starts a node in this process: loads or creates its identity, registers with `registry` (retrying until it
 * answers, or until `signal` aborts) and runs the tunnel and the built-in services. close() stops it.
 */
export async function createNode(options: CreateNodeOptions): Promise<PilotNode> {
  if (typeof options?.registry !== "string" || options.registry === "") {
    throw new InvalidArgumentError("createNode needs a registry address (host:port)");
  }
  const { startInProcessNode } = await import("./node_start.ts");
  const started = await startInProcessNode(options);
  return new PilotNode(started.ipc, started.node, started.tempDirs);
}
