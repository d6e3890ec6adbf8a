// File-system primitives of the mailbox (PROTOCOL-BRIEF §9.2, CLI.md §1.8): private directories that are real
// directories, exclusive 0600 creation, and publishing a finished file under its final name without ever replacing
// another file, durably (file and directory fsync) so that what was acknowledged survives a crash.
import { ensurePrivateDir, joinPath, PRIVATE_FILE_MODE } from "../../config/mod.ts";
import { randomBytes } from "../../util/bytes.ts";
import { InternalError } from "../../util/errors.ts";

const TOKEN_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789";
// The largest multiple of the alphabet size below 256: bytes above it are redrawn so every character is equally likely.
const TOKEN_BYTE_LIMIT = 252;

/** `n` random characters of `[a-z0-9]` (message ids, partial and temporary file names). */
export function randomToken(n: number): string {
  let out = "";
  while (out.length < n) {
    for (const b of randomBytes(n)) {
      if (b < TOKEN_BYTE_LIMIT && out.length < n) out += TOKEN_ALPHABET[b % TOKEN_ALPHABET.length];
    }
  }
  return out;
}

/** Creates `dir` with mode 0700 when missing, and refuses a symbolic link where the directory should be. */
export async function ensureMailboxDir(dir: string): Promise<void> {
  await ensurePrivateDir(dir);
  const info = await Deno.lstat(dir);
  if (info.isSymlink || !info.isDirectory) {
    throw new InternalError(`cannot use ${dir}: not a directory (a symbolic link or a file is in the way)`);
  }
}

/** Opens a new file exclusively (never an existing file, never through a symbolic link) with mode 0600. */
export function createExclusive(path: string): Promise<Deno.FsFile> {
  return Deno.open(path, { write: true, createNew: true, mode: PRIVATE_FILE_MODE });
}

/** Makes a rename or link in `dir` durable; best effort where directories cannot be opened (Windows). */
export async function syncDir(dir: string): Promise<void> {
  if (Deno.build.os === "windows") return;
  let handle: Deno.FsFile | null = null;
  try {
    handle = await Deno.open(dir, { read: true });
    await handle.sync();
  } catch {
    // some file systems refuse fsync on a directory; the data itself was synced
  } finally {
    handle?.close();
  }
}

/**
 * Gives the complete file `from` the name `to` in the same directory, unless `to` exists (false then). A hard link
 * fails instead of replacing, which makes the check and the rename one atomic step; file systems without links fall
 * back to check-then-rename.
 */
export async function publishNoClobber(from: string, to: string): Promise<boolean> {
  try {
    await Deno.link(from, to);
  } catch (err) {
    if (err instanceof Deno.errors.AlreadyExists) return false;
    if (await exists(to)) return false;
    await Deno.rename(from, to);
    return true;
  }
  await Deno.remove(from);
  return true;
}

/** Whether anything (a symbolic link included) has this path. */
export async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return false;
    throw err;
  }
}

/** Removes a file, ignoring one that is already gone. */
export async function removeIfPresent(path: string): Promise<void> {
  try {
    await Deno.remove(path);
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
}

/** Writes `data` to a new temporary file in `dir` and syncs it; returns its path (the caller publishes it). */
export async function writeTemp(dir: string, prefix: string, data: Uint8Array): Promise<string> {
  const path = joinPath(dir, `${prefix}${randomToken(12)}`);
  const file = await createExclusive(path);
  try {
    let off = 0;
    while (off < data.length) off += await file.write(data.subarray(off));
    await file.sync();
  } catch (err) {
    file.close();
    await removeIfPresent(path).catch(() => {});
    throw err;
  }
  file.close();
  return path;
}

/** The directory entries of `dir`, or none when it does not exist. */
export async function listDir(dir: string): Promise<Deno.DirEntry[]> {
  const out: Deno.DirEntry[] = [];
  try {
    for await (const entry of Deno.readDir(dir)) out.push(entry);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return [];
    throw err;
  }
  return out;
}
