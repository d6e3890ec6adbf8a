// Test support for the daemon-backed commands: a real IpcServer on a temp socket with scripted §8.3 handlers that
// records every request, plus scripted services — an echo peer for dialled streams, and senders that connect to a
// bound port (streams read to end) or send it datagrams. The CLI runs in-process against it via runCli.
import type { InfoResult } from "../../../src/ipc/mod.ts";
import {
  type IpcArgs,
  type IpcClientContext,
  type IpcCommandHandler,
  type IpcHandlers,
  type IpcResult,
  IpcServer,
} from "../../../src/ipc/mod.ts";
import { Logger, MemorySink } from "../../../src/log/logger.ts";
import { TimeoutError } from "../../../src/util/errors.ts";
import { parseAddr } from "../../../src/wire/mod.ts";
import { type CliOutcome, runCli } from "../_run.ts";
import type { CommandTable } from "../../../src/cli/spec.ts";

export const SELF_ID = 261;
export const SELF_ADDR = "0:0000.0000.0105";
export const BOB_ID = 257;
export const BOB_ADDR = "0:0000.0000.0101";

export interface Call {
  readonly cmd: string;
  readonly args: IpcArgs;
}

/** A handler, or the fixed result it answers. */
export type Script = IpcCommandHandler | object;

export interface FakeDaemon extends AsyncDisposable {
  readonly socket: string;
  readonly home: string;
  readonly env: Record<string, string>;
  /** Every request but `hello`, in arrival order. */
  readonly calls: Call[];
  /** The calls of one command. */
  argsOf(cmd: string): IpcArgs[];
  /** Runs the CLI against this daemon. */
  run(
    argv: string[],
    options?: { stdin?: string; stdinIsTerminal?: boolean; table?: CommandTable },
  ): Promise<CliOutcome>;
}

export async function fakeDaemon(
  scripts: Record<string, Script>,
  extra: Omit<IpcHandlers, "commands"> = {},
): Promise<FakeDaemon> {
  const root = await Deno.makeTempDir({ prefix: "pilotctl-cmd-" });
  const socket = `${root}/d.sock`;
  const home = `${root}/home`;
  const calls: Call[] = [];
  const commands: Record<string, IpcCommandHandler> = {
    hello: () => Promise.resolve({ daemon_version: "0.1.0", node_id: SELF_ID, address: SELF_ADDR }),
  };
  for (const [cmd, script] of Object.entries(scripts)) {
    commands[cmd] = (args, client) => {
      calls.push({ cmd, args });
      return typeof script === "function"
        ? (script as IpcCommandHandler)(args, client)
        : Promise.resolve(structuredClone(script) as IpcResult);
    };
  }
  const server = await IpcServer.start({
    address: socket,
    handlers: { ...extra, commands },
    logger: new Logger({ sink: new MemorySink(), level: "error" }),
  });
  const env = { HOME: root, PILOT_HOME: home, PILOT_SOCKET: socket };
  return {
    socket,
    home,
    env,
    calls,
    argsOf: (cmd) => calls.filter((c) => c.cmd === cmd).map((c) => c.args),
    run: (argv, options = {}) => runCli(argv, env, options),
    async [Symbol.asyncDispose]() {
      await server.close();
      await Deno.remove(root, { recursive: true });
    },
  };
}

/** A daemon-side wait that ends when the client leaves (or after `ms`), so no timer outlives a test. */
function waitForLeave(client: IpcClientContext, ms?: number): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      client.signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = ms === undefined ? undefined : setTimeout(done, ms);
    if (client.signal.aborted) return done();
    client.signal.addEventListener("abort", done);
  });
}

/**
 * An echo peer behind `dial` (PROTOCOL-BRIEF §9.1): bytes come back as they arrive (`reply` instead, when given;
 * nothing when `silent`); a half-close is answered with `eof` unless `eof` is false. `dialError` fails every dial.
 */
export function echoPeer(
  options: {
    dialError?: Error;
    remote?: string;
    silent?: boolean;
    eof?: boolean;
    reply?: Uint8Array;
    /** Never accept data: every `send` waits (full buffers) until the client leaves. */
    stall?: boolean;
  } = {},
) {
  let nextConn = 1;
  const scripts: Record<string, Script> = {
    dial: (args, client) => {
      if (options.dialError !== undefined) return Promise.reject(options.dialError);
      const conn = nextConn++;
      client.ownConn(conn);
      return Promise.resolve({
        conn,
        local_port: 49152,
        remote: options.remote ?? (args.addr as string),
        remote_port: args.port as number,
      });
    },
    close: async (args, client) => {
      const conn = args.conn as number;
      if (args.how === "write" && client.ownsConn(conn)) {
        if (options.eof !== false) await client.pushStreamEof(conn);
      } else if (args.how !== "write") client.disownConn(conn);
      return {};
    },
  };
  const extra: Omit<IpcHandlers, "commands"> = {
    streamData: (client, conn, data) => {
      if (options.stall) return waitForLeave(client);
      if (options.silent) return Promise.resolve();
      return client.pushStreamData(conn, options.reply ?? data.slice());
    },
  };
  return { scripts, extra };
}

