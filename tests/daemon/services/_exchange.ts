// Test support for the data exchange: a service over temp inbox/ and received/ dirs, with recorded webhook events,
// and helpers that open an in-memory connection to it.
import { DataExchangeService } from "../../../src/daemon/services/data_exchange_service.ts";
import { InboxStore } from "../../../src/daemon/services/mailbox_inbox.ts";
import { ReceivedStore } from "../../../src/daemon/services/mailbox_received.ts";
import type { ServicePeer } from "../../../src/daemon/services/service_stream.ts";
import { ManualClock } from "../../../src/util/clock.ts";
import { sha256 as sha256Of } from "../../../src/crypto/hash.ts";
import { type MemoryStream, type PipeOptions, streamPair } from "./_pipe.ts";

export const SELF_NODE = 261;
export const ALICE: ServicePeer = { node: 256, address: "0:0000.0000.0100", hostname: "alice" };
/** 2025-06-01T12:00:04.217Z */
export const START_MS = Date.UTC(2025, 5, 1, 12, 0, 4, 217);

export interface ExchangeEnv extends AsyncDisposable {
  readonly root: string;
  readonly inbox: InboxStore;
  readonly received: ReceivedStore;
  readonly service: DataExchangeService;
  readonly hooks: [string, Readonly<Record<string, unknown>>][];
  /** [client, server], with the service serving the server side; `served` settles when it is done. */
  connect(
    peer?: ServicePeer,
    options?: PipeOptions,
  ): { client: MemoryStream; server: MemoryStream; served: Promise<void> };
  /** Names in received/, dot files included. */
  receivedNames(): Promise<string[]>;
}

export async function exchangeEnv(options: {
  maxFileBytes?: number;
  quotaBytes?: number;
  members?: Record<number, number[]>;
} = {}): Promise<ExchangeEnv> {
  const root = await Deno.makeTempDir({ prefix: "pilot-dx-" });
  const inbox = new InboxStore(`${root}/inbox`, new ManualClock(START_MS));
  const received = new ReceivedStore(`${root}/received`, { quotaBytes: options.quotaBytes });
  const hooks: [string, Readonly<Record<string, unknown>>][] = [];
  const members = options.members ?? {};
  const service = new DataExchangeService({
    inbox,
    received,
    selfNode: SELF_NODE,
    isMember: (network, node) => Promise.resolve((members[network] ?? []).includes(node)),
    maxFileBytes: () => options.maxFileBytes ?? 100_000,
    webhooks: { emit: (event, data) => hooks.push([event, data]) },
    closeGraceMs: 2_000,
  });
  await service.start();
  const running: Promise<void>[] = [];
  return {
    root,
    inbox,
    received,
    service,
    hooks,
    connect(peer = ALICE, pipe = {}) {
      const [client, server] = streamPair(pipe);
      const served = service.serve(server, peer);
      running.push(served);
      return { client, server, served };
    },
    async receivedNames() {
      const names: string[] = [];
      try {
        for await (const e of Deno.readDir(`${root}/received`)) names.push(e.name);
      } catch (err) {
        if (!(err instanceof Deno.errors.NotFound)) throw err;
      }
      return names.sort();
    },
    async [Symbol.asyncDispose]() {
      await Promise.all(running);
      await Deno.remove(root, { recursive: true });
    },
  };
}

export function sha256(bytes: Uint8Array): Uint8Array {
  return sha256Of(bytes);
}

/** An async iterable over `bytes` in chunks of `size`. */
export async function* chunksOf(bytes: Uint8Array, size: number): AsyncIterable<Uint8Array> {
  for (let off = 0; off < bytes.length; off += size) yield bytes.subarray(off, off + size);
}
