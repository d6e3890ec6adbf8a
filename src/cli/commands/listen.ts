// `pilotctl listen <port> [--count 0] [--timeout 0]` (CLI.md §3.6, §1.3 streaming): receives everything sent to the
// port — datagrams, and stream connections read to end of stream and closed without a reply. Unbounded (`--count
// 0`) it streams: one line per event, NDJSON with `--json`; a signal or the timeout ends it with exit 0.
import type { IpcDatagram, IpcStream } from "../../ipc/mod.ts";
import { TimeoutError } from "../../util/errors.ts";
import { formatAddr } from "../../wire/mod.ts";
import { type DaemonSession, RETRY_TIMEOUT_HINT, withDaemon } from "../daemon_client.ts";
import { rfc3339 } from "../format.ts";
import type { CommandContext, CommandResult, CommandSpec } from "../spec.ts";
import { countFlag, optionalTimeoutMs, parseBindPort, timeoutFlag } from "./options.ts";
import { bindPort, messageLine } from "./recv.ts";
import { ByteReader, payloadText } from "./stream_io.ts";

export interface ListenEvent {
  readonly kind: "datagram" | "stream";
  readonly src_addr: string;
  readonly src_port: number;
  readonly port: number;
  readonly data: string;
  readonly encoding: "utf8" | "base64";
  readonly bytes: number;
  readonly received_at: string;
}

/** Test seam: `signal` ends the command as SIGINT would. */
export interface ListenDeps {
  readonly signal?: AbortSignal;
}

type Emit = (event: ListenEvent) => Promise<void>;

function event(kind: ListenEvent["kind"], src: string, srcPort: number, port: number, bytes: Uint8Array): ListenEvent {
  const { text, encoding } = payloadText(bytes);
  return {
    kind,
    src_addr: src,
    src_port: srcPort,
    port,
    data: text,
    encoding,
    bytes: bytes.length,
    received_at: rfc3339(Date.now()),
  };
}

/** One accepted connection: a message when it ends cleanly; a reset or a stop drops it. */
async function readConnection(stream: IpcStream, port: number, signal: AbortSignal, emit: Emit): Promise<void> {
  try {
    using reader = new ByteReader(stream.readable, signal);
    const { bytes, complete } = await reader.readToEnd();
    if (complete) await emit(event("stream", stream.info?.remote ?? "", stream.info?.remote_port ?? 0, port, bytes));
  } catch {
    // a sender that reset its connection sent no message
  } finally {
    await stream.close("both").catch(() => {});
  }
}

async function acceptLoop(session: DaemonSession, port: number, signal: AbortSignal, emit: Emit): Promise<void> {
  const readers = new Set<Promise<void>>();
  try {
    while (!signal.aborted) {
      let stream: IpcStream;
      try {
        stream = await session.client.acceptStream(port, { signal });
      } catch (err) {
        if (signal.aborted) return;
        throw err;
      }
      const reading: Promise<void> = readConnection(stream, port, signal, emit).finally(() => readers.delete(reading));
      readers.add(reading);
    }
  } finally {
    await Promise.all(readers);
  }
}

async function datagramLoop(session: DaemonSession, port: number, signal: AbortSignal, emit: Emit): Promise<void> {
  const reader = session.client.openDatagrams(port).getReader();
  const stop = () => {
    reader.cancel().catch(() => {});
  };
  if (signal.aborted) stop();
  else signal.addEventListener("abort", stop, { once: true });
  try {
    for (;;) {
      const r = await reader.read();
      if (r.done) return;
      const dg: IpcDatagram = r.value;
      await emit(event("datagram", formatAddr(dg.remote), dg.remotePort, dg.localPort, dg.data));
    }
  } catch (err) {
    if (!signal.aborted) throw err;
  } finally {
    signal.removeEventListener("abort", stop);
  }
}

/** SIGINT/SIGTERM (SIGBREAK on Windows) end the stream; `dispose` removes the handlers. */
function onStopSignals(stop: () => void): () => void {
  const signals: Deno.Signal[] = Deno.build.os === "windows" ? ["SIGINT", "SIGBREAK"] : ["SIGINT", "SIGTERM"];
  for (const sig of signals) Deno.addSignalListener(sig, stop);
  return () => {
    for (const sig of signals) Deno.removeSignalListener(sig, stop);
  };
}

async function listen(
  ctx: CommandContext,
  session: DaemonSession,
  port: number,
  count: number,
  deps: ListenDeps,
): Promise<CommandResult> {
  await bindPort(session, port, "stream");
  await bindPort(session, port, "datagram");
  const stop = new AbortController();
  const end = () => stop.abort();
  session.deadline.signal.addEventListener("abort", end, { once: true });
  deps.signal?.addEventListener("abort", end, { once: true });
  const removeSignals = onStopSignals(end);
  const events: ListenEvent[] = [];
  let output = Promise.resolve();
  const emit: Emit = (ev) => {
    if (stop.signal.aborted || (count > 0 && events.length >= count)) return Promise.resolve();
    events.push(ev);
    if (count > 0 && events.length >= count) stop.abort();
    const line = ctx.json ? (count === 0 ? JSON.stringify(ev) : null) : messageLine(ev);
    if (line !== null) output = output.then(() => ctx.io.stdout.write(line + "\n"));
    return output;
  };
  let failure: unknown = null;
  const fail = (err: unknown) => {
    failure ??= err;
    stop.abort();
  };
  try {
    if (deps.signal?.aborted) stop.abort();
    await Promise.all([
      acceptLoop(session, port, stop.signal, emit).catch(fail),
      datagramLoop(session, port, stop.signal, emit).catch(fail),
    ]);
    await output;
  } finally {
    removeSignals();
    session.deadline.signal.removeEventListener("abort", end);
    deps.signal?.removeEventListener("abort", end);
  }
  if (failure !== null) throw failure;
  if (count === 0) return { data: {}, silent: true };
  if (events.length === 0 && session.deadline.expired) {
    throw new TimeoutError(`no message on port ${port}${session.deadline.describe()}`, { hint: RETRY_TIMEOUT_HINT });
  }
  return { data: { messages: events, total: events.length, timeout: events.length < count }, human: "" };
}

export function listenCommandWith(deps: ListenDeps): CommandSpec {
  return {
    name: "listen",
    summary: "Print everything sent to a port",
    description: "Receives datagrams and stream connections on a port (streams are read to end and closed " +
      "without a reply). --count 0 and --timeout 0 mean unlimited; unbounded, --json writes NDJSON, one object " +
      "per event, and a signal or the timeout ends it with exit 0.",
    args: [{ name: "port", description: "Pilot port (not 7, 444, 1001, 1002, 1003)", required: true }],
    flags: [countFlag(0, "Events to receive (0: unlimited)"), timeoutFlag("0", "Stop after this long (0: never)")],
    returns: [
      "kind",
      "src_addr",
      "src_port",
      "port",
      "data",
      "encoding",
      "bytes",
      "received_at",
      "messages",
      "total",
      "timeout",
    ],
    needsDaemon: true,
    run: async (ctx) => {
      const port = parseBindPort(ctx.args.require("port"));
      const count = ctx.flags.int("count") ?? 0;
      const timeoutMs = optionalTimeoutMs(ctx);
      return await withDaemon(ctx, (session) => listen(ctx, session, port, count, deps), timeoutMs);
    },
  };
}

export const listenCommand: CommandSpec = listenCommandWith({});
