// `pilotctl subscribe <target> <topic> [--count 0] [--timeout 0]` (CLI.md §3.6, §1.3 streaming; PROTOCOL-BRIEF
// §9.3): subscribes to the target's event broker on port 1002 and prints each event as `[<topic>] <data>`.
// Unbounded (`--count 0`) with --json it writes NDJSON; a signal or the timeout ends it with exit 0.
import { EventStreamClient } from "../../daemon/services/event_stream_client.ts";
import type { EventFrame } from "../../daemon/services/event_stream_codec.ts";
import { isValidPattern } from "../../daemon/services/event_stream_topics.ts";
import { webServiceStream } from "../../daemon/services/service_stream.ts";
import { ConnectionFailedError, InvalidArgumentError, TimeoutError } from "../../util/errors.ts";
import { formatAddr } from "../../wire/mod.ts";
import { type DaemonSession, parseTarget, peerError, RETRY_TIMEOUT_HINT, withDaemon } from "../daemon_client.ts";
import { rfc3339 } from "../format.ts";
import type { CommandContext, CommandResult, CommandSpec } from "../spec.ts";
import { countFlag, optionalTimeoutMs, timeoutFlag } from "./options.ts";
import { dialTarget } from "./send.ts";
import { payloadText } from "./stream_io.ts";

/** The event broker (PROTOCOL-BRIEF §9.3). */
export const EVENT_STREAM_PORT = 1002;
export const TOPIC_HINT = "topics are segments of a-z, 0-9, - and _ joined by dots; in a pattern * matches one " +
  "segment, a final ** one or more, and * alone everything";

export interface SubscribeEvent {
  readonly topic: string;
  readonly data: string;
  readonly encoding: "utf8" | "base64";
  readonly bytes: number;
  readonly from: string;
  readonly received_at: string;
}

/** Test seam: `signal` ends the command as SIGINT would. */
export interface SubscribeDeps {
  readonly signal?: AbortSignal;
}

export function parsePattern(text: string): string {
  if (!isValidPattern(text)) throw new InvalidArgumentError(`invalid topic pattern "${text}"`, { hint: TOPIC_HINT });
  return text;
}

function toEvent(frame: EventFrame): SubscribeEvent {
  const { text, encoding } = payloadText(frame.payload);
  return {
    topic: frame.topic,
    data: text,
    encoding,
    bytes: frame.payload.length,
    from: frame.from === undefined ? "" : formatAddr(frame.from),
    received_at: rfc3339(Date.now()),
  };
}

/** SIGINT/SIGTERM (SIGBREAK on Windows) end the stream; the returned function removes the handlers. */
function onStopSignals(stop: () => void): () => void {
  const signals: Deno.Signal[] = Deno.build.os === "windows" ? ["SIGINT", "SIGBREAK"] : ["SIGINT", "SIGTERM"];
  for (const sig of signals) Deno.addSignalListener(sig, stop);
  return () => {
    for (const sig of signals) Deno.removeSignalListener(sig, stop);
  };
}

async function subscribe(
  ctx: CommandContext,
  session: DaemonSession,
  given: ReturnType<typeof parseTarget>,
  pattern: string,
  count: number,
  deps: SubscribeDeps,
): Promise<CommandResult> {
  const target = await session.resolveTarget(given);
  const stream = await dialTarget(session, target, EVENT_STREAM_PORT);
  const service = webServiceStream(stream.readable, stream.writable);
  const client = new EventStreamClient(service, target.address);
  const stop = new AbortController();
  const end = () => {
    stop.abort();
    service.close();
  };
  const removeSignals = onStopSignals(end);
  session.deadline.signal.addEventListener("abort", end, { once: true });
  deps.signal?.addEventListener("abort", end, { once: true });
  const events: SubscribeEvent[] = [];
  try {
    if (deps.signal?.aborted) end();
    await client.subscribe(pattern);
    while (!stop.signal.aborted && (count === 0 || events.length < count)) {
      const frame = await client.nextEvent();
      if (frame === null) {
        if (stop.signal.aborted) break;
        throw new ConnectionFailedError(`${target.address} ended the event stream`, { detail: "closed" });
      }
      const ev = toEvent(frame);
      events.push(ev);
      const line = ctx.json ? (count === 0 ? JSON.stringify(ev) : null) : `[${ev.topic}] ${ev.data}`;
      if (line !== null) await ctx.io.stdout.write(line + "\n");
    }
  } catch (err) {
    // A stop (signal, timeout) while waiting is the normal end of the stream.
    if (!stop.signal.aborted) throw peerError(err, target.address, session.deadline);
  } finally {
    removeSignals();
    session.deadline.signal.removeEventListener("abort", end);
    deps.signal?.removeEventListener("abort", end);
    await stream.close("both").catch(() => {});
  }
  if (count === 0) return { data: {}, silent: true };
  if (events.length === 0 && session.deadline.expired) {
    throw new TimeoutError(`no event on "${pattern}" from ${target.address}${session.deadline.describe()}`, {
      hint: RETRY_TIMEOUT_HINT,
    });
  }
  return { data: { events, total: events.length, timeout: events.length < count }, human: "" };
}

export function subscribeCommandWith(deps: SubscribeDeps): CommandSpec {
  return {
    name: "subscribe",
    summary: "Print the events of a node's broker",
    description: "Subscribes to the target's event broker (port 1002) with a topic pattern: * matches one " +
      "segment, a final ** one or more, * alone everything. --count 0 and --timeout 0 mean unlimited; unbounded, " +
      "--json writes NDJSON, one object per event, and a signal or the timeout ends it with exit 0.",
    args: [
      { name: "target", description: "Address, node ID or hostname", required: true },
      { name: "topic", description: "Topic pattern (quote it in the shell)", required: true },
    ],
    flags: [countFlag(0, "Events to receive (0: unlimited)"), timeoutFlag("0", "Stop after this long (0: never)")],
    returns: ["topic", "data", "encoding", "bytes", "from", "received_at", "events", "total", "timeout"],
    needsDaemon: true,
    run: async (ctx) => {
      const given = parseTarget(ctx.args.require("target"));
      const pattern = parsePattern(ctx.args.require("topic"));
      const count = ctx.flags.int("count") ?? 0;
      const timeoutMs = optionalTimeoutMs(ctx);
      return await withDaemon(ctx, (session) => subscribe(ctx, session, given, pattern, count, deps), timeoutMs);
    },
  };
}

export const subscribeCommand: CommandSpec = subscribeCommandWith({});
