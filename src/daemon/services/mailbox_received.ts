// received/ (PROTOCOL-BRIEF §9.2, CLI.md §1.8, §3.7): the 1 GiB quota with in-memory reservations for transfers in
// progress, the start of an incoming file, cleanup of partial files a crash left behind, and the listing and
// clearing `pilotctl received` does without a daemon. Partial and temporary files start with a dot; stored names
// never do (file_names.ts), so listings simply skip dot files.
import { joinPath } from "../../config/mod.ts";
import { isInternalName, sanitizeFileName } from "./file_names.ts";
import { createExclusive, ensureMailboxDir, listDir, randomToken, removeIfPresent } from "./mailbox_fs.ts";
import { IncomingFile, MailboxError } from "./mailbox_incoming.ts";

/** The received/ quota, fixed in v1. */
export const RECEIVED_QUOTA_BYTES = 1024 * 1024 * 1024;
export const PARTIAL_PREFIX = ".partial-";
const PARTIAL_RANDOM_CHARS = 16;

export interface ReceivedFile {
  readonly name: string;
  readonly bytes: number;
  /** RFC 3339 UTC with milliseconds. */
  readonly modified: string;
  readonly path: string;
}

export interface ReceivedStoreOptions {
  readonly quotaBytes?: number;
}

export class ReceivedStore {
  readonly dir: string;
  readonly quotaBytes: number;
  /** Bytes promised to transfers in progress. */
  #reserved = 0;
  /** Quota checks run one at a time, so two transfers never both fit in the same space. */
  #admission: Promise<void> = Promise.resolve();

  constructor(dir: string, options: ReceivedStoreOptions = {}) {
    this.dir = dir;
    this.quotaBytes = options.quotaBytes ?? RECEIVED_QUOTA_BYTES;
  }

  get reservedBytes(): number {
    return this.#reserved;
  }

  /** Creates received/ (0700) and deletes partial files of transfers that never finished; returns how many. */
  async prepare(): Promise<number> {
    await ensureMailboxDir(this.dir);
    let removed = 0;
    for (const entry of await listDir(this.dir)) {
      if (!entry.name.startsWith(PARTIAL_PREFIX)) continue;
      await removeIfPresent(joinPath(this.dir, entry.name));
      removed++;
    }
    return removed;
  }

  /** Bytes of the stored files (partials excluded). */
  async storedBytes(): Promise<number> {
    let total = 0;
    for (const f of await this.list()) total += f.bytes;
    return total;
  }

  /**
   * Starts receiving `size` bytes for a file the sender called `rawName`, reserving the space until the transfer
   * ends. Throws MailboxError `quota_exceeded` when stored files, other transfers and this one exceed the quota.
   */
  begin(rawName: string, size: number): Promise<IncomingFile> {
    const turn = this.#admission.then(() => this.#admit(rawName, size));
    this.#admission = turn.then(() => {}, () => {});
    return turn;
  }

  async #admit(rawName: string, size: number): Promise<IncomingFile> {
    await ensureMailboxDir(this.dir);
    if ((await this.storedBytes()) + this.#reserved + size > this.quotaBytes) {
      throw new MailboxError("quota_exceeded", `received/ quota exceeded (limit ${this.quotaBytes} bytes)`);
    }
    this.#reserved += size;
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      this.#reserved -= size;
    };
    try {
      const partialPath = joinPath(this.dir, PARTIAL_PREFIX + randomToken(PARTIAL_RANDOM_CHARS));
      const file = await createExclusive(partialPath);
      return new IncomingFile({ dir: this.dir, partialPath, file, name: sanitizeFileName(rawName), size, release });
    } catch (err) {
      release();
      throw err;
    }
  }

  /** The stored files (regular files only, partials and links skipped), by name. */
  async list(): Promise<ReceivedFile[]> {
    const out: ReceivedFile[] = [];
    for (const entry of await listDir(this.dir)) {
      if (!entry.isFile || isInternalName(entry.name)) continue;
      const path = joinPath(this.dir, entry.name);
      try {
        const info = await Deno.lstat(path);
        if (!info.isFile) continue;
        out.push({
          name: entry.name,
          bytes: info.size,
          modified: new Date(info.mtime?.getTime() ?? 0).toISOString(),
          path,
        });
      } catch (err) {
        if (!(err instanceof Deno.errors.NotFound)) throw err;
      }
    }
    return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** Deletes every stored file (never a transfer in progress); returns how many. */
  async clear(): Promise<number> {
    let n = 0;
    for (const f of await this.list()) {
      await removeIfPresent(f.path);
      n++;
    }
    return n;
  }
}
