// `pilotctl broadcast <network> <message>` (CLI.md §3.6, PROTOCOL-BRIEF §9.2): sends the message as one BROADCAST
// frame over a port-1001 stream to each member (at most 1024, from `network_members`) that is online and trusts
// you. ACKed frames count as delivered; every other member is skipped. Your own node is not a recipient.
import { MAX_MESSAGE_BYTES } from "../../daemon/services/data_exchange_codec.ts";
import type { IpcJson, IpcStream } from "../../ipc/mod.ts";
import { InvalidArgumentError } from "../../util/errors.ts";
import { formatAddr, NETWORK_BACKBONE } from "../../wire/mod.ts";
import { type DaemonSession, type ResolvedTarget, withDaemon } from "../daemon_client.ts";
import type { CommandContext, CommandResult, CommandSpec } from "../spec.ts";
import { BACKBONE, parseNetworkRef, resolveNetwork } from "./network_common.ts";
import { MEMBERS_MAX_PAGES, MEMBERS_PAGE_LIMIT } from "./network_members.ts";
import { positiveTimeoutMs, timeoutFlag } from "./options.ts";
import { DATA_EXCHANGE_PORT, withExchange } from "./send_message.ts";

/** At most this many recipients per broadcast. */
export const BROADCAST_MAX_RECIPIENTS = 1024;
/** Members served at once. */
export const BROADCAST_CONCURRENCY = 16;
/** One unreachable member must not use up the whole --timeout. */
export const BROADCAST_DIAL_TIMEOUT_MS = 10_000;
/** network_id u16 before the text. */
const BROADCAST_PREFIX_BYTES = 2;

interface Member {
  readonly nodeId: number;
  readonly online: boolean;
}

/** Every member of the network (all pages), as far as the list goes. */
async function listMembers(session: DaemonSession, networkId: number): Promise<Member[]> {
  const members: Member[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < MEMBERS_MAX_PAGES; page++) {
    const args = cursor === undefined
      ? { network_id: networkId, limit: MEMBERS_PAGE_LIMIT }
      : { network_id: networkId, limit: MEMBERS_PAGE_LIMIT, cursor };
    const result = await session.request("network_members", args);
    for (const m of (result.members ?? []) as IpcJson[]) {
      if (typeof m.node_id === "number") members.push({ nodeId: m.node_id, online: m.online === true });
    }
    cursor = result.next_cursor;
    if (cursor === undefined) break;
  }
  return members;
}

/** True when the member's daemon acknowledged the frame. */
async function deliver(session: DaemonSession, networkId: number, nodeId: number, text: string): Promise<boolean> {
  const addr = { network: NETWORK_BACKBONE, node: nodeId };
  const target: ResolvedTarget = { addr, address: formatAddr(addr), nodeId, hostname: null };
  const dial = (): Promise<IpcStream> => {
    const remaining = session.deadline.remainingMs() ?? BROADCAST_DIAL_TIMEOUT_MS;
    return session.client.dialStream(
      { addr: target.address, port: DATA_EXCHANGE_PORT, timeout_ms: Math.min(remaining, BROADCAST_DIAL_TIMEOUT_MS) },
      { signal: session.deadline.signal },
    );
  };
  try {
    const ack = await withExchange(session, target, (s) => s.sendBroadcast(networkId, text), dial);
    return ack.status === "ok";
  } catch {
    // unreachable, untrusted or refusing: skipped
    return false;
  }
}

export async function runBroadcast(ctx: CommandContext): Promise<CommandResult> {
  const ref = parseNetworkRef(ctx.args.require("network"));
  if (ref.id === BACKBONE) throw new InvalidArgumentError("cannot broadcast on the backbone");
  const text = ctx.args.require("message");
  if (text === "") throw new InvalidArgumentError("nothing to broadcast: the message is empty");
  const bytes = new TextEncoder().encode(text).length;
  if (bytes > MAX_MESSAGE_BYTES - BROADCAST_PREFIX_BYTES) {
    throw new InvalidArgumentError(
      `message too large (${bytes} bytes, max ${MAX_MESSAGE_BYTES - BROADCAST_PREFIX_BYTES})`,
      { detail: "too_large" },
    );
  }
  const timeoutMs = positiveTimeoutMs(ctx);
  return await withDaemon(ctx, async (session) => {
    const { id } = await resolveNetwork(session, ref);
    if (id === BACKBONE) throw new InvalidArgumentError("cannot broadcast on the backbone");
    const others = (await listMembers(session, id))
      .filter((m) => m.nodeId !== session.self.nodeId)
      .slice(0, BROADCAST_MAX_RECIPIENTS);
    const queue = others.filter((m) => m.online);
    let delivered = 0;
    const worker = async () => {
      for (let m = queue.shift(); m !== undefined; m = queue.shift()) {
        if (await deliver(session, id, m.nodeId, text)) delivered++;
      }
    };
    await Promise.all(Array.from({ length: Math.min(BROADCAST_CONCURRENCY, queue.length) }, worker));
    const skipped = others.length - delivered;
    return {
      data: { network_id: id, members: others.length, delivered, skipped },
      human: `Broadcast to network ${id}: ${delivered} delivered, ${skipped} skipped`,
    };
  }, timeoutMs);
}

export const broadcastCommand: CommandSpec = {
  name: "broadcast",
  summary: "Send a message to every member of a network",
  description: "Opens a port-1001 stream to each member (at most 1024) that is online and has mutual trust with " +
    "you, and delivers the message to its inbox as one BROADCAST frame. ACKed frames count as delivered; every " +
    "other member is skipped. Not on the backbone (0).",
  args: [
    { name: "network", description: "Network id or name", required: true },
    { name: "message", description: "The text to send", required: true },
  ],
  flags: [timeoutFlag("60s")],
  returns: ["network_id", "members", "delivered", "skipped"],
  needsDaemon: true,
  run: runBroadcast,
};
