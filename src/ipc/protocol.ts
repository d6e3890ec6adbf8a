// The JSON messages of IPC (PROTOCOL-BRIEF §8.2): requests, responses, events and the error object that carries a
// PilotError across the socket in both directions (§8.4).
import type { Addr } from "../wire/address.ts";
import { encodeIpcJson } from "../wire/ipc_frame.ts";
import {
  AlreadyExistsError,
  ConnectionFailedError,
  type ErrorCode,
  InternalError,
  InvalidArgumentError,
  isErrorCode,
  NotFoundError,
  NotRunningError,
  PilotError,
  type PilotErrorOptions,
  TimeoutError,
  UnauthorizedError,
} from "../util/errors.ts";
import { REQUEST_ID_MAX } from "./constants.ts";

export type IpcJson = Record<string, unknown>;

/** The `error` member of a failed response or of an `error` event. */
export interface IpcErrorBody {
  readonly code: ErrorCode;
  readonly message: string;
  readonly hint?: string;
  readonly detail?: string;
}

/** One datagram as DATAGRAM frames carry it (§8.2); `localPort` is the client's bound port. */
export interface IpcDatagram {
  readonly localPort: number;
  readonly remote: Addr;
  readonly remotePort: number;
  readonly data: Uint8Array;
}

/** Why a stream connection ended, as the `closed` event reports it (§8.3). */
export type StreamCloseReason = "closed" | "reset" | "timeout" | "not_trusted";

export const EVENT_ERROR = "error";
export const EVENT_EOF = "eof";
export const EVENT_CLOSED = "closed";

export function isRequestId(value: unknown): value is number {
  return typeof value === "number" && Number.isInteger(value) && value >= 1 && value <= REQUEST_ID_MAX;
}

export function errorBody(err: PilotError): IpcErrorBody {
  const body: { code: ErrorCode; message: string; hint?: string; detail?: string } = {
    code: err.code,
    message: err.message,
  };
  if (err.hint !== "") body.hint = err.hint;
  if (err.detail !== undefined) body.detail = err.detail;
  return body;
}

/** `{"id","ok":true,…result}`; the result cannot overwrite `id` or `ok`. */
export function encodeOkResponse(id: number, result: IpcJson): Uint8Array {
  return encodeIpcJson({ ...result, id, ok: true });
}

export function encodeErrorResponse(id: number, err: PilotError): Uint8Array {
  return encodeIpcJson({ id, ok: false, error: errorBody(err) });
}

/** `{"event":name,…fields}`. */
export function encodeEvent(event: string, fields: IpcJson = {}): Uint8Array {
  return encodeIpcJson({ ...fields, event });
}

export function encodeErrorEvent(err: PilotError): Uint8Array {
  return encodeEvent(EVENT_ERROR, { error: errorBody(err) });
}

type ErrorClass = new (message: string, options?: PilotErrorOptions) => PilotError;

// The subclasses callers catch, so `instanceof NotFoundError` works on errors that crossed the socket.
const ERROR_CLASSES: Readonly<Partial<Record<ErrorCode, ErrorClass>>> = {
  invalid_argument: InvalidArgumentError,
  not_found: NotFoundError,
  already_exists: AlreadyExistsError,
  not_running: NotRunningError,
  connection_failed: ConnectionFailedError,
  timeout: TimeoutError,
  unauthorized: UnauthorizedError,
  internal: InternalError,
};

/** Rebuilds the PilotError an error object describes; anything malformed becomes `internal`. */
export function errorFromBody(value: unknown): PilotError {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return new InternalError("daemon sent a malformed error", { detail: "bad_frame" });
  }
  const body = value as IpcJson;
  const message = typeof body.message === "string" && body.message !== "" ? body.message : "unexpected failure";
  const options: PilotErrorOptions = {};
  if (typeof body.hint === "string") options.hint = body.hint;
  if (typeof body.detail === "string") options.detail = body.detail;
  if (!isErrorCode(body.code)) return new InternalError(message, options);
  const cls = ERROR_CLASSES[body.code];
  return cls === undefined ? new PilotError(body.code, message, options) : new cls(message, options);
}

/** The error a stream reader sees for a `closed` event whose reason is not a clean close. */
export function streamCloseError(conn: number, reason: string, body: unknown): PilotError {
  if (body !== undefined) return errorFromBody(body);
  switch (reason) {
    case "reset":
      return new ConnectionFailedError(`connection ${conn} reset by peer`, { detail: "reset" });
    case "timeout":
      return new TimeoutError(`connection ${conn} timed out`, { detail: "idle" });
    case "not_trusted":
      return new UnauthorizedError(`connection ${conn} closed: no mutual trust`, { detail: "not_trusted" });
    default:
      return new ConnectionFailedError(
        reason === "closed" ? `connection ${conn} closed` : `connection ${conn} closed: ${reason}`,
        {
          detail: "closed",
        },
      );
  }
}
