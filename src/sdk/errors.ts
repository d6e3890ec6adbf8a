// The SDK's errors (CLI.md §2, PROTOCOL-BRIEF §8.4): every failure is a PilotError with a `code` from the closed set
// and often a `detail`; errors that crossed the IPC socket are rebuilt as the subclass of their code. The one
// refinement here: "no mutual trust" becomes NotTrustedError, whichever side of the socket raised it.
import {
  ConnectionFailedError,
  NotFoundError,
  NotTrustedError,
  type PilotError,
  toPilotError,
} from "../util/errors.ts";

export {
  AlreadyExistsError,
  ConnectionFailedError,
  ERROR_CODES,
  type ErrorCode,
  InternalError,
  InvalidArgumentError,
  NotFoundError,
  NotRunningError,
  NotTrustedError,
  PilotError,
  TimeoutError,
  UnauthorizedError,
} from "../util/errors.ts";

/** Any thrown value as the PilotError a caller should see; `address` names the peer involved, when one is. */
export function sdkError(err: unknown, address?: string): PilotError {
  const e = toPilotError(err);
  if (
    address !== undefined && !(e instanceof NotTrustedError) && e.code === "unauthorized" &&
    e.detail === "not_trusted"
  ) {
    return new NotTrustedError(address);
  }
  return e;
}

/** Closing something that is already gone (the peer closed it, the daemon went away) is not a failure. */
export function isGone(err: unknown): boolean {
  if (err instanceof NotFoundError) return true;
  if (err instanceof ConnectionFailedError && err.detail === "ipc_closed") return true;
  const e = toPilotError(err);
  return e.code === "not_running";
}
