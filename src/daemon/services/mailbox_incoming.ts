// One file arriving in received/ (PROTOCOL-BRIEF §9.2): content streams into an exclusive 0600 `.partial-<random>`
// while SHA-256 runs over it; only a complete file with the announced hash is synced and linked to its sanitised,
// collision-free name. A mismatch, an abort or any failure deletes the partial, so no final name ever holds a
// partial or unverified file.
import { createHash, type Hash } from "node:crypto";
import { joinPath } from "../../config/mod.ts";
import { bytesEqual, toHex } from "../../util/bytes.ts";
import { InternalError } from "../../util/errors.ts";
import { collisionName } from "./file_names.ts";
import { publishNoClobber, removeIfPresent, syncDir } from "./mailbox_fs.ts";

/** Suffixes tried before giving up on a free name (`-1` … `-9999`). */
export const MAX_COLLISION_SUFFIX = 9999;

export type MailboxErrorCode = "quota_exceeded" | "checksum_mismatch" | "too_large";

/** A refusal the data exchange reports to the sender as an ACK error code. */
export class MailboxError extends Error {
  readonly code: MailboxErrorCode;

  constructor(code: MailboxErrorCode, message: string) {
    super(message);
    this.name = "MailboxError";
    this.code = code;
  }
}

export interface StoredFile {
  /** The final name inside received/. */
  readonly stored: string;
  readonly path: string;
  readonly bytes: number;
  /** Lower-case hex. */
  readonly sha256: string;
}

export interface IncomingFileParts {
  readonly dir: string;
  readonly partialPath: string;
  readonly file: Deno.FsFile;
  /** Already sanitised. */
  readonly name: string;
  readonly size: number;
  /** Returns the quota reservation; called exactly once. */
  readonly release: () => void;
}

export class IncomingFile {
  readonly name: string;
  readonly size: number;
  readonly #parts: IncomingFileParts;
  readonly #hash: Hash = createHash("sha256");
  #written = 0;
  #open = true;
  #settled = false;

  constructor(parts: IncomingFileParts) {
    this.#parts = parts;
    this.name = parts.name;
    this.size = parts.size;
  }

  get written(): number {
    return this.#written;
  }

  get partialPath(): string {
    return this.#parts.partialPath;
  }

  /** Appends content; more than the announced size is refused. */
  async write(chunk: Uint8Array): Promise<void> {
    if (this.#settled) throw new InternalError("write to a finished incoming file");
    if (this.#written + chunk.length > this.size) {
      throw new MailboxError("too_large", `file content exceeds the announced ${this.size} bytes`);
    }
    let off = 0;
    while (off < chunk.length) off += await this.#parts.file.write(chunk.subarray(off));
    this.#hash.update(chunk);
    this.#written += chunk.length;
  }

  /**
   * Verifies the hash, syncs, and publishes under the first free name. Throws MailboxError `checksum_mismatch`
   * (partial deleted) when the content does not match.
   */
  async finish(expectedSha256: Uint8Array): Promise<StoredFile> {
    if (this.#settled) throw new InternalError("incoming file already finished");
    try {
      if (this.#written !== this.size) {
        throw new InternalError(`incoming file ended after ${this.#written} of ${this.size} bytes`);
      }
      const digest = new Uint8Array(this.#hash.digest());
      if (!bytesEqual(digest, expectedSha256)) {
        throw new MailboxError("checksum_mismatch", `sha256 mismatch: received content hashes to ${toHex(digest)}`);
      }
      await this.#parts.file.sync();
      this.#closeFile();
      for (let n = 0; n <= MAX_COLLISION_SUFFIX; n++) {
        const stored = collisionName(this.name, n);
        const path = joinPath(this.#parts.dir, stored);
        if (await publishNoClobber(this.#parts.partialPath, path)) {
          await syncDir(this.#parts.dir);
          this.#settle();
          return { stored, path, bytes: this.size, sha256: toHex(digest) };
        }
      }
      throw new InternalError(`cannot store "${this.name}": no free name in ${this.#parts.dir}`);
    } catch (err) {
      await this.abort();
      throw err;
    }
  }

  /** Deletes the partial file and returns the reservation; safe to call more than once. */
  async abort(): Promise<void> {
    this.#closeFile();
    if (this.#settled) return;
    this.#settle();
    await removeIfPresent(this.#parts.partialPath);
  }

  #closeFile(): void {
    if (!this.#open) return;
    this.#open = false;
    try {
      this.#parts.file.close();
    } catch {
      // already closed by a failed write
    }
  }

  #settle(): void {
    this.#settled = true;
    this.#parts.release();
  }
}
