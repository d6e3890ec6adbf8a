// `pilotctl gateway start [--subnet CIDR] [--ports 80] [--foreground] [<target>…]` (CLI.md §3.9): spawns
// `gateway run --json --log-file <home>/gateway.log` detached and waits for its ready envelope on the child's stdout
// (the child prints it only once listening and mapped). A child that fails prints its error envelope on stderr and
// exits 1: that error, code and message, becomes ours. `--foreground` is `gateway run` in this process.
import { tildePath } from "../../config/mod.ts";
import {
  DEFAULT_GATEWAY_PORTS,
  defaultSubnet,
  formatPortList,
  type GatewayReadyData,
  parsePortList,
  parseSubnet,
} from "../../gateway/mod.ts";
import { InternalError, isErrorCode, PilotError, TimeoutError } from "../../util/errors.ts";
import { parseTarget } from "../daemon_client.ts";
import { spawnSelf } from "../self_spawn.ts";
import type { CommandContext, CommandResult, CommandSpec } from "../spec.ts";
import { gatewayPaths, PORTS_FLAG, READY_RETURNS, readyText, SUBNET_FLAG, TARGETS_ARG } from "./gateway_common.ts";
import { ensureNotRunning, runGateway } from "./gateway_run.ts";

/** The longest wait for the child's ready envelope: daemon connect, target resolution, listeners. */
export const GATEWAY_START_TIMEOUT_MS = 30_000;
/** Bytes of the child's stderr kept for its error envelope (anything before it is runtime noise). */
const CHILD_STDERR_MAX_BYTES = 65_536;
/** Bound on collecting the child's last output once it has exited. */
const CHILD_EXIT_DRAIN_MS = 2_000;

/** Reads text until the first newline (or the end); the reader stays open for `cancel`. */
async function firstLine(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<string | null> {
  const decoder = new TextDecoder();
  let text = "";
  for (let total = 0; total < CHILD_STDERR_MAX_BYTES;) {
    const r = await reader.read();
    if (r.done) return text === "" ? null : text;
    total += r.value.length;
    text += decoder.decode(r.value, { stream: true });
    const nl = text.indexOf("\n");
    if (nl >= 0) return text.slice(0, nl);
  }
  return text;
}

/** Reads until the end (the child exited), keeping at most the last CHILD_STDERR_MAX_BYTES. */
async function collect(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<string> {
  const decoder = new TextDecoder();
  let text = "";
  for (;;) {
    const r = await reader.read().catch(() => ({ done: true as const, value: undefined }));
    if (r.done) return text;
    text = (text + decoder.decode(r.value, { stream: true })).slice(-CHILD_STDERR_MAX_BYTES);
  }
}

/** The child's `{"status":"error",…}` line, rebuilt; anything else is `internal`. */
function childError(stderr: string, status: Deno.CommandStatus | null, log: string): PilotError {
  const hint = `see ${log}`;
  for (const line of stderr.split("\n").reverse()) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      continue;
    }
    const e = parsed as Record<string, unknown>;
    if (e?.status === "error" && isErrorCode(e.code) && typeof e.message === "string") {
      return new PilotError(e.code, e.message, { hint: typeof e.hint === "string" && e.hint !== "" ? e.hint : hint });
    }
  }
  const how = status === null ? "" : status.signal !== null ? ` (signal ${status.signal})` : ` (status ${status.code})`;
  return new InternalError(`gateway exited before it was ready${how}`, { hint });
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T | null> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expiry = new Promise<null>((resolve) => timer = setTimeout(() => resolve(null), ms));
  return Promise.race([promise, expiry]).finally(() => clearTimeout(timer));
}

async function startDetached(ctx: CommandContext): Promise<CommandResult> {
  const subnet = parseSubnet(ctx.flags.string("subnet") ?? defaultSubnet());
  const ports = parsePortList(ctx.flags.string("ports") ?? DEFAULT_GATEWAY_PORTS);
  const targets = ctx.args.list("target");
  for (const t of targets) parseTarget(t);
  const paths = gatewayPaths(ctx.env);
  await ensureNotRunning(paths.gatewayPid, paths.gatewaySocket);
  const logShown = tildePath(paths.gatewayLog, ctx.env);

  const child = spawnSelf([
    "gateway",
    "run",
    "--json",
    "--log-file",
    paths.gatewayLog,
    "--subnet",
    subnet.text,
    "--ports",
    formatPortList(ports),
    "--",
    ...targets,
  ], { stdout: "piped", stderr: "piped" });
  const out = child.stdout.getReader();
  const err = child.stderr.getReader();
  const errText = collect(err);
  try {
    const ready = await withTimeout(
      Promise.race([firstLine(out), child.status.then(() => null)]),
      GATEWAY_START_TIMEOUT_MS,
    );
    const envelope = ready === null ? null : parseReady(ready);
    if (envelope !== null) {
      return { data: { ...envelope }, human: readyText(envelope) };
    }
    const status = await withTimeout(child.status, CHILD_EXIT_DRAIN_MS);
    if (status === null) {
      try {
        child.kill("SIGTERM");
      } catch {
        // it exited meanwhile
      }
      throw new TimeoutError(
        `gateway started (pid ${child.pid}) but not ready within ${GATEWAY_START_TIMEOUT_MS / 1000}s; stopped it`,
        { hint: `tail ${logShown}` },
      );
    }
    throw childError(await withTimeout(errText, CHILD_EXIT_DRAIN_MS) ?? "", status, logShown);
  } finally {
    await out.cancel().catch(() => {});
    await err.cancel().catch(() => {});
    child.unref();
  }
}

function parseReady(line: string): GatewayReadyData | null {
  try {
    const envelope = JSON.parse(line) as { status?: unknown; data?: GatewayReadyData };
    return envelope.status === "ok" && typeof envelope.data?.pid === "number" ? envelope.data : null;
  } catch {
    return null;
  }
}

export const gatewayStartCommand: CommandSpec = {
  name: "gateway start",
  summary: "Start the TCP gateway in the background",
  description: "Spawns `gateway run --log-file <home>/gateway.log` detached and waits until it is ready. Each " +
    "target gets the next free local IP (.1 first); --ports are served on every mapped IP. --foreground runs " +
    "the gateway in this process instead, logging to stderr.",
  args: [TARGETS_ARG],
  flags: [
    SUBNET_FLAG,
    PORTS_FLAG,
    { name: "foreground", type: "boolean", default: false, description: "Behave exactly like `gateway run`" },
  ],
  returns: READY_RETURNS,
  needsDaemon: true,
  run: (ctx) => ctx.flags.boolean("foreground") ? runGateway(ctx, undefined) : startDetached(ctx),
};
