// NAT laboratory for the NAT-traversal tests (PROTOCOL-BRIEF §5: beacon, punch, relay, keepalives): five network
// namespaces wired with veth pairs and a bridge, routers doing NAT with iptables. Root only. The address plan and rule
// sets are in netns_plan.ts; every name carries a per-run random prefix and close() removes all of it.
//
//                          public (198.18.0.1, bridge: registry + beacon)
//                         /                                     \
//            routerA WAN 198.18.0.10                      routerB WAN 198.18.0.20
//            routerA LAN 198.18.1.1                       routerB LAN 198.18.2.1
//                        |                                       |
//              hostA 198.18.1.2                        hostB 198.18.2.2

import { LabProcess } from "./netns_process.ts";
import {
  checkWanAddress,
  directBlockRuleset,
  HOST_ROUTER,
  INITIAL_WAN_ADDR,
  type LabNames,
  labNames,
  type LabNode,
  type LabRouter,
  LAN,
  type NatKind,
  OTHER_ROUTER,
  PUBLIC_ADDR,
  PUBLIC_NET,
  PUBLIC_PREFIX_LEN,
  REBIND_FIRST_HOST,
  REBIND_LAST_HOST,
  routerRuleset,
  sumTaggedPackets,
} from "./netns_plan.ts";
import {
  type CommandResult,
  deleteNamespace,
  listNamespaces,
  newLabPrefix,
  runChecked,
  runCommand,
  type RunOptions,
  sweepStaleLabs,
} from "./netns_shell.ts";

export type { LabHost, LabNode, LabRouter, NatKind } from "./netns_plan.ts";
export { LabProcess, type LineMatch } from "./netns_process.ts";
export { listNamespaces, sweepStaleLabs } from "./netns_shell.ts";

export interface NatLabOptions {
  readonly natA: NatKind;
  readonly natB: NatKind;
  /** Drop all UDP between site A and site B (WAN addresses and LANs) so only the relay path through public works. */
  readonly blockDirectUdp?: boolean;
}

export interface ExecOptions {
  readonly env?: Record<string, string>;
  readonly cwd?: string;
  /** Name used in error messages (default: node name and program). */
  readonly label?: string;
}

const ROUTERS: readonly LabRouter[] = ["routerA", "routerB"];
const NODES: readonly LabNode[] = ["public", "routerA", "routerB", "hostA", "hostB"];

export class NatLab implements AsyncDisposable {
  /** The run's random prefix (`pl-xxxxxx`) carried by every namespace and interface name. */
  readonly prefix: string;
  readonly options: Readonly<Required<NatLabOptions>>;
  readonly #names: LabNames;
  readonly #wanAddr: Record<LabRouter, string> = { ...INITIAL_WAN_ADDR };
  readonly #namespaces: string[] = [];
  readonly #processes = new Set<LabProcess>();
  #blocked: boolean;
  #closed = false;

  private constructor(options: NatLabOptions, prefix: string) {
    this.prefix = prefix;
    this.options = { blockDirectUdp: false, ...options };
    this.#names = labNames(prefix);
    this.#blocked = this.options.blockDirectUdp;
  }

  /**
   * Builds the topology; on any failure removes what was already created and rethrows. First sweeps namespaces that
   * runs killed before their teardown left behind (only ones older than SWEEP_MIN_AGE_MS).
   */
  static async create(options: NatLabOptions): Promise<NatLab> {
    await sweepStaleLabs();
    const lab = new NatLab(options, newLabPrefix());
    try {
      await lab.#build();
    } catch (buildError) {
      try {
        await lab.close();
      } catch (closeError) {
        throw new AggregateError([buildError, closeError], "create nat lab: build and teardown both failed");
      }
      throw buildError;
    }
    return lab;
  }

  /** The namespace name of a node, for `ip netns exec` outside this class. */
  nsName(node: LabNode): string {
    return this.#names.ns[node];
  }

  /** Name of the routers' WAN interface (the same in both router namespaces). */
  get wanInterface(): string {
    return this.#names.wan;
  }

  /** The node's address as seen from the public segment's side: a router's current WAN address, a host's LAN one. */
  addr(node: LabNode): string {
    switch (node) {
      case "public":
        return PUBLIC_ADDR;
      case "routerA":
      case "routerB":
        return this.#wanAddr[node];
      case "hostA":
      case "hostB":
        return LAN[HOST_ROUTER[node]].hostAddr;
    }
  }

