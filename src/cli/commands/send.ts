// `pilotctl send <target> <port> --data <text> [--timeout 30s]` (CLI.md §3.6, message mode of PROTOCOL-BRIEF §9.1):
// opens a stream, writes the data, half-closes and reads the reply until the peer closes. A `--timeout` that comes
// first keeps what has arrived; with nothing at all it is `timeout`. `connect --message` shares the exchange.
import { parsePort } from "../../config/mod.ts";
import type { IpcStream } from "../../ipc/mod.ts";
import { InvalidArgumentError, UsageError } from "../../util/errors.ts";
import {
  type DaemonSession,
  noResponseError,
  parseTarget,
  peerError,
  type ResolvedTarget,
  withDaemon,
} from "../daemon_client.ts";
import type { CommandContext, CommandResult, CommandSpec } from "../spec.ts";
import { positiveTimeoutMs, timeoutFlag } from "./options.ts";
import { ByteReader, payloadText, readAllInput } from "./stream_io.ts";

/** Opens a stream to `target:port` within the session's deadline; failures are §2's standard rows. */
export async function dialTarget(session: DaemonSession, target: ResolvedTarget, port: number): Promise<IpcStream> {
  const deadline = session.deadline;
  try {
    const remaining = deadline.remainingMs();
    const args = remaining === undefined
      ? { addr: target.address, port }
      : { addr: target.address, port, timeout_ms: remaining };
    return await session.client.dialStream(args, { signal: deadline.signal });
  } catch (err) {
    throw peerError(err, target.address, deadline, port);
  }
}

export interface Exchange {
  readonly sent: number;
  readonly response: Uint8Array;
}

/** Message mode: write, half-close, read to end of stream (or to the deadline, keeping what came). */
export async function exchangeMessage(
  session: DaemonSession,
  target: ResolvedTarget,
  port: number,
  data: Uint8Array,
): Promise<Exchange> {
  const stream = await dialTarget(session, target, port);
  try {
    const writer = stream.writable.getWriter();
    await writer.write(data);
    await writer.close();
    using reader = new ByteReader(stream.readable, session.deadline.signal);
    const { bytes, complete } = await reader.readToEnd();
    if (!complete && bytes.length === 0) throw noResponseError(target.address, session.deadline);
    return { sent: data.length, response: bytes };
  } catch (err) {
    throw peerError(err, target.address, session.deadline);
  } finally {
    await stream.close("both").catch(() => {});
  }
}

/** The reply as `data` fields and what human mode prints (the reply itself, raw when it is not text). */
export async function exchangeResult(
  ctx: CommandContext,
  target: ResolvedTarget,
  port: number,
  exchange: Exchange,
): Promise<CommandResult> {
  const { text, encoding } = payloadText(exchange.response);
  const data = { target: target.address, port, sent: exchange.sent, response: text, encoding };
  if (!ctx.json && encoding === "base64") {
    await ctx.io.stdout.write(exchange.response);
    return { data, silent: true };
  }
  return { data, human: text.endsWith("\n") ? text.slice(0, -1) : text };
}

/** `--data <text>`, or stdin for `--data -`. */
export async function messageData(ctx: CommandContext, flag: string): Promise<Uint8Array> {
  const text = ctx.flags.string(flag);
  if (text === undefined) throw new UsageError(`missing --${flag}`, ctx.spec.name);
  const bytes = text === "-"
    ? await readAllInput(ctx.io.stdin, () => new InvalidArgumentError(`pipe data in or pass --${flag} <text>`))
    : new TextEncoder().encode(text);
  return bytes;
}

export async function runSend(ctx: CommandContext): Promise<CommandResult> {
  const port = parsePort(ctx.args.require("port"));
  const timeoutMs = positiveTimeoutMs(ctx);
  const data = await messageData(ctx, "data");
  if (data.length === 0) throw new InvalidArgumentError("nothing to send: --data is empty");
  const given = parseTarget(ctx.args.require("target"));
  return await withDaemon(ctx, async (session) => {
    const target = await session.resolveTarget(given);
    return await exchangeResult(ctx, target, port, await exchangeMessage(session, target, port, data));
  }, timeoutMs);
}

export const sendCommand: CommandSpec = {
  name: "send",
  summary: "Send data to a port and print the reply",
  description: "Opens a stream, writes the data (--data - reads stdin), half-closes and reads the reply until the " +
    "peer closes. If the timeout comes first, what has arrived is the reply; nothing at all is a timeout.",
  args: [
    { name: "target", description: "Address, node ID or hostname", required: true },
    { name: "port", description: "Pilot port (1-65535)", required: true },
  ],
  flags: [
    { name: "data", type: "string", valueName: "text", description: "Data to send; - reads stdin" },
    timeoutFlag("30s"),
  ],
  returns: ["target", "port", "sent", "response", "encoding"],
  needsDaemon: true,
  run: runSend,
};
