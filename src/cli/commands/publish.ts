// `pilotctl publish <target> <topic> --data <text>` (CLI.md §3.6, PROTOCOL-BRIEF §9.3): publishes one event on the
// target's broker (port 1002; your own node's broker when the target is yourself) and reports how many subscribers
// it was queued for.
import { EventStreamClient } from "../../daemon/services/event_stream_client.ts";
import { EVENT_PAYLOAD_MAX_BYTES } from "../../daemon/services/event_stream_codec.ts";
import { isValidTopic } from "../../daemon/services/event_stream_topics.ts";
import { webServiceStream } from "../../daemon/services/service_stream.ts";
import { InvalidArgumentError } from "../../util/errors.ts";
import { parseTarget, peerError, withDaemon } from "../daemon_client.ts";
import type { CommandContext, CommandResult, CommandSpec } from "../spec.ts";
import { positiveTimeoutMs, timeoutFlag } from "./options.ts";
import { dialTarget, messageData } from "./send.ts";
import { EVENT_STREAM_PORT, TOPIC_HINT } from "./subscribe.ts";

export function parseTopic(text: string): string {
  if (isValidTopic(text)) return text;
  const wildcard = text.includes("*") ? " (wildcards are for subscribe)" : "";
  throw new InvalidArgumentError(`invalid topic "${text}"${wildcard}`, { hint: TOPIC_HINT });
}

export async function runPublish(ctx: CommandContext): Promise<CommandResult> {
  const given = parseTarget(ctx.args.require("target"));
  const topic = parseTopic(ctx.args.require("topic"));
  const payload = await messageData(ctx, "data");
  if (payload.length > EVENT_PAYLOAD_MAX_BYTES) {
    throw new InvalidArgumentError(`event too large (${payload.length} bytes, max ${EVENT_PAYLOAD_MAX_BYTES})`, {
      detail: "too_large",
    });
  }
  const timeoutMs = positiveTimeoutMs(ctx);
  return await withDaemon(ctx, async (session) => {
    const target = await session.resolveTarget(given);
    const stream = await dialTarget(session, target, EVENT_STREAM_PORT);
    let subscribers: number;
    try {
      const service = webServiceStream(stream.readable, stream.writable);
      subscribers = await new EventStreamClient(service, target.address).publish(topic, payload);
      await service.closeWrite();
    } catch (err) {
      throw peerError(err, target.address, session.deadline);
    } finally {
      await stream.close("both").catch(() => {});
    }
    return { data: { target: target.address, topic, bytes: payload.length, subscribers } };
  }, timeoutMs);
}

export const publishCommand: CommandSpec = {
  name: "publish",
  summary: "Publish an event on a node's broker",
  description: "Publishes one event on the target's event broker (port 1002). The topic has no wildcards. " +
    "--data - reads stdin. Reports how many subscribers received it.",
  args: [
    { name: "target", description: "Address, node ID or hostname", required: true },
    { name: "topic", description: "Topic: segments of a-z, 0-9, - and _ joined by dots", required: true },
  ],
  flags: [
    { name: "data", type: "string", valueName: "text", description: "Event payload; - reads stdin" },
    timeoutFlag("30s"),
  ],
  returns: ["target", "topic", "bytes", "subscribers"],
  needsDaemon: true,
  run: runPublish,
};
