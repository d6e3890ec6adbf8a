// `pilotctl send-message <target> --data <text> [--type text|json|binary]` (CLI.md §3.6, PROTOCOL-BRIEF §9.2):
// delivers one message (≤ 1 MiB) to the target's inbox over port 1001 and waits for its ACK. `--data -` reads stdin;
// `--data-file <path>` replaces `--data`. Also home of what send-file and broadcast share: a data exchange session
// over an IPC stream, and the receiver's ACK errors as CLI errors.
import type { Ack } from "../../daemon/services/data_exchange_codec.ts";
import { FrameType, MAX_MESSAGE_BYTES } from "../../daemon/services/data_exchange_codec.ts";
import { DataExchangeSender } from "../../daemon/services/data_exchange_client.ts";
import { webServiceStream } from "../../daemon/services/service_stream.ts";
import { decodeUtf8Strict } from "../../util/bytes.ts";
import {
  ConnectionFailedError,
  InternalError,
  InvalidArgumentError,
  NotFoundError,
  type PilotError,
  UsageError,
} from "../../util/errors.ts";
import { type DaemonSession, parseTarget, peerError, type ResolvedTarget, withDaemon } from "../daemon_client.ts";
import type { CommandContext, CommandResult, CommandSpec } from "../spec.ts";
import { positiveTimeoutMs, timeoutFlag } from "./options.ts";
import { dialTarget, messageData } from "./send.ts";

/** The data exchange service (PROTOCOL-BRIEF §9.2). */
export const DATA_EXCHANGE_PORT = 1001;
export const SEND_FILE_HINT = "use pilotctl send-file";

const MESSAGE_TYPES = { text: FrameType.TEXT, json: FrameType.JSON, binary: FrameType.BINARY } as const;
export type MessageType = keyof typeof MESSAGE_TYPES;

export function parseMessageType(text: string): MessageType {
  if (!Object.hasOwn(MESSAGE_TYPES, text)) {
    throw new InvalidArgumentError(`invalid message type "${text}" (use text, json or binary)`);
  }
  return text as MessageType;
}

/**
 * Opens a port-1001 stream to `target`, runs `fn` with a sender over it, then half-closes. Failures are §2's
 * standard rows (no trust, refused, no response within --timeout).
 */
export async function withExchange<T>(
  session: DaemonSession,
  target: ResolvedTarget,
  fn: (sender: DataExchangeSender) => Promise<T>,
  dial: () => ReturnType<typeof dialTarget> = () => dialTarget(session, target, DATA_EXCHANGE_PORT),
): Promise<T> {
  const stream = await dial();
  try {
    const sender = new DataExchangeSender(webServiceStream(stream.readable, stream.writable), target.address);
    const result = await fn(sender);
    // The answer is in: a receiver that already closed (after refusing a file) must not turn it into a reset.
    await sender.finish().catch(() => {});
    return result;
  } catch (err) {
    throw peerError(err, target.address, session.deadline);
  } finally {
    await stream.close("both").catch(() => {});
  }
}

/** A receiver's error ACK as the CLI error it stands for. */
export function ackError(ack: Ack, address: string): PilotError {
  const why = ack.message ?? ack.code ?? "refused";
  switch (ack.code) {
    case "too_large":
      return new InvalidArgumentError(why, {
        detail: "too_large",
        hint: ack.type === "file" ? "" : SEND_FILE_HINT,
      });
    case "quota_exceeded":
    case "invalid_payload":
    case "unsupported_type":
    case "not_member":
    case "bad_frame":
      return new InvalidArgumentError(`${address} refused the ${ack.type}: ${why}`, { detail: ack.code });
    case "checksum_mismatch":
      return new ConnectionFailedError(`${ack.type} corrupted on the way to ${address}: ${why}`, {
        detail: ack.code,
        hint: "send it again",
      });
    default:
      return new InternalError(`${address} could not store the ${ack.type}: ${why}`, { detail: ack.code });
  }
}

/** Reads `--data-file`: a missing file is `no such file: <path>`. */
export async function readDataFile(path: string, maxBytes: number): Promise<Uint8Array> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) throw new NotFoundError(`no such file: ${path}`, { detail: "file" });
    throw err;
  }
  if (info.isDirectory) throw new InvalidArgumentError(`${path} is a directory`);
  if (info.size > maxBytes) throw tooLarge(info.size);
  return await Deno.readFile(path);
}

function tooLarge(bytes: number): InvalidArgumentError {
  return new InvalidArgumentError(`message too large (${bytes} bytes, max ${MAX_MESSAGE_BYTES})`, {
    hint: SEND_FILE_HINT,
    detail: "too_large",
  });
}

/** The payload from exactly one of `--data` and `--data-file`, checked against its type. */
async function messagePayload(ctx: CommandContext, type: MessageType): Promise<Uint8Array> {
  const hasData = ctx.flags.has("data");
  const dataFile = ctx.flags.string("data-file");
  if (hasData === (dataFile !== undefined)) {
    throw new UsageError("give exactly one of --data and --data-file", ctx.spec.name);
  }
  const payload = dataFile !== undefined
    ? await readDataFile(dataFile, MAX_MESSAGE_BYTES)
    : await messageData(ctx, "data");
  if (payload.length > MAX_MESSAGE_BYTES) throw tooLarge(payload.length);
  if (type === "binary") return payload;
  const text = decodeUtf8Strict(payload);
  if (text === null) throw new InvalidArgumentError(`--type ${type} needs UTF-8 data (use --type binary)`);
  if (type === "json") {
    try {
      JSON.parse(text);
    } catch (err) {
      throw new InvalidArgumentError(`invalid JSON: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  return payload;
}

export async function runSendMessage(ctx: CommandContext): Promise<CommandResult> {
  const type = parseMessageType(ctx.flags.string("type") ?? "text");
  const given = parseTarget(ctx.args.require("target"));
  const payload = await messagePayload(ctx, type);
  const timeoutMs = positiveTimeoutMs(ctx);
  return await withDaemon(ctx, async (session) => {
    const target = await session.resolveTarget(given);
    const ack = await withExchange(session, target, (s) => s.sendMessage(MESSAGE_TYPES[type], payload));
    if (ack.status !== "ok") throw ackError(ack, target.address);
    const data = {
      target: target.address,
      type,
      bytes: payload.length,
      message_id: ack.message_id ?? null,
      ack: true,
    };
    return { data, human: `Message sent to ${target.address} (${payload.length} bytes, ${type}), acknowledged` };
  }, timeoutMs);
}

export const sendMessageCommand: CommandSpec = {
  name: "send-message",
  summary: "Deliver a message to a node's inbox",
  description: "Delivers one message (at most 1 MiB; type text by default) to the target's inbox over port 1001 " +
    "and waits for its acknowledgement. --data - reads stdin; --data-file <path> replaces --data.",
  args: [{ name: "target", description: "Address, node ID or hostname", required: true }],
  flags: [
    { name: "data", type: "string", valueName: "text", description: "The message; - reads stdin" },
    { name: "data-file", type: "string", valueName: "path", description: "Read the message from a file" },
    { name: "type", type: "string", valueName: "text|json|binary", default: "text", description: "Message type" },
    timeoutFlag("30s"),
  ],
  returns: ["target", "type", "bytes", "message_id", "ack"],
  needsDaemon: true,
  run: runSendMessage,
};
