// Publish/subscribe on a node's event broker (port 1002) through the local pilot daemon. Every node runs a broker;
// publish on your own by giving your own address (or hostname), or on a trusted peer's.
//
//   deno run -A examples/pubsub.ts subscribe <target> <pattern> [--count N] [--socket PATH]
//   deno run -A examples/pubsub.ts publish <target> <topic> <data> [--socket PATH]
//
// Topics are dot-separated segments of a-z, 0-9, - and _ (`jobs.build.done`). In a pattern `*` matches one segment,
// a final `**` one or more, and `*` alone every topic. `subscribe` prints `subscribed to "<pattern>" on <address>`,
// then `[<topic>] <data> (from <address>)` per event; `publish` prints how many subscribers got the event.
import { parseArgs } from "node:util";
import { connect, type PilotClient, PilotError } from "../mod.ts";

const USAGE = `Usage:
  deno run -A examples/pubsub.ts subscribe <target> <pattern> [--count N]
  deno run -A examples/pubsub.ts publish <target> <topic> <data>

subscribe prints the events published on <target>'s broker that match <pattern>;
publish sends one event to it. Quote patterns in the shell: "jobs.*".

Options:
  --count N      subscribe: exit after N events (default 0: run until Ctrl-C)
  --socket PATH  the daemon's IPC socket (default: PILOT_SOCKET, config, /tmp/pilot.sock)
  --help         show this text`;

async function subscribe(client: PilotClient, target: string, pattern: string, count: number): Promise<number> {
  await using sub = await client.subscribe(target, pattern);
  console.log(`subscribed to "${pattern}" on ${target}`);
  const stop = () => {
    sub.close().catch(() => {});
  };
  Deno.addSignalListener("SIGINT", stop);
  let received = 0;
  try {
    for await (const event of sub) {
      console.log(`[${event.topic}] ${event.text} (from ${event.from})`);
      if (count > 0 && ++received >= count) break;
    }
  } finally {
    Deno.removeSignalListener("SIGINT", stop);
  }
  return 0;
}

async function publish(client: PilotClient, target: string, topic: string, data: string): Promise<number> {
  const deliveries = await client.publish(target, topic, data);
  console.log(`published "${topic}" to ${deliveries} subscriber${deliveries === 1 ? "" : "s"}`);
  return 0;
}

function parse(args: string[]) {
  return parseArgs({
    args,
    allowPositionals: true,
    options: {
      count: { type: "string", default: "0" },
      socket: { type: "string" },
      help: { type: "boolean", default: false },
    },
  });
}

async function main(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parse(args);
  } catch (err) {
    console.error(`${err instanceof Error ? err.message : err}\n\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const [mode, ...rest] = positionals;
  const count = Number(values.count);
  const valid = Number.isInteger(count) && count >= 0 &&
    ((mode === "subscribe" && rest.length === 2) || (mode === "publish" && rest.length === 3));
  if (!valid) {
    console.error(USAGE);
    return 2;
  }
  await using client = await connect({ socket: values.socket });
  if (mode === "subscribe") return await subscribe(client, rest[0], rest[1], count);
  return await publish(client, rest[0], rest[1], rest[2]);
}

try {
  Deno.exit(await main(Deno.args));
} catch (err) {
  console.error(`error: ${err instanceof Error ? err.message : err}`);
  if (err instanceof PilotError && err.hint !== "") console.error(`hint:  ${err.hint}`);
  Deno.exit(1);
}
