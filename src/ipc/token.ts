// The Windows fallback's token file (PROTOCOL-BRIEF §8.1, CLI.md §1.8 `ipc.token`, mode 0600): where the daemon's
// loopback TCP listener is and the random 32-byte token a client must present in `hello`.
//
//   {"port":<1..65535>,"token":"<64 lower-case hex digits>"}
//
// The port is stored beside the token because a random listen port is the only one guaranteed free.
import { fromHex, randomBytes, toHex } from "../util/bytes.ts";
import { InternalError } from "../util/errors.ts";
import { IPC_TOKEN_BYTES, IPC_TOKEN_FILE_MODE } from "./constants.ts";

export interface IpcTokenFile {
  readonly port: number;
  /** Hex text of IPC_TOKEN_BYTES random bytes, exactly as sent in `hello`. */
  readonly token: string;
}

const TOKEN_HEX_RE = /^[0-9a-f]{64}$/;
const TOKEN_FILE_MAX_BYTES = 4096;

export function newIpcToken(): string {
  return toHex(randomBytes(IPC_TOKEN_BYTES));
}

export function isIpcToken(value: unknown): value is string {
  return typeof value === "string" && TOKEN_HEX_RE.test(value);
}

/** The token as bytes, for a constant-time comparison. */
export function tokenBytes(token: string): Uint8Array {
  return fromHex(token);
}

/** Reads the token file; null when it is missing or not in the format above (a stale or foreign file). */
export async function readIpcTokenFile(path: string): Promise<IpcTokenFile | null> {
  let text: string;
  try {
    const info = await Deno.stat(path);
    if (!info.isFile || info.size > TOKEN_FILE_MAX_BYTES) return null;
    text = await Deno.readTextFile(path);
  } catch {
    return null;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof value !== "object" || value === null) return null;
  const { port, token } = value as Record<string, unknown>;
  if (typeof port !== "number" || !Number.isInteger(port) || port < 1 || port > 0xffff) return null;
  if (!isIpcToken(token)) return null;
  return { port, token };
}

/** Writes the file 0600 through a temporary name and a rename, so a reader never sees half of it. */
export async function writeIpcTokenFile(path: string, file: IpcTokenFile): Promise<void> {
  const tmp = `${path}.${toHex(randomBytes(4))}.tmp`;
  try {
    await Deno.writeTextFile(tmp, JSON.stringify({ port: file.port, token: file.token }), {
      mode: IPC_TOKEN_FILE_MODE,
      createNew: true,
    });
    await Deno.chmod(tmp, IPC_TOKEN_FILE_MODE).catch(() => {/* Windows has no modes */});
    await Deno.rename(tmp, path);
  } catch (err) {
    await Deno.remove(tmp).catch(() => {});
    throw new InternalError(`cannot write ipc token ${path}: ${err instanceof Error ? err.message : String(err)}`, {
      cause: err,
    });
  }
}

/** Removes the file only if it still holds `token` (a newer daemon may have replaced it). */
export async function removeIpcTokenFile(path: string, token: string): Promise<void> {
  const current = await readIpcTokenFile(path);
  if (current !== null && current.token === token) await Deno.remove(path).catch(() => {});
}
