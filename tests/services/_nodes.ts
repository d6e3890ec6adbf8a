// Test support for the built-in services over real in-process daemons (tests/daemon/_pair.ts): the CLI run
// in-process against one member's socket and home, raw port-1001 / port-1002 sessions over an IPC stream, and a
// local HTTP server that records webhook deliveries.
import type { EventStreamClient } from "../../src/daemon/services/event_stream_client.ts";
import type { EventFrame } from "../../src/daemon/services/event_stream_codec.ts";
import { DataExchangeSender } from "../../src/daemon/services/data_exchange_client.ts";
import { webServiceStream } from "../../src/daemon/services/service_stream.ts";
import type { IpcStream } from "../../src/ipc/mod.ts";
import { type CliOutcome, runCli } from "../cli/_run.ts";
import { type Cluster, cluster, type Member } from "../daemon/_pair.ts";

/** A cluster whose members carry their own names as hostnames. */
export async function named(names: readonly string[]): Promise<Cluster> {
  const c = await cluster([]);
  try {
    for (const name of names) await c.start(name, { hostname: name });
  } catch (err) {
    await c[Symbol.asyncDispose]();
    throw err;
  }
  return c;
}

/** The environment `pilotctl` needs to act as `m`. */
export function cliEnv(c: Cluster, m: Member): Record<string, string> {
  return { HOME: c.root, PILOT_HOME: `${c.root}/${m.name}`, PILOT_SOCKET: m.node.socketPath };
}

/** `pilotctl --json <argv>` as `m`: the `data` of a success, or the error envelope with the exit code. */
export async function cliJson<T = Record<string, unknown>>(
  c: Cluster,
  m: Member,
  argv: readonly string[],
): Promise<CliJson<T>> {
  const out = await runCli(["--json", ...argv], cliEnv(c, m));
  const text = out.code === 0 ? out.stdout : out.stderr;
  const parsed = JSON.parse(text.trim().split("\n").pop() ?? "{}");
  return { code: out.code, data: out.code === 0 ? parsed.data as T : null, error: out.code === 0 ? null : parsed, out };
}

export interface CliError {
  readonly code: string;
  readonly message: string;
  readonly hint?: string;
}

export interface CliJson<T> {
  readonly code: number;
  readonly data: T | null;
  readonly error: CliError | null;
  readonly out: CliOutcome;
}

/** The `data` of a success; fails the test with the CLI's stderr otherwise. */
export function ok<T>(r: CliJson<T>): T {
  if (r.code !== 0 || r.data === null) throw new Error(`pilotctl failed (${r.code}): ${r.out.stderr}`);
  return r.data;
}

/** A port-1001 session from `from` to `to`, opened through `from`'s IPC socket. */
export async function exchange(from: Member, to: Member): Promise<{ sender: DataExchangeSender; stream: IpcStream }> {
  const stream = await from.client.dialStream({ addr: to.node.address, port: 1001, timeout_ms: 10_000 });
  return {
    sender: new DataExchangeSender(webServiceStream(stream.readable, stream.writable), to.node.address),
    stream,
  };
}

/** The next EVENT within `ms`, else null (end of stream or nothing in time). */
export async function nextEvent(client: EventStreamClient, ms = 5_000): Promise<EventFrame | null> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<null>((resolve) => timer = setTimeout(() => resolve(null), ms));
  try {
    return await Promise.race([client.nextEvent(), late]);
  } finally {
    clearTimeout(timer);
  }
}

export interface Hit {
  readonly event: string;
  readonly signature: string | null;
  readonly body: string;
  readonly json: HookBody;
}

/** The §9.5 body. */
export interface HookBody {
  readonly event: string;
  readonly id: string;
  readonly node_id: number;
  readonly address: string;
  readonly timestamp: string;
  readonly data: Record<string, unknown>;
}

/** A webhook receiver on 127.0.0.1:0; `waitFor` resolves once an event of that name arrived (bounded). */
export function hookServer(): HookServer {
  const hits: Hit[] = [];
  const waiters: { event: string; resolve: (h: Hit) => void }[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const body = await req.text();
    const hit: Hit = {
      event: req.headers.get("x-pilot-event") ?? "",
      signature: req.headers.get("x-pilot-signature"),
      body,
      json: JSON.parse(body),
    };
    hits.push(hit);
    for (const w of waiters.splice(0)) {
      if (w.event === hit.event) w.resolve(hit);
      else waiters.push(w);
    }
    return new Response("ok");
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}/hook`,
    hits,
    waitFor(event: string, ms = 10_000): Promise<Hit> {
      const seen = hits.find((h) => h.event === event);
      if (seen !== undefined) return Promise.resolve(seen);
      let timer: ReturnType<typeof setTimeout> | undefined;
      return new Promise<Hit>((resolve, reject) => {
        timer = setTimeout(() => reject(new Error(`no webhook "${event}" within ${ms} ms`)), ms);
        waiters.push({ event, resolve });
      }).finally(() => clearTimeout(timer));
    },
    [Symbol.asyncDispose]: () => server.shutdown(),
  };
}

export interface HookServer extends AsyncDisposable {
  readonly url: string;
  readonly hits: Hit[];
  waitFor(event: string, ms?: number): Promise<Hit>;
}

/** The names in a directory (none when it does not exist). */
export async function dirNames(dir: string): Promise<string[]> {
  const out: string[] = [];
  try {
    for await (const e of Deno.readDir(dir)) out.push(e.name);
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  return out.sort();
}

/** One message of `pilotctl inbox --json` (CLI.md §3.7). */
export interface InboxEntry {
  readonly id: string;
  readonly from: string;
  readonly hostname: string;
  readonly type: string;
  readonly data: string;
  readonly encoding: string;
  readonly bytes: number;
  readonly received_at: string;
  readonly broadcast: number | null;
}

/** `m`'s inbox as `pilotctl inbox` lists it. */
export async function inbox(c: Cluster, m: Member): Promise<InboxEntry[]> {
  return ok(await cliJson<{ messages: InboxEntry[] }>(c, m, ["inbox"])).messages;
}