  natKind(router: LabRouter): NatKind {
    return router === "routerA" ? this.options.natA : this.options.natB;
  }

  /** Starts a long-running process inside the node's namespace; close() stops it if the test did not. */
  exec(node: LabNode, argv: readonly string[], options: ExecOptions = {}): LabProcess {
    this.#assertOpen("exec");
    if (argv.length === 0) throw new Error(`exec in ${node}: empty argv`);
    const child = new Deno.Command("ip", {
      args: ["netns", "exec", this.nsName(node), ...argv],
      env: options.env,
      cwd: options.cwd,
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const proc = new LabProcess(child, options.label ?? `${node}:${argv[0]}`);
    this.#processes.add(proc);
    return proc;
  }

  /** Runs a short command inside the node's namespace to completion (bounded by LAB_COMMAND_TIMEOUT_MS). */
  run(node: LabNode, argv: readonly string[], options: RunOptions = {}): Promise<CommandResult> {
    this.#assertOpen("run");
    return runCommand(["ip", "netns", "exec", this.nsName(node), ...argv], options);
  }

  /** Turns the site-to-site UDP block on or off (see NatLabOptions.blockDirectUdp). */
  async setDirectUdpBlocked(blocked: boolean): Promise<void> {
    this.#assertOpen("block direct udp");
    this.#blocked = blocked;
    await this.#applyDirectBlock();
  }

  /**
   * Moves a router to a new WAN address (NAT rebinding: every mapping changes its public ip). Picks a free address
   * on the public segment when none is given; returns the new address.
   */
  async setWanAddress(router: LabRouter, addr?: string): Promise<string> {
    this.#assertOpen("set wan address");
    const taken = [PUBLIC_ADDR, ...Object.values(this.#wanAddr)];
    const next = addr ?? this.#freeWanAddress(taken);
    checkWanAddress(next, taken);
    const old = this.#wanAddr[router];
    const wan = this.#names.wan;
    // Removing the only address on the segment also drops the routes through it; #installRoutes puts them back.
    await this.#ip(router, "addr", "del", `${old}/${PUBLIC_PREFIX_LEN}`, "dev", wan);
    await this.#ip(router, "addr", "add", `${next}/${PUBLIC_PREFIX_LEN}`, "dev", wan);
    this.#wanAddr[router] = next;
    await this.#installRoutes();
    await this.flushConntrack(router);
    await this.#applyDirectBlock();
    return next;
  }

  /** Forgets every NAT mapping of the router (a reboot or a mapping timeout): flows get new mappings. */
  async flushConntrack(router: LabRouter): Promise<void> {
    this.#assertOpen("flush conntrack");
    await runChecked(["ip", "netns", "exec", this.nsName(router), "conntrack", "-F"]);
  }

  /** Packets the router dropped as unsolicited inbound UDP so far (INPUT and FORWARD). */
  async unsolicitedDrops(router: LabRouter): Promise<number> {
    this.#assertOpen("count drops");
    let total = 0;
    for (const chain of ["INPUT", "FORWARD"]) {
      const listing = await runChecked(
        ["ip", "netns", "exec", this.nsName(router), "iptables", "-L", chain, "-v", "-x", "-n"],
      );
      total += sumTaggedPackets(listing);
    }
    return total;
  }

  /**
   * Stops every process started with exec(), then deletes the namespaces (which removes their veths, bridge and
   * rules). Idempotent; throws if something of this run is left behind.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const errors: unknown[] = [];
    const stops = await Promise.allSettled([...this.#processes].map((p) => p.close()));
    for (const s of stops) if (s.status === "rejected") errors.push(s.reason);
    this.#processes.clear();
    for (const name of this.#namespaces) {
      try {
        await deleteNamespace(name);
      } catch (e) {
        errors.push(e);
      }
    }
    const left = await listNamespaces(`${this.prefix}-`);
    if (left.length > 0) errors.push(new Error(`tear down nat lab ${this.prefix}: left ${left.join(", ")}`));
    if (errors.length > 0) throw new AggregateError(errors, `tear down nat lab ${this.prefix}`);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  #assertOpen(action: string): void {
    if (this.#closed) throw new Error(`${action} in nat lab ${this.prefix}: lab is closed`);
  }

  #freeWanAddress(taken: readonly string[]): string {
    for (let host = REBIND_FIRST_HOST; host <= REBIND_LAST_HOST; host++) {
      const candidate = `${PUBLIC_NET}.${host}`;
      if (!taken.includes(candidate)) return candidate;
    }
    throw new Error(`set wan address in nat lab ${this.prefix}: no free address`);
  }

  #ip(node: LabNode, ...args: string[]): Promise<string> {
    return runChecked(["ip", "-n", this.nsName(node), ...args]);
  }

  // Writes /proc/sys values from inside the namespace (sysctl is not guaranteed to be installed).
  #sysctl(node: LabNode, pairs: readonly [string, string][]): Promise<string> {
    const script = 'while [ $# -ge 2 ]; do printf "%s\\n" "$2" > "/proc/sys/$1" || exit 1; shift 2; done';
    return runChecked(["ip", "netns", "exec", this.nsName(node), "sh", "-c", script, "sh", ...pairs.flat()]);
  }

  async #build(): Promise<void> {
    for (const node of NODES) {
      await runChecked(["ip", "netns", "add", this.nsName(node)]);
      this.#namespaces.push(this.nsName(node));
    }
    await Promise.all(NODES.map(async (node) => {
      const router = node === "routerA" || node === "routerB";
      await this.#sysctl(node, [
        ["net/ipv4/ip_forward", router ? "1" : "0"],
        // Namespaces inherit the host's rp_filter; the lab's routes are symmetric, so a strict value only adds risk.
        ["net/ipv4/conf/all/rp_filter", "0"],
        ["net/ipv4/conf/default/rp_filter", "0"],
      ]);
      await this.#ip(node, "link", "set", "lo", "up");
    }));
    const { bridge } = this.#names;
    await this.#ip("public", "link", "add", bridge, "type", "bridge");
    await this.#ip("public", "addr", "add", `${PUBLIC_ADDR}/${PUBLIC_PREFIX_LEN}`, "dev", bridge);
    await this.#ip("public", "link", "set", bridge, "up");
    await Promise.all(ROUTERS.map((router) => this.#buildSite(router)));
    await this.#installRoutes();
    for (const router of ROUTERS) {
      await runChecked(["ip", "netns", "exec", this.nsName(router), "iptables-restore"], {
        stdin: routerRuleset(this.natKind(router), this.#names.wan),
      });
    }
    await this.#applyDirectBlock();
  }

  async #buildSite(router: LabRouter): Promise<void> {
    const { wan, lan, hostEth, bridge } = this.#names;
    const port = this.#names.bridgePort[router];
    const host = router === "routerA" ? "hostA" : "hostB";
    const plan = LAN[router];
    // Both veth ends are created directly in lab namespaces: nothing ever appears in the root namespace.
    await this.#ip(router, "link", "add", wan, "type", "veth", "peer", "name", port, "netns", this.nsName("public"));
    await this.#ip("public", "link", "set", port, "master", bridge);
    await this.#ip("public", "link", "set", port, "up");
    await this.#ip(router, "addr", "add", `${this.#wanAddr[router]}/${PUBLIC_PREFIX_LEN}`, "dev", wan);
    await this.#ip(router, "link", "set", wan, "up");
    await this.#ip(host, "link", "add", hostEth, "type", "veth", "peer", "name", lan, "netns", this.nsName(router));
    await this.#ip(router, "addr", "add", `${plan.routerAddr}/${plan.prefixLen}`, "dev", lan);
    await this.#ip(router, "link", "set", lan, "up");
    await this.#ip(host, "addr", "add", `${plan.hostAddr}/${plan.prefixLen}`, "dev", hostEth);
    await this.#ip(host, "link", "set", hostEth, "up");
    await this.#ip(host, "route", "add", "default", "via", plan.routerAddr);
  }

  // A LAN behind "none" is public address space: the public namespace and the other router route to it. LANs behind
  // a NAT stay unrouted, like private space on the internet. Routers get no default route, so nothing can leave.
  async #installRoutes(): Promise<void> {
    for (const router of ROUTERS) {
      if (this.natKind(router) !== "none") continue;
      const via = this.#wanAddr[router];
      await this.#ip("public", "route", "replace", LAN[router].subnet, "via", via);
      await this.#ip(OTHER_ROUTER[router], "route", "replace", LAN[router].subnet, "via", via);
    }
  }

  async #applyDirectBlock(): Promise<void> {
    for (const router of ROUTERS) {
      const peer = OTHER_ROUTER[router];
      await runChecked(["ip", "netns", "exec", this.nsName(router), "iptables-restore", "--noflush"], {
        stdin: directBlockRuleset(this.#blocked, this.#wanAddr[peer], LAN[peer].subnet),
      });
    }
  }
}
