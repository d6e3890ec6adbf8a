// Test support for the SDK's integration tests: a real registry and in-process daemons (tests/daemon/_cluster.ts),
// each with an SDK client connected to its IPC socket, and a helper that makes two of them trust each other through
// the SDK's own handshake / pending / approve.
import type { Node } from "../../src/daemon/mod.ts";
import type { RegistryHandle } from "../../src/registry/mod.ts";
import { connect, type PilotClient } from "../../mod.ts";
import {
  beaconText,
  eventually,
  registryText,
  startTestNode,
  startTestRegistry,
  tempRoot,
  testSettings,
} from "../daemon/_cluster.ts";

export interface Agent {
  readonly name: string;
  readonly node: Node;
  readonly sdk: PilotClient;
}

export interface SdkCluster extends AsyncDisposable {
  readonly root: string;
  readonly registry: RegistryHandle;
  readonly agents: Agent[];
}

/** A registry and one daemon per name (hostname = name), each with an SDK client. */
export async function sdkCluster(names: readonly string[]): Promise<SdkCluster> {
  const root = await tempRoot();
  const registry = await startTestRegistry();
  const agents: Agent[] = [];
  const dispose = async () => {
    for (const a of agents) {
      await a.sdk.close().catch(() => {});
      await a.node.close().catch(() => {});
    }
    await registry.close();
    await root[Symbol.asyncDispose]();
  };
  try {
    for (const name of names) {
      const settings = await testSettings(root.dir, name, registryText(registry), beaconText(registry), {
        hostname: name,
      });
      const node = await startTestNode(settings);
      const sdk = await connect({ socket: node.socketPath, env: new Map([["HOME", root.dir]]) });
      agents.push({ name, node, sdk });
    }
  } catch (err) {
    await dispose();
    throw err;
  }
  return { root: root.dir, registry, agents, [Symbol.asyncDispose]: dispose };
}

/**
 * `a` asks, `b` sees the request in pending() and approves; resolves once `a` lists `b` as trusted and the registry
 * lets `a` resolve `b`'s hostname (it shows private nodes only to trusted peers, once it has recorded the trust).
 */
export async function trustEachOther(a: PilotClient, b: PilotClient): Promise<void> {
  await a.handshake(b.address, "sdk test");
  await eventually(async () => (await b.pending()).incoming.some((r) => r.nodeId === a.nodeId));
  await b.approve(a.nodeId);
  await eventually(async () => (await a.trust()).some((p) => p.nodeId === b.nodeId));
  const hostname = (await b.info()).hostname;
  if (hostname !== "") await eventually(() => a.resolve(hostname).then(() => true, () => false));
}

export const text = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);
export const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

/** Writes `data`, half-closes, and reads the reply to EOF. */
export async function roundTrip(
  conn: { readable: ReadableStream<Uint8Array>; writable: WritableStream<Uint8Array> },
  data: Uint8Array,
): Promise<Uint8Array> {
  const writer = conn.writable.getWriter();
  await writer.write(data);
  await writer.close();
  const parts: Uint8Array[] = [];
  for await (const chunk of conn.readable) parts.push(chunk);
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}
