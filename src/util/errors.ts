// The error hierarchy of CLI.md §2: a closed set of codes that crosses the IPC boundary and maps to exit status.

/** The closed set of error codes (CLI.md §2). No other code is ever emitted. */
export const ERROR_CODES = [
  "invalid_argument",
  "not_found",
  "already_exists",
  "not_running",
  "connection_failed",
  "timeout",
  "unauthorized",
  "internal",
] as const;

export type ErrorCode = typeof ERROR_CODES[number];

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === "string" && (ERROR_CODES as readonly string[]).includes(value);
}

export interface PilotErrorOptions {
  /** What the user can do about it; `""` when there is nothing to suggest. */
  hint?: string;
  /** Machine-readable refinement of the code (PROTOCOL-BRIEF §8.4), e.g. `bad_address`, `not_trusted`. */
  detail?: string;
  cause?: unknown;
}

/** Base of every error the program reports on purpose. */
export class PilotError extends Error {
  readonly code: ErrorCode;
  readonly hint: string;
  readonly detail?: string;

  constructor(code: ErrorCode, message: string, options: PilotErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "PilotError";
    this.code = code;
    this.hint = options.hint ?? "";
    this.detail = options.detail;
  }

  /** The JSON shape used on IPC and in `--json` error envelopes. */
  toJSON(): { code: ErrorCode; message: string; hint: string; detail?: string } {
    const out: { code: ErrorCode; message: string; hint: string; detail?: string } = {
      code: this.code,
      message: this.message,
      hint: this.hint,
    };
    if (this.detail !== undefined) out.detail = this.detail;
    return out;
  }
}

/** Wrong input: syntax, a value, a limit exceeded. */
export class InvalidArgumentError extends PilotError {
  constructor(message: string, options: PilotErrorOptions = {}) {
    super("invalid_argument", message, options);
    this.name = "InvalidArgumentError";
  }
}

/** A command-line usage error: exit 2 (CLI.md §1.2). */
export class UsageError extends PilotError {
  constructor(message: string, command?: string) {
    super("invalid_argument", message, {
      hint: command ? `pilotctl ${command} --help` : "pilotctl --help",
      detail: "usage",
    });
    this.name = "UsageError";
  }
}

export class NotFoundError extends PilotError {
  constructor(message: string, options: PilotErrorOptions = {}) {
    super("not_found", message, options);
    this.name = "NotFoundError";
  }
}

export class AlreadyExistsError extends PilotError {
  constructor(message: string, options: PilotErrorOptions = {}) {
    super("already_exists", message, options);
    this.name = "AlreadyExistsError";
  }
}

export class NotRunningError extends PilotError {
  constructor(message: string, options: PilotErrorOptions = {}) {
    super("not_running", message, options);
    this.name = "NotRunningError";
  }
}

export class ConnectionFailedError extends PilotError {
  constructor(message: string, options: PilotErrorOptions = {}) {
    super("connection_failed", message, options);
    this.name = "ConnectionFailedError";
  }
}

export class TimeoutError extends PilotError {
  constructor(message: string, options: PilotErrorOptions = {}) {
    super("timeout", message, options);
    this.name = "TimeoutError";
  }
}

/** No mutual trust with a peer (PROTOCOL-BRIEF §6.4). */
export class NotTrustedError extends PilotError {
  constructor(address: string) {
    super("unauthorized", `no mutual trust with ${address}`, {
      hint: `pilotctl handshake ${address}`,
      detail: "not_trusted",
    });
    this.name = "NotTrustedError";
  }
}

export class UnauthorizedError extends PilotError {
  constructor(message: string, options: PilotErrorOptions = {}) {
    super("unauthorized", message, options);
    this.name = "UnauthorizedError";
  }
}

export class InternalError extends PilotError {
  constructor(message: string, options: PilotErrorOptions = {}) {
    super("internal", message, options);
    this.name = "InternalError";
  }
}

/** Turns anything thrown into a PilotError; unknown failures become `internal` without a stack trace. */
export function toPilotError(err: unknown): PilotError {
  if (err instanceof PilotError) return err;
  if (err instanceof Deno.errors.NotFound) return new NotFoundError(err.message);
  if (err instanceof Deno.errors.AlreadyExists || err instanceof Deno.errors.AddrInUse) {
    return new AlreadyExistsError(err.message);
  }
  if (err instanceof Deno.errors.PermissionDenied) return new UnauthorizedError(err.message);
  if (err instanceof Deno.errors.ConnectionRefused || err instanceof Deno.errors.ConnectionReset) {
    return new ConnectionFailedError(err.message);
  }
  if (err instanceof Deno.errors.TimedOut) return new TimeoutError(err.message);
  const message = err instanceof Error ? err.message : String(err);
  return new InternalError(message || "unexpected failure", { cause: err });
}
