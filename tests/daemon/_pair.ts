// Test support: two (or three) in-process nodes on one registry, with helpers to make them trust each other and to
// move bytes through IPC streams.
import type { Node } from "../../src/daemon/mod.ts";
import type { IpcClient, IpcStream } from "../../src/ipc/mod.ts";
import type { RegistryHandle } from "../../src/registry/mod.ts";
import { sha256 } from "../../src/crypto/mod.ts";
import { toHex } from "../../src/util/bytes.ts";
import {
  beaconText,
  eventually,
  ipc,
  type NodeOptions,
  registryText,
  startTestNode,
  startTestRegistry,
  tempRoot,
  testSettings,
} from "./_cluster.ts";

export interface Member {
  readonly name: string;
  node: Node;
  client: IpcClient;
}

export interface Cluster extends AsyncDisposable {
  readonly root: string;
  readonly registry: RegistryHandle;
  readonly members: Member[];
  /** Starts (or restarts) `name` with the same home. */
  start(name: string, options?: NodeOptions): Promise<Member>;
  stop(member: Member): Promise<void>;
}

export async function cluster(names: string[], options: NodeOptions = {}): Promise<Cluster> {
  const root = await tempRoot();
  const registry = await startTestRegistry();
  const members: Member[] = [];
  const start = async (name: string, opts: NodeOptions = options): Promise<Member> => {
    const settings = await testSettings(root.dir, name, registryText(registry), beaconText(registry), opts);
    const node = await startTestNode(settings);
    const client = await ipc(node);
    const existing = members.find((m) => m.name === name);
    if (existing !== undefined) {
      existing.node = node;
      existing.client = client;
      return existing;
    }
    const m = { name, node, client };
    members.push(m);
    return m;
  };
  const stop = async (m: Member) => {
    await m.client.close();
    await m.node.close();
  };
  for (const name of names) await start(name);
  return {
    root: root.dir,
    registry,
    members,
    start,
    stop,
    async [Symbol.asyncDispose]() {
      for (const m of members) await stop(m).catch(() => {});
      await registry.close();
      await root[Symbol.asyncDispose]();
    },
  };
}

/** a asks, b approves; resolves once both sides list each other as trusted. */
export async function makeTrust(a: Member, b: Member): Promise<void> {
  await a.client.request("trust_request", { node: b.node.address, justification: "test" });
  await eventually(async () =>
    (await b.client.request("trust_pending")).incoming.some((r) => r.node_id === a.node.nodeId)
  );
  await b.client.request("trust_approve", { node: a.node.address });
  await eventually(async () => (await a.client.request("trust_list")).trusted.some((r) => r.node_id === b.node.nodeId));
}

export async function readAll(stream: IpcStream): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of stream.readable) {
    parts.push(chunk);
    total += chunk.length;
  }
  const out = new Uint8Array(total);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

export async function writeAll(stream: IpcStream, data: Uint8Array, chunk = 256 * 1024): Promise<void> {
  const writer = stream.writable.getWriter();
  for (let off = 0; off < data.length; off += chunk) await writer.write(data.subarray(off, off + chunk));
  await writer.close();
}

export function digest(bytes: Uint8Array): string {
  return toHex(sha256(bytes));
}

export function randomData(n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let off = 0; off < n; off += 65_536) crypto.getRandomValues(out.subarray(off, Math.min(n, off + 65_536)));
  return out;
}
