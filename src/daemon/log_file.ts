// The daemon's own log file (CLI.md §1.8, §3.1 `--log-file`): lines are appended to a 0600 file; when it reaches
// 10 MiB it is renamed to `<file>.1` (replacing the previous one) and a fresh file is started.
import type { LogSink } from "../log/logger.ts";
import { InternalError } from "../util/errors.ts";

export const LOG_ROTATE_BYTES = 10 * 1024 * 1024;
export const LOG_FILE_MODE = 0o600;
export const ROTATED_SUFFIX = ".1";

const encoder = new TextEncoder();

export class RotatingFileSink implements LogSink, Disposable {
  readonly path: string;
  readonly #maxBytes: number;
  #file: Deno.FsFile | null;
  #size: number;

  private constructor(path: string, maxBytes: number, file: Deno.FsFile, size: number) {
    this.path = path;
    this.#maxBytes = maxBytes;
    this.#file = file;
    this.#size = size;
  }

  /** Opens (creating 0600) the file for appending; failure is `internal` naming the path. */
  static open(path: string, maxBytes: number = LOG_ROTATE_BYTES): RotatingFileSink {
    const [file, size] = openAppend(path);
    return new RotatingFileSink(path, maxBytes, file, size);
  }

  /** Bytes in the current file. */
  get size(): number {
    return this.#size;
  }

  write(line: string): void {
    const file = this.#file;
    if (file === null) return;
    const bytes = encoder.encode(line + "\n");
    try {
      let offset = 0;
      while (offset < bytes.length) offset += file.writeSync(bytes.subarray(offset));
      this.#size += bytes.length;
    } catch {
      // A full disk must not take the daemon down; the line is lost.
      return;
    }
    if (this.#size >= this.#maxBytes) this.#rotate();
  }

  close(): void {
    try {
      this.#file?.close();
    } catch {
      // already closed
    }
    this.#file = null;
  }

  [Symbol.dispose](): void {
    this.close();
  }

  #rotate(): void {
    this.close();
    try {
      Deno.renameSync(this.path, this.path + ROTATED_SUFFIX);
    } catch {
      // keep appending to the old file rather than losing the log
    }
    try {
      [this.#file, this.#size] = openAppend(this.path);
    } catch {
      this.#file = null;
    }
  }
}

function openAppend(path: string): [Deno.FsFile, number] {
  try {
    const file = Deno.openSync(path, { append: true, create: true, mode: LOG_FILE_MODE });
    if (Deno.build.os !== "windows") Deno.chmodSync(path, LOG_FILE_MODE);
    return [file, file.statSync().size];
  } catch (err) {
    throw new InternalError(`cannot open log file ${path}: ${err instanceof Error ? err.message : String(err)}`, {
      cause: err,
    });
  }
}
