// The running node's own facts, shared by the parts the composition root wires: identity (replaced by rotate_key),
// node id and addresses, what the registry knows of us (hostname, visibility, tags, networks and their names),
// start-up warnings and a small cache of peer hostnames for `info` and the trust lists.
import type { Identity } from "../crypto/mod.ts";
import { type Addr, formatAddr, NETWORK_BACKBONE } from "../wire/mod.ts";

const BACKBONE_NAME = "backbone";
/** Network names remembered beyond our memberships (a list answer names them all); the oldest goes first. */
const NETWORK_NAMES_MAX = 1024;

/** Peer hostnames remembered for display; the oldest entry goes beyond this. */
const HOSTNAME_CACHE_MAX = 4096;

export class NodeState {
  readonly nodeId: number;
  readonly startedAtMs: number;
  #identity: Identity;
  #hostname: string;
  #email: string;
  #public: boolean | null;
  #tags: string[] | null = null;
  #registered = true;
  readonly #networks = new Set<number>([NETWORK_BACKBONE]);
  /** Names of networks we are a member of, as the registry last told us (create, join, list). */
  readonly #networkNames = new Map<number, string>([[NETWORK_BACKBONE, BACKBONE_NAME]]);
  readonly #warnings: string[] = [];
  readonly #peerHostnames = new Map<number, string>();

  constructor(init: {
    nodeId: number;
    identity: Identity;
    startedAtMs: number;
    hostname: string;
    email: string;
    public: boolean | null;
    networks: readonly number[];
  }) {
    this.nodeId = init.nodeId;
    this.startedAtMs = init.startedAtMs;
    this.#identity = init.identity;
    this.#hostname = init.hostname;
    this.#email = init.email;
    this.#public = init.public;
    this.setNetworks(init.networks);
  }

  get identity(): Identity {
    return this.#identity;
  }

  setIdentity(identity: Identity): void {
    this.#identity = identity;
  }

  /** Our backbone address. */
  get address(): string {
    return formatAddr(this.addr(NETWORK_BACKBONE));
  }

  addr(network: number): Addr {
    return { network, node: this.nodeId };
  }

  get hostname(): string {
    return this.#hostname;
  }

  setHostname(hostname: string): void {
    this.#hostname = hostname;
  }

  get email(): string {
    return this.#email;
  }

  get public(): boolean | null {
    return this.#public;
  }

  setPublic(value: boolean): void {
    this.#public = value;
  }

  get tags(): readonly string[] | null {
    return this.#tags;
  }

  setTags(tags: readonly string[]): void {
    this.#tags = [...tags];
  }

  /** False after `deregister` until `register`. */
  get registered(): boolean {
    return this.#registered;
  }

  setRegistered(value: boolean): void {
    this.#registered = value;
  }

  isMember(network: number): boolean {
    return this.#networks.has(network);
  }

  networks(): number[] {
    return [...this.#networks].sort((a, b) => a - b);
  }

  /** The registry's list; the backbone is always included. */
  setNetworks(ids: readonly number[]): void {
    this.#networks.clear();
    this.#networks.add(NETWORK_BACKBONE);
    for (const id of ids) if (Number.isInteger(id) && id >= 0 && id < 0xffff) this.#networks.add(id);
  }

  joinNetwork(id: number): void {
    this.#networks.add(id);
  }

  leaveNetwork(id: number): void {
    if (id !== NETWORK_BACKBONE) this.#networks.delete(id);
  }

  /** The network's name, or null while we have not learnt it. */
  networkName(id: number): string | null {
    return this.#networkNames.get(id) ?? null;
  }

  setNetworkName(id: number, name: string): void {
    if (id === NETWORK_BACKBONE || name === "") return;
    this.#networkNames.delete(id);
    this.#networkNames.set(id, name);
    if (this.#networkNames.size > NETWORK_NAMES_MAX) {
      for (const key of this.#networkNames.keys()) {
        if (key === NETWORK_BACKBONE || this.#networks.has(key)) continue;
        this.#networkNames.delete(key);
        break;
      }
    }
  }

  /** `{"<net>": "<address>"}` for `info.addresses`. */
  addresses(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const id of this.networks()) out[String(id)] = formatAddr(this.addr(id));
    return out;
  }

  get warnings(): readonly string[] {
    return this.#warnings;
  }

  addWarning(text: string): void {
    if (!this.#warnings.includes(text)) this.#warnings.push(text);
  }

  peerHostname(node: number): string {
    if (node === this.nodeId) return this.#hostname;
    return this.#peerHostnames.get(node) ?? "";
  }

  rememberHostname(node: number, hostname: string | undefined): void {
    if (hostname === undefined || hostname === "") return;
    this.#peerHostnames.delete(node);
    this.#peerHostnames.set(node, hostname);
    if (this.#peerHostnames.size > HOSTNAME_CACHE_MAX) {
      const oldest = this.#peerHostnames.keys().next().value;
      if (oldest !== undefined) this.#peerHostnames.delete(oldest);
    }
  }
}
