// Test-side handles for the programs in _udp_tools.ts running inside a NatLab: start them, wait until they are
// ready, ask the reflector for the observed endpoint, send and burst, and wait for datagrams by sender and text.

import type { LabNode, LabProcess, NatLab } from "../_support/netns.ts";

const TOOLS_PATH = new URL("./_udp_tools.ts", import.meta.url).pathname;
/** Deno start-up inside a namespace plus socket bind. */
export const TOOL_READY_TIMEOUT_MS = 10_000;
/** One reflector round trip on the lab's zero-latency links; a retry covers a lost first datagram. */
const DISCOVER_WAIT_MS = 500;
const DISCOVER_TRIES = 4;
/** Reflector ports in the public namespace: several, so one socket can be seen by distinct destinations. */
export const REFLECTOR_PORTS: readonly number[] = [3478, 3479, 3480];

function denoArgv(args: readonly string[]): string[] {
  return [Deno.execPath(), "run", "-A", "--unstable-net", "--no-config", TOOLS_PATH, ...args];
}

function escapeRe(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

export class Reflector {
  readonly endpoints: readonly string[];
  readonly process: LabProcess;

  private constructor(process: LabProcess, endpoints: readonly string[]) {
    this.process = process;
    this.endpoints = endpoints;
  }

  static async start(lab: NatLab, node: LabNode = "public"): Promise<Reflector> {
    const ip = lab.addr(node);
    const ports = REFLECTOR_PORTS.map(String);
    const process = lab.exec(node, denoArgv(["reflector", ip, ...ports]), { label: `${node}:reflector` });
    await process.waitForLine(/^ready /, TOOL_READY_TIMEOUT_MS);
    return new Reflector(process, REFLECTOR_PORTS.map((p) => `${ip}:${p}`));
  }
}

export class UdpAgent {
  readonly node: LabNode;
  /** The socket's own ip:port inside its namespace. */
  readonly local: string;
  readonly process: LabProcess;

  private constructor(node: LabNode, process: LabProcess, local: string) {
    this.node = node;
    this.process = process;
    this.local = local;
  }

  static async start(lab: NatLab, node: LabNode): Promise<UdpAgent> {
    const process = lab.exec(node, denoArgv(["agent", lab.addr(node)]), { label: `${node}:agent` });
    const ready = await process.waitForLine(/^ready /, TOOL_READY_TIMEOUT_MS);
    return new UdpAgent(node, process, ready.slice("ready ".length));
  }

  /** The ip:port the reflector endpoint observed for this socket (after the NAT, if any). */
  async discover(reflector: string): Promise<string> {
    const seen = new RegExp(`^recv ${escapeRe(reflector)} seen (\\S+)$`);
    for (let attempt = 0; attempt < DISCOVER_TRIES; attempt++) {
      const mark = this.process.lines.length;
      await this.send(reflector, "whoami");
      const line = await this.process.lineWithin(seen, DISCOVER_WAIT_MS, mark);
      if (line !== undefined) return seen.exec(line)![1];
    }
    throw new Error(`discover via ${reflector} from ${this.node}: no answer after ${DISCOVER_TRIES} tries`);
  }

  send(to: string, text: string): Promise<void> {
    return this.process.writeLine(`send ${to} ${text}`);
  }

  /** Sends `count` datagrams `intervalMs` apart; resolves once the command is handed to the agent. */
  burst(to: string, text: string, count: number, intervalMs: number): Promise<void> {
    return this.process.writeLine(`burst ${to} ${text} ${count} ${intervalMs}`);
  }

  /** Waits until the agent has sent all datagrams of its bursts to `to`. */
  async burstDone(to: string, timeoutMs: number): Promise<void> {
    await this.process.waitForLine(new RegExp(`^sent \\d+ ${escapeRe(to)}$`), timeoutMs);
  }

  /** The first datagram with this text (from `from`, or from anyone when undefined), or undefined after timeoutMs. */
  received(text: string, from: string | undefined, timeoutMs: number): Promise<string | undefined> {
    const sender = from === undefined ? "\\S+" : escapeRe(from);
    return this.process.lineWithin(new RegExp(`^recv ${sender} ${escapeRe(text)}$`), timeoutMs);
  }
}
