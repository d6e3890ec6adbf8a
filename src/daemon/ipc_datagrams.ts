// IPC datagrams (PROTOCOL-BRIEF §7.10, §8.2, §8.3): bind/unbind of datagram ports, `sendto` (DATAGRAM frames from
// the client; local port 0 = the client's one ephemeral port, bound on first use and reused) and delivery to the
// binder within its `recvfrom` credit. A send to `N:NNNN.FFFF.FFFF` (N ≠ 0, we a member) goes as one unicast copy
// per trusted member of the network (MemberCache: `network_members`, cached 30 s, ≤ 1024).
import type { IpcClientContext, IpcDatagram, IpcResult } from "../ipc/mod.ts";
import type { DatagramSocket, ReceivedDatagram } from "../transport/mod.ts";
import { InvalidArgumentError, NotFoundError, NotTrustedError } from "../util/errors.ts";
import { formatAddr, NETWORK_BACKBONE, NODE_BROADCAST } from "../wire/mod.ts";
import type { DataPlane } from "./data_plane.ts";
import type { DropRegistry } from "./drops.ts";
import type { MemberCache } from "./members.ts";
import type { NodeState } from "./node_state.ts";
import type { PortTable } from "./port_table.ts";

export interface IpcDatagramDeps {
  readonly plane: DataPlane;
  readonly state: NodeState;
  readonly ports: PortTable;
  readonly isTrusted: (node: number) => boolean;
  readonly members: MemberCache;
  readonly drops: DropRegistry;
  /** §9.5 `data.datagram`. */
  readonly webhook?: (event: string, data: Record<string, unknown>) => void;
}

export class IpcDatagrams {
  readonly #d: IpcDatagramDeps;
  readonly #sockets = new Map<number, DatagramSocket>();
  /** IPC client id → its ephemeral send port. */
  readonly #ephemeral = new Map<number, number>();

  constructor(deps: IpcDatagramDeps) {
    this.#d = deps;
  }

  bind(client: IpcClientContext, port: number): IpcResult {
    if (port !== 0) this.#d.ports.checkBindable(port);
    return { port: this.#bind(client, port) };
  }

  unbind(client: IpcClientContext, port: number): IpcResult {
    if (!client.ownsPort("datagram", port)) throw new NotFoundError(`port ${port} is not bound`, { detail: "port" });
    client.disownPort("datagram", port);
    this.#release(port);
    return { port };
  }

  /** One DATAGRAM frame from the client. */
  async sendto(client: IpcClientContext, dg: IpcDatagram): Promise<void> {
    const d = this.#d;
    const localPort = dg.localPort === 0 ? this.#ephemeralOf(client) : dg.localPort;
    const socket = this.#sockets.get(localPort);
    if (socket === undefined) throw new NotFoundError(`port ${localPort} is not bound`, { detail: "port" });
    const remote = dg.remote;
    if (remote.node === NODE_BROADCAST) {
      await this.#broadcast(socket, remote.network, dg.remotePort, dg.data);
      return;
    }
    if (remote.network !== NETWORK_BACKBONE && !d.state.isMember(remote.network)) {
      throw new InvalidArgumentError(`cannot send to ${formatAddr(remote)}: not a member of network ${remote.network}`);
    }
    socket.sendTo(remote, dg.remotePort, dg.data);
  }

  /** The client left: unbind its datagram ports (its ephemeral one included). */
  clientClosed(client: IpcClientContext): void {
    for (const p of client.ports) if (p.proto === "datagram") this.#release(p.port);
    const eph = this.#ephemeral.get(client.id);
    if (eph !== undefined) this.#release(eph);
    this.#ephemeral.delete(client.id);
  }

  closeAll(): void {
    for (const port of [...this.#sockets.keys()]) this.#release(port);
    this.#ephemeral.clear();
  }

  #bind(client: IpcClientContext, port: number): number {
    const d = this.#d;
    const socket = d.plane.datagrams.bind(port, (r) => this.#deliver(client, r));
    try {
      client.ownPort("datagram", socket.port);
    } catch (err) {
      socket.close();
      throw err;
    }
    this.#sockets.set(socket.port, socket);
    d.ports.add("datagram", socket.port);
    return socket.port;
  }

  #ephemeralOf(client: IpcClientContext): number {
    const known = this.#ephemeral.get(client.id);
    if (known !== undefined && this.#sockets.has(known)) return known;
    const port = this.#bind(client, 0);
    this.#ephemeral.set(client.id, port);
    return port;
  }

  #deliver(client: IpcClientContext, r: ReceivedDatagram): void {
    const ok = client.pushDatagram({
      localPort: r.dstPort,
      remote: r.src,
      remotePort: r.srcPort,
      data: r.payload.slice(),
    });
    if (!ok) this.#d.drops.add("ipc_dgram_overflow");
    this.#d.webhook?.("data.datagram", {
      src_addr: formatAddr(r.src),
      src_port: r.srcPort,
      dst_port: r.dstPort,
      size: r.payload.length,
    });
  }

  #release(port: number): void {
    const socket = this.#sockets.get(port);
    if (socket === undefined) return;
    this.#sockets.delete(port);
    this.#d.ports.remove("datagram", port);
    socket.close();
  }

  async #broadcast(socket: DatagramSocket, network: number, port: number, data: Uint8Array): Promise<void> {
    const d = this.#d;
    if (network === NETWORK_BACKBONE) {
      throw new InvalidArgumentError("cannot broadcast on the backbone", { detail: "backbone_broadcast" });
    }
    if (!d.state.isMember(network)) {
      throw new InvalidArgumentError(`cannot broadcast on network ${network}: not a member`);
    }
    const dst = { network, node: NODE_BROADCAST };
    for (const node of await d.members.nodes(network)) {
      if (node === d.state.nodeId || !d.isTrusted(node)) continue;
      try {
        socket.sendTo(dst, port, data, { network, node });
      } catch (err) {
        if (!(err instanceof NotTrustedError)) throw err;
      }
    }
  }
}
