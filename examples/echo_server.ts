// Echo server: listens on a stream port of the local pilot daemon and writes every byte it receives back, until the
// peer half-closes; then it half-closes too. Pair it with echo_client.ts on another node (the two nodes must trust
// each other: `pilotctl handshake` on one side, `pilotctl approve` on the other).
//
//   deno run -A examples/echo_server.ts [--port 7000] [--count N] [--socket PATH]
//
// Prints `echo server on <address> port <port>` once listening, then one line per finished connection. With
// `--count N` it exits after N connections; otherwise Ctrl-C stops it. The daemon's socket comes from --socket, else
// PILOT_SOCKET, else the config, else /tmp/pilot.sock.
import { parseArgs } from "node:util";
import { connect, type PilotConn, PilotError } from "../mod.ts";

const USAGE = `Usage: deno run -A examples/echo_server.ts [--port 7000] [--count N] [--socket PATH]

Echoes every stream connection on --port of the local daemon back to its sender.

Options:
  --port N       stream port to listen on (default 7000)
  --count N      exit after N connections (default 0: run until Ctrl-C)
  --socket PATH  the daemon's IPC socket (default: PILOT_SOCKET, config, /tmp/pilot.sock)
  --help         show this text`;

/** Copies the peer's bytes back, counting them; the half-close follows the peer's. */
async function echo(conn: PilotConn): Promise<number> {
  let bytes = 0;
  const counter = new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      bytes += chunk.length;
      controller.enqueue(chunk);
    },
  });
  try {
    await conn.readable.pipeThrough(counter).pipeTo(conn.writable);
  } finally {
    await conn.close();
  }
  return bytes;
}

function parse(args: string[]) {
  return parseArgs({
    args,
    options: {
      port: { type: "string", default: "7000" },
      count: { type: "string", default: "0" },
      socket: { type: "string" },
      help: { type: "boolean", default: false },
    },
  }).values;
}

async function main(args: string[]): Promise<number> {
  let values;
  try {
    values = parse(args);
  } catch (err) {
    console.error(`${err instanceof Error ? err.message : err}\n\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const port = Number(values.port);
  const count = Number(values.count);
  if (!Number.isInteger(port) || !Number.isInteger(count) || count < 0) {
    console.error(USAGE);
    return 2;
  }

  await using client = await connect({ socket: values.socket });
  await using listener = await client.listen(port);
  console.log(`echo server on ${client.address} port ${listener.port}`);
  const stop = () => {
    listener.close().catch(() => {});
  };
  Deno.addSignalListener("SIGINT", stop);
  const served: Promise<void>[] = [];
  let accepted = 0;
  try {
    for await (const conn of listener) {
      const from = `${conn.remote} port ${conn.remotePort}`;
      served.push(
        echo(conn).then(
          (n) => console.log(`echoed ${n} bytes to ${from}`),
          (err) => console.error(`connection from ${from} failed: ${err instanceof Error ? err.message : err}`),
        ),
      );
      if (count > 0 && ++accepted >= count) break;
    }
    await Promise.all(served);
  } finally {
    Deno.removeSignalListener("SIGINT", stop);
  }
  return 0;
}

try {
  Deno.exit(await main(Deno.args));
} catch (err) {
  console.error(`error: ${err instanceof Error ? err.message : err}`);
  if (err instanceof PilotError && err.hint !== "") console.error(`hint:  ${err.hint}`);
  Deno.exit(1);
}
