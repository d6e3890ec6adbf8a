// Small programs the NAT traversal tests run inside lab namespaces (`deno run -A _tools.ts …`) beside a real daemon:
// a webhook receiver (PROTOCOL-BRIEF §9.5) and two IPC clients of the daemon's echo port 7 that measure what the CLI
// does not report (time to first byte of a fresh dial, a long-lived stream across path changes). Each prints one
// line per event so tests wait on lines instead of sleeping.
//
//   webhook-sink <ip> <port>         prints "ready", then "event <name> <body>" per POST it answers with 200
//   ttfb <socket> <target>           dials port 7, sends one byte; prints `ttfb {"dial_ms":…,"ttfb_ms":…}` and exits
//   echo-loop <socket> <target> <interval_ms> <count>
//                                    one stream to port 7; prints "open", then "echo <seq> <rtt_ms>" per round trip,
//                                    one every interval; "done" after <count>, "error <text>" (exit 1) on failure
//   udp-send <ip> <port> <hex>       one datagram from a fresh socket; prints "sent <bytes>"
// Every program exits after MAX_LIFETIME_MS whatever happens, so a lost test cannot leave it running.
import { IpcClient, type IpcStream } from "../../src/ipc/mod.ts";

const MAX_LIFETIME_MS = 240_000;
const ECHO_PORT = 7;
const DIAL_TIMEOUT_MS = 20_000;
const MAX_BODY_BYTES = 64 * 1024;
const MAX_ECHO_COUNT = 10_000;

function say(line: string): void {
  console.log(line);
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Reads exactly `n` bytes from `reader`, keeping any surplus in `carry`. */
async function readExactly(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  n: number,
  carry: { bytes: Uint8Array },
): Promise<Uint8Array> {
  while (carry.bytes.length < n) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`stream ended after ${carry.bytes.length} of ${n} bytes`);
    const next = new Uint8Array(carry.bytes.length + value.length);
    next.set(carry.bytes);
    next.set(value, carry.bytes.length);
    carry.bytes = next;
  }
  const out = carry.bytes.slice(0, n);
  carry.bytes = carry.bytes.slice(n);
  return out;
}

async function webhookSink(ip: string, port: number): Promise<void> {
  const server = Deno.serve({ hostname: ip, port, onListen: () => say(`ready ${ip}:${port}`) }, async (req) => {
    const body = (await req.text()).slice(0, MAX_BODY_BYTES).replaceAll("\n", " ");
    say(`event ${req.headers.get("x-pilot-event") ?? "-"} ${body}`);
    return new Response("ok");
  });
  await server.finished;
}

async function dialEcho(socket: string, target: string): Promise<{ client: IpcClient; stream: IpcStream }> {
  const client = await IpcClient.connect(socket, { client: "nat-test" });
  try {
    const stream = await client.dialStream({ addr: target, port: ECHO_PORT, timeout_ms: DIAL_TIMEOUT_MS }, {
      timeoutMs: DIAL_TIMEOUT_MS + 5_000,
    });
    return { client, stream };
  } catch (err) {
    await client.close();
    throw err;
  }
}

async function ttfb(socket: string, target: string): Promise<void> {
  const started = performance.now();
  const { client, stream } = await dialEcho(socket, target);
  try {
    const dialMs = performance.now() - started;
    const writer = stream.writable.getWriter();
    const reader = stream.readable.getReader();
    await writer.write(new TextEncoder().encode("x"));
    await readExactly(reader, 1, { bytes: new Uint8Array(0) });
    const ttfbMs = performance.now() - started;
    say(`ttfb ${JSON.stringify({ dial_ms: Math.round(dialMs), ttfb_ms: Math.round(ttfbMs) })}`);
    await stream.close("both").catch(() => {});
  } finally {
    await client.close();
  }
}

async function echoLoop(socket: string, target: string, intervalMs: number, count: number): Promise<void> {
  const { client, stream } = await dialEcho(socket, target);
  try {
    say("open");
    const writer = stream.writable.getWriter();
    const reader = stream.readable.getReader();
    const carry = { bytes: new Uint8Array(0) };
    for (let seq = 1; seq <= count; seq++) {
      const payload = new TextEncoder().encode(`seq-${String(seq).padStart(6, "0")}`);
      const sent = performance.now();
      await writer.write(payload);
      const back = new TextDecoder().decode(await readExactly(reader, payload.length, carry));
      if (back !== new TextDecoder().decode(payload)) throw new Error(`echo ${seq}: got "${back}"`);
      const rtt = performance.now() - sent;
      say(`echo ${seq} ${rtt.toFixed(3)}`);
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, intervalMs - rtt)));
    }
    say("done");
    await stream.close("both").catch(() => {});
  } finally {
    await client.close();
  }
}

async function udpSend(ip: string, port: number, hex: string): Promise<void> {
  if (!/^([0-9a-f]{2})+$/.test(hex)) throw new Error(`invalid hex "${hex.slice(0, 20)}"`);
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  const conn = Deno.listenDatagram({ transport: "udp", hostname: "0.0.0.0", port: 0 });
  try {
    const n = await conn.send(bytes, { transport: "udp", hostname: ip, port });
    say(`sent ${n}`);
  } finally {
    conn.close();
  }
}

function positive(text: string | undefined, what: string, max: number): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > max) throw new Error(`invalid ${what} "${text}"`);
  return n;
}

async function main(args: readonly string[]): Promise<void> {
  const [command, ...rest] = args;
  switch (command) {
    case "webhook-sink":
      return await webhookSink(rest[0], positive(rest[1], "port", 65535));
    case "ttfb":
      return await ttfb(rest[0], rest[1]);
    case "echo-loop":
      return await echoLoop(
        rest[0],
        rest[1],
        positive(rest[2], "interval", 60_000),
        positive(rest[3], "count", MAX_ECHO_COUNT),
      );
    case "udp-send":
      return await udpSend(rest[0], positive(rest[1], "port", 65535), rest[2] ?? "");
    default:
      throw new Error(`unknown command "${command}"`);
  }
}

if (import.meta.main) {
  const lifetime = setTimeout(() => {
    say("error lifetime exceeded");
    Deno.exit(3);
  }, MAX_LIFETIME_MS);
  Deno.unrefTimer(lifetime);
  try {
    await main(Deno.args);
  } catch (err) {
    say(`error ${message(err)}`);
    Deno.exit(1);
  }
  clearTimeout(lifetime);
  Deno.exit(0);
}