/** One message a sender delivers to a bound port. */
export interface Inbound {
  readonly from: string;
  readonly fromPort: number;
  readonly data: string | Uint8Array;
}

/**
 * Senders connecting to a bound stream port: each `accept` hands out the next message (data, then end of stream);
 * when none are left it waits for `timeout_ms` and answers `timeout`. Replies written back are recorded.
 */
export function inboundStreams(messages: Inbound[]) {
  const queue = [...messages];
  const replies = new Map<number, Uint8Array[]>();
  const deliveries: Promise<void>[] = [];
  let nextConn = 100;
  const scripts: Record<string, Script> = {
    bind: (args, client) => {
      client.ownPort(args.proto as "stream" | "datagram", args.port as number);
      return Promise.resolve({ port: args.port });
    },
    accept: async (args, client) => {
      const next = queue.shift();
      if (next === undefined) {
        await waitForLeave(client, args.timeout_ms as number | undefined);
        throw new TimeoutError("accept timed out", { detail: "accept" });
      }
      const conn = nextConn++;
      client.ownConn(conn);
      const bytes = typeof next.data === "string" ? new TextEncoder().encode(next.data) : next.data;
      // Sent once the client grants credit, which it does after this answer.
      deliveries.push(
        client.pushStreamData(conn, bytes).then(() => client.pushStreamEof(conn)).catch(() => {}),
      );
      return { conn, local_port: args.port as number, remote: next.from, remote_port: next.fromPort };
    },
    close: (args, client) => {
      if (args.how !== "write") client.disownConn(args.conn as number);
      return Promise.resolve({});
    },
  };
  const extra: Omit<IpcHandlers, "commands"> = {
    streamData: (_client, conn, data) => {
      replies.set(conn, [...(replies.get(conn) ?? []), data.slice()]);
      return Promise.resolve();
    },
  };
  return { scripts, extra, replies, settled: () => Promise.all(deliveries) };
}

/** Pushes datagrams to `port` as soon as the client binds it for datagrams (queued until `recvfrom` credit). */
export function inboundDatagrams(port: number, messages: Inbound[]): (client: IpcClientContext) => void {
  return (client) => {
    for (const m of messages) {
      const data = typeof m.data === "string" ? new TextEncoder().encode(m.data) : m.data;
      client.pushDatagram({ localPort: port, remote: parseAddr(m.from), remotePort: m.fromPort, data });
    }
  };
}

/** `{"status":"error",…}` parsed from a --json failure. */
export function errorEnvelope(out: CliOutcome): Record<string, unknown> {
  return JSON.parse(out.stderr);
}

/** `data` of a --json success. */
export function dataOf(out: CliOutcome): Record<string, unknown> {
  const envelope = JSON.parse(out.stdout);
  if (envelope.status !== "ok") throw new Error(`not ok: ${out.stdout}`);
  return envelope.data;
}

/** A full §8.3 `info` answer for node 261 with one direct peer (bob); fields can be overridden. */
export function infoResult(overrides: Partial<InfoResult> = {}): InfoResult {
  return {
    node_id: SELF_ID,
    address: SELF_ADDR,
    addresses: { "0": SELF_ADDR, "7": "7:0007.0000.0105" },
    hostname: "alice",
    owner: "alice@example.com",
    public_key: "Zm9vYmFyYmF6cXV4cXV1eGZvb2JhcmJhenF1eHF1dXg=",
    uptime_secs: 723,
    encrypt: true,
    identity: "/home/u/.pilot/identity.json",
    peers: 3,
    encrypted_peers: 3,
    authenticated_peers: 3,
    connections: 2,
    ports: 6,
    bytes_sent: 1_234_567,
    bytes_recv: 845_000,
    pkts_sent: 1024,
    pkts_recv: 998,
    beacon: "127.0.0.1:9001",
    peer_list: [{
      node_id: 257,
      address: "0:0000.0000.0101",
      hostname: "bob",
      endpoint: "192.0.2.7:4000",
      path: "direct",
      encrypted: true,
      authenticated: true,
      trusted: true,
      last_seen_ms: Date.UTC(2025, 5, 1, 12, 0, 1, 123),
    }],
    conn_list: [],
    ...overrides,
  };
}
