// Echo client: dials a node's echo server (echo_server.ts) through the local pilot daemon, writes a message,
// half-closes, and prints what comes back. The two nodes must trust each other.
//
//   deno run -A examples/echo_client.ts <target> [--port 7000] [--message TEXT] [--socket PATH]
//
// <target> is an address (0:0000.0000.0101), a node id (257) or a hostname. Prints `echo: <text>` and the round
// trip time; exits 1 with `error: …` and a hint when the target is unreachable or not trusted.
import { parseArgs } from "node:util";
import { connect, PilotError, readAll } from "../mod.ts";

const USAGE = `Usage: deno run -A examples/echo_client.ts <target> [--port 7000] [--message TEXT] [--socket PATH]

Sends --message to an echo server on <target> and prints the echo.

Options:
  --port N        the server's stream port (default 7000)
  --message TEXT  what to send (default "hello, pilot")
  --socket PATH   the daemon's IPC socket (default: PILOT_SOCKET, config, /tmp/pilot.sock)
  --help          show this text`;

function parse(args: string[]) {
  return parseArgs({
    args,
    allowPositionals: true,
    options: {
      port: { type: "string", default: "7000" },
      message: { type: "string", default: "hello, pilot" },
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
  const port = Number(values.port);
  if (positionals.length !== 1 || !Number.isInteger(port)) {
    console.error(USAGE);
    return 2;
  }
  const target = positionals[0];
  const message = new TextEncoder().encode(values.message);

  await using client = await connect({ socket: values.socket });
  const started = performance.now();
  await using conn = await client.dial(target, port);
  console.log(`connected to ${conn.remote} port ${conn.remotePort}`);
  const writer = conn.writable.getWriter();
  await writer.write(message);
  await writer.close(); // FIN: the server echoes the rest and half-closes in turn
  // An echo is never longer than what was sent: the bound stops a misbehaving server.
  const echoed = await readAll(conn.readable, message.length);
  const ms = performance.now() - started;
  console.log(`echo: ${new TextDecoder().decode(echoed)}`);
  console.log(`${echoed.length} bytes back in ${ms.toFixed(1)} ms (dial included)`);
  return 0;
}

try {
  Deno.exit(await main(Deno.args));
} catch (err) {
  console.error(`error: ${err instanceof Error ? err.message : err}`);
  if (err instanceof PilotError && err.hint !== "") console.error(`hint:  ${err.hint}`);
  Deno.exit(1);
}
