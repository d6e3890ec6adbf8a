// `pilotctl recv <port> [--count 1] [--timeout 30s] [--reply <text>]` (CLI.md §3.6): binds a stream port; each
// accepted connection read to end of stream is one message, answered with `--reply` and closed. Stops after
// `--count` messages or at the timeout (`timeout: true` when fewer came; none at all is `timeout`).
import { TimeoutError, toPilotError } from "../../util/errors.ts";
import { type DaemonSession, RETRY_TIMEOUT_HINT, withDaemon } from "../daemon_client.ts";
import type { CommandContext, CommandResult, CommandSpec } from "../spec.ts";
import { countFlag, parseBindPort, portBoundError, positiveCount, positiveTimeoutMs, timeoutFlag } from "./options.ts";
import { ByteReader, payloadText } from "./stream_io.ts";

export interface ReceivedMessage {
  readonly seq: number;
  readonly src_addr: string;
  readonly src_port: number;
  readonly data: string;
  readonly encoding: "utf8" | "base64";
  readonly bytes: number;
}

/** Binds `port` for `proto`; a port in use is `port N is already bound`. */
export async function bindPort(session: DaemonSession, port: number, proto: "stream" | "datagram"): Promise<void> {
  try {
    await session.request("bind", { port, proto });
  } catch (err) {
    throw toPilotError(err).code === "already_exists" ? portBoundError(port) : err;
  }
}

/** `<src_addr>:<src_port> <data>` */
export function messageLine(m: { src_addr: string; src_port: number; data: string }): string {
  return `${m.src_addr}:${m.src_port} ${m.data}`;
}

/** A sender that reset its connection mid-message is skipped; the deadline ends the wait. */
type Received = ReceivedMessage | "skipped" | "stopped";

async function receiveOne(
  session: DaemonSession,
  port: number,
  seq: number,
  reply: Uint8Array | null,
): Promise<Received> {
  const deadline = session.deadline;
  const stream = await session.client.acceptStream(port, {
    timeoutMs: deadline.remainingMs(),
    signal: deadline.signal,
  });
  try {
    let bytes: Uint8Array;
    try {
      using reader = new ByteReader(stream.readable, deadline.signal);
      const read = await reader.readToEnd();
      if (!read.complete) return "stopped";
      bytes = read.bytes;
      if (reply !== null) {
        const writer = stream.writable.getWriter();
        await writer.write(reply);
        await writer.close();
      }
    } catch {
      return deadline.expired ? "stopped" : "skipped";
    }
    const { text, encoding } = payloadText(bytes);
    return {
      seq,
      src_addr: stream.info?.remote ?? "",
      src_port: stream.info?.remote_port ?? 0,
      data: text,
      encoding,
      bytes: bytes.length,
    };
  } finally {
    await stream.close("both").catch(() => {});
  }
}

export async function runRecv(ctx: CommandContext): Promise<CommandResult> {
  const port = parseBindPort(ctx.args.require("port"));
  const count = positiveCount(ctx);
  const timeoutMs = positiveTimeoutMs(ctx);
  const replyText = ctx.flags.string("reply");
  const reply = replyText === undefined ? null : new TextEncoder().encode(replyText);
  return await withDaemon(ctx, async (session) => {
    await bindPort(session, port, "stream");
    const messages: ReceivedMessage[] = [];
    while (messages.length < count && !session.deadline.expired) {
      let message: Received;
      try {
        message = await receiveOne(session, port, messages.length + 1, reply);
      } catch (err) {
        if (session.deadline.expired || toPilotError(err).code === "timeout") break;
        throw err;
      }
      if (message === "stopped") break;
      if (message === "skipped") continue;
      messages.push(message);
      await session.print(messageLine(message));
    }
    if (messages.length === 0) {
      throw new TimeoutError(`no message on port ${port}${session.deadline.describe()}`, { hint: RETRY_TIMEOUT_HINT });
    }
    return {
      data: { port, messages, total: messages.length, timeout: messages.length < count },
      human: "",
    };
  }, timeoutMs);
}

export const recvCommand: CommandSpec = {
  name: "recv",
  summary: "Receive messages on a stream port",
  description: "Binds a stream port. Each accepted connection, read to end of stream, is one message; --reply is " +
    "then written back and the connection closed. Returns after --count messages.",
  args: [{ name: "port", description: "Pilot port (not 7, 444, 1001, 1002, 1003)", required: true }],
  flags: [
    countFlag(1, "Messages to receive"),
    timeoutFlag("30s"),
    { name: "reply", type: "string", valueName: "text", description: "Written back to each sender" },
  ],
  returns: ["port", "messages", "total", "timeout"],
  needsDaemon: true,
  run: runRecv,
};
