// Foreground modes of the binary (CLI.md §1.1), used by `registry run` and `gateway run`. Start the
// service, print one ready block (human) or one `{"status":"ok","data":…}` envelope (`--json`) on stdout, then write
// only logs (stderr) until SIGINT/SIGTERM, shut down cleanly and exit 0. A start-up failure is an ordinary command
// error (exit 1) and prints no ready block.
import { isLogFormat, isLogLevel, type LogFormat, Logger, type LogLevel, type LogSink } from "../log/logger.ts";
import { InvalidArgumentError } from "../util/errors.ts";
import { writeResult } from "./output.ts";
import type { CommandContext, CommandResult, FlagSpec } from "./spec.ts";

/** What a foreground mode has started and must stop. */
export interface ForegroundService {
  /** The envelope's `data` in `--json` mode. */
  readonly readyData: Record<string, unknown>;
  /** The human ready block, without a final newline. */
  readonly readyText: string;
  /** Stops everything and flushes state; called once, after a signal. */
  close(): Promise<void>;
}

/** Seams for in-process tests and embedding; production uses none of them. */
export interface ForegroundDeps {
  /** Ends the mode as a signal would. */
  readonly signal?: AbortSignal;
  /** Where log lines go; stderr when absent. */
  readonly logSink?: LogSink;
  /** Called once the ready block has been written. */
  readonly onReady?: (data: Record<string, unknown>) => void;
}

/** The log flags every foreground mode accepts (`daemon run` binds them to config keys instead). */
export const LOG_LEVEL_FLAG: FlagSpec = {
  name: "log-level",
  type: "string",
  default: "info",
  valueName: "level",
  description: "Log level: debug, info, warn or error",
};
export const LOG_FORMAT_FLAG: FlagSpec = {
  name: "log-format",
  type: "string",
  default: "text",
  valueName: "format",
  description: "Log format: text or json",
};

/** The signals that end a foreground mode; Windows delivers only these two to a console process. */
function stopSignals(): Deno.Signal[] {
  return Deno.build.os === "windows" ? ["SIGINT", "SIGBREAK"] : ["SIGINT", "SIGTERM"];
}

/** A logger for a foreground mode from the `--log-level` / `--log-format` texts; bad values are invalid_argument. */
export function foregroundLogger(level: string | undefined, format: string | undefined, sink?: LogSink): Logger {
  const lvl = level ?? "info";
  const fmt = format ?? "text";
  if (!isLogLevel(lvl)) {
    throw new InvalidArgumentError(`invalid value "${lvl}" for --log-level (use debug, info, warn or error)`);
  }
  if (!isLogFormat(fmt)) throw new InvalidArgumentError(`invalid value "${fmt}" for --log-format (use text or json)`);
  return new Logger({ level: lvl as LogLevel, format: fmt as LogFormat, sink });
}

/** Resolves with the name of the first stop signal (or "abort"); `dispose` removes the listeners. */
class StopWatch implements Disposable {
  readonly stopped: Promise<string>;
  readonly #listeners: [Deno.Signal, () => void][] = [];
  readonly #abort?: AbortSignal;
  #onAbort?: () => void;

  constructor(abort: AbortSignal | undefined) {
    this.#abort = abort;
    let resolve!: (why: string) => void;
    this.stopped = new Promise<string>((r) => resolve = r);
    for (const sig of stopSignals()) {
      const handler = () => resolve(sig);
      Deno.addSignalListener(sig, handler);
      this.#listeners.push([sig, handler]);
    }
    if (abort !== undefined) {
      this.#onAbort = () => resolve("abort");
      if (abort.aborted) resolve("abort");
      else abort.addEventListener("abort", this.#onAbort, { once: true });
    }
  }

  [Symbol.dispose](): void {
    for (const [sig, handler] of this.#listeners) Deno.removeSignalListener(sig, handler);
    this.#listeners.length = 0;
    if (this.#onAbort !== undefined) this.#abort?.removeEventListener("abort", this.#onAbort);
  }
}

/**
 * Runs one foreground mode. The signal listeners go in before `start`, so a signal during start-up is not the
 * default kill: the service finishes starting, prints its ready block and then stops cleanly.
 */
export async function runForeground(
  ctx: CommandContext,
  log: Logger,
  start: () => Promise<ForegroundService>,
  deps: ForegroundDeps = {},
): Promise<CommandResult> {
  using stop = new StopWatch(deps.signal);
  const service = await start();
  try {
    await writeResult(ctx.io.stdout, { data: service.readyData, human: service.readyText }, ctx.json);
    deps.onReady?.(service.readyData);
    const why = await stop.stopped;
    log.info("shutting down", { signal: why });
  } finally {
    await service.close();
  }
  return { data: service.readyData, silent: true };
}
