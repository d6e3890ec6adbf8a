// The socket path rules of PROTOCOL-BRIEF §8.1 shared by daemon and clients: the length limit, the `lstat` check that
// an existing path is a socket owned by the current uid, and the standard `not_running` failures of CLI.md §2.
import { AlreadyExistsError, InvalidArgumentError, NotRunningError } from "../util/errors.ts";
import { SOCKET_PATH_MAX_BYTES } from "./constants.ts";

export const NOT_RUNNING_HINT = "pilotctl daemon start";
export const NOT_OWNED_HINT = "use --socket or PILOT_SOCKET with a path you own";
export const ALREADY_RUNNING_HINT = "pilotctl daemon stop";

/**
 * `daemon is not running (socket /tmp/pilot.sock)`: the socket is missing or nobody answers on it. `where` is
 * `socket <path>` (or the loopback port / token file in TCP mode).
 */
export function daemonNotRunningError(where: string, cause?: unknown): NotRunningError {
  return new NotRunningError(`daemon is not running (${where})`, { hint: NOT_RUNNING_HINT, cause });
}

export function daemonAlreadyRunningError(where: string): AlreadyExistsError {
  return new AlreadyExistsError(`daemon is already running (${where})`, {
    hint: ALREADY_RUNNING_HINT,
    detail: "daemon_running",
  });
}

function notOwnedError(message: string): NotRunningError {
  return new NotRunningError(message, { hint: NOT_OWNED_HINT });
}

/** Rejects an empty path or one over 100 bytes (§8.1) with `invalid_argument`. */
export function validateSocketPath(path: string): void {
  const bytes = new TextEncoder().encode(path).length;
  if (bytes === 0) throw new InvalidArgumentError('invalid socket path "": empty', { detail: "bad_path" });
  if (bytes > SOCKET_PATH_MAX_BYTES) {
    throw new InvalidArgumentError(
      `invalid socket path "${path}": ${bytes} bytes, longer than ${SOCKET_PATH_MAX_BYTES}`,
      { detail: "too_large" },
    );
  }
}

/**
 * `lstat`s the path: "missing" when nothing is there, "ours" for a socket owned by the current uid. Anything else —
 * another user's socket, a regular file, a symlink — is refused with `not_running` and the "path you own" hint, so
 * neither end ever talks to (or deletes) something another user placed there.
 */
export async function inspectSocketPath(path: string): Promise<"missing" | "ours"> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.lstat(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return "missing";
    throw notOwnedError(`cannot inspect socket ${path}: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (info.isSocket !== true) throw notOwnedError(`socket ${path} is not a socket`);
  const uid = Deno.uid();
  if (uid !== null && info.uid !== null && info.uid !== uid) {
    throw notOwnedError(`socket ${path} is owned by uid ${info.uid}`);
  }
  return "ours";
}
