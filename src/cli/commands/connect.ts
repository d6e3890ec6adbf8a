// `pilotctl connect <target> [port=1000] [--message <m>] [--timeout 30s]` (CLI.md §3.6): with `--message`, one
// exchange in message mode (as `send`); without, a raw pipe — stdin to the stream, the stream to stdout — until both
// sides close, where `--timeout` bounds only resolve and dial. Nothing prompts: a terminal on stdin is refused.
import { parsePort } from "../../config/mod.ts";
import { InvalidArgumentError } from "../../util/errors.ts";
import { type DaemonSession, parseTarget, peerError, type ResolvedTarget, withDaemon } from "../daemon_client.ts";
import type { CommandContext, CommandResult, CommandSpec } from "../spec.ts";
import { positiveTimeoutMs, STDIO_PORT, timeoutFlag } from "./options.ts";
import { dialTarget, exchangeMessage, exchangeResult } from "./send.ts";

function pipeRefusal(): InvalidArgumentError {
  return new InvalidArgumentError("pipe data in or pass --message", { hint: "pilotctl connect --help" });
}

async function pipe(ctx: CommandContext, session: DaemonSession, target: ResolvedTarget, port: number): Promise<void> {
  const stream = await dialTarget(session, target, port);
  // From here on nothing is bounded: the pipe lasts until both sides close.
  session.deadline[Symbol.dispose]();
  try {
    const upstream = ctx.io.stdin.readable.pipeTo(stream.writable);
    const downstream = (async () => {
      for await (const chunk of stream.readable) await ctx.io.stdout.write(chunk);
    })();
    await Promise.all([upstream, downstream]);
  } catch (err) {
    throw peerError(err, target.address, session.deadline);
  } finally {
    await stream.close("both").catch(() => {});
  }
}

export async function runConnect(ctx: CommandContext): Promise<CommandResult> {
  const port = parsePort(ctx.args.require("port"));
  const timeoutMs = positiveTimeoutMs(ctx);
  const message = ctx.flags.string("message");
  if (message === undefined && (ctx.json || ctx.io.stdin.isTerminal())) throw pipeRefusal();
  const given = parseTarget(ctx.args.require("target"));
  return await withDaemon(ctx, async (session) => {
    const target = await session.resolveTarget(given);
    if (message === undefined) {
      await pipe(ctx, session, target, port);
      return { data: {}, silent: true };
    }
    const exchange = await exchangeMessage(session, target, port, new TextEncoder().encode(message));
    return await exchangeResult(ctx, target, port, exchange);
  }, timeoutMs);
}

export const connectCommand: CommandSpec = {
  name: "connect",
  summary: "Open a stream to a port: one message, or a raw pipe",
  description: "With --message: sends it, prints the reply and closes. Without: a raw pipe (stdin to the stream, " +
    "the stream to stdout) until both sides close; there --timeout bounds only resolve and dial.",
  args: [
    { name: "target", description: "Address, node ID or hostname", required: true },
    { name: "port", description: "Pilot port (1-65535)", required: false, default: String(STDIO_PORT) },
  ],
  flags: [
    { name: "message", type: "string", valueName: "m", description: "Send this, print the reply, close" },
    timeoutFlag("30s"),
  ],
  returns: ["target", "port", "sent", "response", "encoding"],
  needsDaemon: true,
  run: runConnect,
};
