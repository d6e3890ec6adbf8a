// Structured logger: text or JSON lines to stderr or a file sink, child loggers per component, and rate-limited
// per-key warnings for hot paths (a bad packet must not flood the log). Never log keys or payloads.
import type { Clock } from "../util/clock.ts";
import { systemClock } from "../util/clock.ts";

export type LogLevel = "debug" | "info" | "warn" | "error";
export type LogFormat = "text" | "json";
export type LogFields = Record<string, string | number | boolean | null | undefined>;

export const LOG_LEVELS: readonly LogLevel[] = ["debug", "info", "warn", "error"];
const LEVEL_RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** Where finished lines go (stderr, a rotating file, a test buffer). */
export interface LogSink {
  write(line: string): void;
}

const encoder = new TextEncoder();

export const stderrSink: LogSink = {
  write(line: string): void {
    try {
      Deno.stderr.writeSync(encoder.encode(line + "\n"));
    } catch {
      // stderr closed: logging must never take the process down.
    }
  },
};

/** Collects lines in memory; for tests. */
export class MemorySink implements LogSink {
  readonly lines: string[] = [];
  write(line: string): void {
    this.lines.push(line);
  }
}

export interface LoggerOptions {
  level?: LogLevel;
  format?: LogFormat;
  sink?: LogSink;
  clock?: Clock;
  /** Minimum interval between two lines of one rate-limit key. */
  rateLimitMs?: number;
}

interface LoggerCore {
  level: LogLevel;
  readonly format: LogFormat;
  readonly sink: LogSink;
  readonly clock: Clock;
  readonly rateLimitMs: number;
  /** key → [last emitted at, suppressed since] */
  readonly limited: Map<string, [number, number]>;
}

const RATE_LIMIT_KEYS_MAX = 1024;

export class Logger {
  readonly #core: LoggerCore;
  readonly #component: string;

  constructor(options: LoggerOptions = {}, component = "", core?: LoggerCore) {
    this.#component = component;
    this.#core = core ?? {
      level: options.level ?? "info",
      format: options.format ?? "text",
      sink: options.sink ?? stderrSink,
      clock: options.clock ?? systemClock,
      rateLimitMs: options.rateLimitMs ?? 10_000,
      limited: new Map(),
    };
  }

  /** A logger for a sub-component sharing this one's sink and settings: `log.child("tunnel")`. */
  child(component: string): Logger {
    const name = this.#component ? `${this.#component}.${component}` : component;
    return new Logger({}, name, this.#core);
  }

  get level(): LogLevel {
    return this.#core.level;
  }

  enabled(level: LogLevel): boolean {
    return LEVEL_RANK[level] >= LEVEL_RANK[this.#core.level];
  }

  debug(msg: string, fields?: LogFields): void {
    this.#log("debug", msg, fields);
  }
  info(msg: string, fields?: LogFields): void {
    this.#log("info", msg, fields);
  }
  warn(msg: string, fields?: LogFields): void {
    this.#log("warn", msg, fields);
  }
  error(msg: string, fields?: LogFields): void {
    this.#log("error", msg, fields);
  }

  /**
   * Logs at most once per rate-limit interval for `key`; the next line that passes reports how many were suppressed.
   * Use for per-packet events.
   */
  limited(level: LogLevel, key: string, msg: string, fields?: LogFields): void {
    if (!this.enabled(level)) return;
    const now = this.#core.clock.monotonic();
    const fullKey = `${this.#component}:${key}`;
    const entry = this.#core.limited.get(fullKey);
    if (entry && now - entry[0] < this.#core.rateLimitMs) {
      entry[1]++;
      return;
    }
    const suppressed = entry ? entry[1] : 0;
    if (!entry && this.#core.limited.size >= RATE_LIMIT_KEYS_MAX) {
      const oldest = this.#core.limited.keys().next().value;
      if (oldest !== undefined) this.#core.limited.delete(oldest);
    }
    this.#core.limited.set(fullKey, [now, 0]);
    this.#log(level, msg, suppressed > 0 ? { ...fields, suppressed } : fields);
  }

  #log(level: LogLevel, msg: string, fields?: LogFields): void {
    if (!this.enabled(level)) return;
    const ts = new Date(this.#core.clock.now()).toISOString();
    if (this.#core.format === "json") {
      const record: Record<string, unknown> = { ts, level, component: this.#component || undefined, msg };
      if (fields) { for (const [k, v] of Object.entries(fields)) if (v !== undefined) record[k] = v; }
      this.#core.sink.write(JSON.stringify(record));
      return;
    }
    let line = `${ts} ${level.toUpperCase().padEnd(5)} ${this.#component ? `[${this.#component}] ` : ""}${msg}`;
    if (fields) {
      for (const [k, v] of Object.entries(fields)) {
        if (v === undefined) continue;
        const text = typeof v === "string" && /[\s"=]/.test(v) ? JSON.stringify(v) : String(v);
        line += ` ${k}=${text}`;
      }
    }
    this.#core.sink.write(line);
  }
}

export function isLogLevel(value: unknown): value is LogLevel {
  return typeof value === "string" && (LOG_LEVELS as readonly string[]).includes(value);
}

export function isLogFormat(value: unknown): value is LogFormat {
  return value === "text" || value === "json";
}
