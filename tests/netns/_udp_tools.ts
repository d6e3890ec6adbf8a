// Small UDP programs the NAT lab tests run inside lab namespaces (`deno run -A --unstable-net _udp_tools.ts …`).
// They stand in for the beacon (a STUN-like reflector, §5.2 DISCOVER; a relay, §5.4) and for a node's tunnel socket
// (punch packets, §5.3). Each prints one line per event so tests can wait on lines instead of sleeping.
//
//   reflector <ip> <port>…  answers "whoami" with "seen <ip>:<port>" (the datagram's observed source), and
//                           "relay <ip>:<port> <text>" by sending <text> to that endpoint. Prints "ready".
//   agent <ip>              one socket on <ip>, port chosen by the kernel; prints "ready <ip>:<port>", then
//                           "recv <ip>:<port> <text>" per datagram. Commands on stdin, one per line:
//                             send <ip>:<port> <text>
//                             burst <ip>:<port> <text> <count> <interval_ms>
//                           Exits when stdin closes.
// Both exit after MAX_LIFETIME_MS whatever happens, so a lost test cannot leave them running.

const MAX_LIFETIME_MS = 60_000;
const MAX_DATAGRAM_BYTES = 1500;
const MAX_BURST_COUNT = 50;
const MAX_BURST_INTERVAL_MS = 1000;

function say(line: string): void {
  console.log(line);
}

function parseEndpoint(text: string): Deno.NetAddr {
  const m = /^(\d{1,3}(?:\.\d{1,3}){3}):(\d{1,5})$/.exec(text);
  const port = m ? Number(m[2]) : NaN;
  if (!m || !(port >= 1 && port <= 65535)) throw new Error(`invalid endpoint "${text}"`);
  return { transport: "udp", hostname: m[1], port };
}

function show(addr: Deno.Addr): string {
  return addr.transport === "udp" ? `${addr.hostname}:${addr.port}` : addr.transport;
}

async function sendText(conn: Deno.DatagramConn, to: Deno.NetAddr, text: string): Promise<void> {
  try {
    await conn.send(new TextEncoder().encode(text), to);
  } catch (e) {
    // An iptables OUTPUT drop surfaces as EPERM; that is an observation, not a crash.
    say(`error send ${show(to)}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

async function serveReflector(conn: Deno.DatagramConn): Promise<void> {
  for await (const [data, from] of conn) {
    const text = new TextDecoder().decode(data.subarray(0, MAX_DATAGRAM_BYTES));
    if (text === "whoami") {
      await sendText(conn, from as Deno.NetAddr, `seen ${show(from)}`);
    } else if (text.startsWith("relay ")) {
      const [, target, ...rest] = text.split(" ");
      try {
        await sendText(conn, parseEndpoint(target), rest.join(" "));
      } catch (e) {
        say(`error relay: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    say(`asked ${show(from)} ${text}`);
  }
}

async function reflector(ip: string, ports: readonly string[]): Promise<void> {
  const conns = ports.map((p) => Deno.listenDatagram({ transport: "udp", hostname: ip, port: Number(p) }));
  say(`ready ${conns.map((c) => show(c.addr)).join(" ")}`);
  await Promise.all(conns.map(serveReflector));
}

async function burst(conn: Deno.DatagramConn, args: readonly string[]): Promise<void> {
  const [target, text, countText, intervalText] = args;
  const to = parseEndpoint(target);
  const count = Math.min(Number(countText), MAX_BURST_COUNT);
  const intervalMs = Math.min(Number(intervalText), MAX_BURST_INTERVAL_MS);
  for (let i = 0; i < count; i++) {
    if (i > 0) await new Promise((resolve) => setTimeout(resolve, intervalMs));
    await sendText(conn, to, text);
  }
  say(`sent ${count} ${show(to)}`);
}

async function command(conn: Deno.DatagramConn, line: string): Promise<void> {
  const [verb, ...args] = line.trim().split(" ");
  try {
    if (verb === "send" && args.length >= 2) await sendText(conn, parseEndpoint(args[0]), args.slice(1).join(" "));
    else if (verb === "burst" && args.length === 4) await burst(conn, args);
    else if (verb !== "") say(`error unknown command "${line}"`);
  } catch (e) {
    say(`error ${verb}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

async function agent(ip: string): Promise<void> {
  const conn = Deno.listenDatagram({ transport: "udp", hostname: ip, port: 0 });
  say(`ready ${show(conn.addr)}`);
  const receiving = (async () => {
    for await (const [data, from] of conn) {
      say(`recv ${show(from)} ${new TextDecoder().decode(data.subarray(0, MAX_DATAGRAM_BYTES))}`);
    }
  })();
  const pending: Promise<void>[] = [];
  let buffered = "";
  for await (const chunk of Deno.stdin.readable.pipeThrough(new TextDecoderStream())) {
    buffered += chunk;
    const lines = buffered.split("\n");
    buffered = lines.pop() ?? "";
    // Commands run concurrently so two bursts (or a burst and a send) overlap as a real punch would.
    for (const line of lines) pending.push(command(conn, line));
  }
  await Promise.all(pending);
  conn.close();
  await receiving.catch(() => {});
}

async function main(args: readonly string[]): Promise<void> {
  const lifetime = setTimeout(() => Deno.exit(3), MAX_LIFETIME_MS);
  Deno.unrefTimer(lifetime);
  const [mode, ip, ...rest] = args;
  if (mode === "reflector" && ip && rest.length > 0) await reflector(ip, rest);
  else if (mode === "agent" && ip) await agent(ip);
  else throw new Error(`usage: reflector <ip> <port>… | agent <ip> (got "${args.join(" ")}")`);
}

if (import.meta.main) await main(Deno.args);
