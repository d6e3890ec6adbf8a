// The receiving side of the data exchange codec (PROTOCOL-BRIEF §9.2, §10): a pure incremental parser fed chunks as
// they arrive (split or coalesced). Messages are collected whole (≤ 1 MiB, checked at the header, before buffering);
// FILE content is handed out in chunks as it arrives, so a 100 MB file never sits in memory; unknown types are
// skipped. Violations throw DataFrameError, after which the reader stays failed.
import { decodeUtf8Strict } from "../../util/bytes.ts";
import {
  DataFrameError,
  FILE_NAME_MAX_BYTES,
  FILE_NAME_MIN_BYTES,
  FILE_PREFIX_FIXED_BYTES,
  FRAME_HEADER_BYTES,
  FrameType,
  MAX_MESSAGE_BYTES,
  type MessageFrameType,
} from "./data_exchange_codec.ts";
import { ByteQueue } from "./service_stream.ts";

export type DataEvent =
  | { readonly kind: "message"; readonly type: MessageFrameType; readonly payload: Uint8Array }
  | { readonly kind: "file_start"; readonly name: string; readonly sha256: Uint8Array; readonly size: number }
  /** Valid until the next push. */
  | { readonly kind: "file_data"; readonly bytes: Uint8Array }
  | { readonly kind: "file_end" }
  /** A frame of no supported type, after its payload was skipped. */
  | { readonly kind: "skipped"; readonly type: number; readonly length: number };

export interface DataReaderLimits {
  readonly maxMessageBytes?: number;
  /** `max_file_size`. */
  readonly maxFileBytes: number;
}

type State =
  | { readonly at: "header" }
  | { readonly at: "message"; readonly type: MessageFrameType; readonly length: number }
  | { readonly at: "file_prefix"; readonly length: number }
  | { readonly at: "file_data"; left: number }
  | { readonly at: "skip"; readonly type: number; readonly length: number; left: number }
  | { readonly at: "failed"; readonly error: DataFrameError };

const MESSAGE_TYPES: ReadonlySet<number> = new Set([
  FrameType.TEXT,
  FrameType.BINARY,
  FrameType.JSON,
  FrameType.BROADCAST,
]);

export function fileTooLargeMessage(limit: number): string {
  return `file too large for receiver (limit ${limit} bytes)`;
}

export class DataFrameReader {
  readonly #queue = new ByteQueue();
  readonly #maxMessage: number;
  readonly #maxFile: number;
  #state: State = { at: "header" };

  constructor(limits: DataReaderLimits) {
    this.#maxMessage = limits.maxMessageBytes ?? MAX_MESSAGE_BYTES;
    this.#maxFile = limits.maxFileBytes;
  }

  push(chunk: Uint8Array): void {
    this.#queue.push(chunk);
  }

  /** End of stream here would cut a frame short. */
  get midFrame(): boolean {
    return this.#state.at !== "header" || this.#queue.length > 0;
  }

  /** The next event, or null when more bytes are needed. */
  next(): DataEvent | null {
    const st = this.#state;
    switch (st.at) {
      case "failed":
        throw st.error;
      case "header":
        return this.#header();
      case "message": {
        if (this.#queue.length < st.length) return null;
        this.#state = { at: "header" };
        return { kind: "message", type: st.type, payload: this.#queue.take(st.length) };
      }
      case "file_prefix":
        return this.#filePrefix(st.length);
      case "file_data": {
        if (st.left === 0) {
          this.#state = { at: "header" };
          return { kind: "file_end" };
        }
        if (this.#queue.length === 0) return null;
        const bytes = this.#queue.takeUpTo(st.left);
        st.left -= bytes.length;
        return { kind: "file_data", bytes };
      }
      case "skip": {
        st.left -= this.#queue.skip(st.left);
        if (st.left > 0) return null;
        this.#state = { at: "header" };
        return { kind: "skipped", type: st.type, length: st.length };
      }
    }
  }

  #fail(error: DataFrameError): never {
    this.#state = { at: "failed", error };
    throw error;
  }

  #header(): DataEvent | null {
    if (this.#queue.length < FRAME_HEADER_BYTES) return null;
    const head = this.#queue.take(FRAME_HEADER_BYTES);
    const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
    const type = view.getUint32(0);
    const length = view.getUint32(4);
    if (MESSAGE_TYPES.has(type)) {
      if (length > this.#maxMessage) {
        this.#fail(
          new DataFrameError(
            `message too large (${length} bytes, limit ${this.#maxMessage} bytes)`,
            "too_large",
            type,
            length,
          ),
        );
      }
      this.#state = { at: "message", type: type as MessageFrameType, length };
    } else if (type === FrameType.FILE) {
      if (length < FILE_PREFIX_FIXED_BYTES + FILE_NAME_MIN_BYTES) {
        this.#fail(new DataFrameError(`file frame of ${length} bytes is shorter than its header`, "bad_frame", type));
      }
      this.#state = { at: "file_prefix", length };
    } else {
      this.#state = { at: "skip", type, length, left: length };
    }
    return this.next();
  }

  #filePrefix(length: number): DataEvent | null {
    if (this.#queue.length < 2) return null;
    const lenBytes = this.#queue.peek(2);
    const nameLength = (lenBytes[0] << 8) | lenBytes[1];
    const prefix = FILE_PREFIX_FIXED_BYTES + nameLength;
    if (nameLength < FILE_NAME_MIN_BYTES || nameLength > FILE_NAME_MAX_BYTES) {
      this.#fail(new DataFrameError(`invalid file name length ${nameLength} (1-255)`, "bad_frame", FrameType.FILE));
    }
    if (prefix > length) {
      this.#fail(new DataFrameError(`file name overruns the ${length}-byte frame`, "bad_frame", FrameType.FILE));
    }
    if (this.#queue.length < prefix) return null;
    const bytes = this.#queue.take(prefix);
    const name = decodeUtf8Strict(bytes.subarray(2, 2 + nameLength));
    if (name === null) this.#fail(new DataFrameError("file name is not UTF-8", "bad_frame", FrameType.FILE));
    const size = length - prefix;
    if (size > this.#maxFile) {
      this.#fail(new DataFrameError(fileTooLargeMessage(this.#maxFile), "too_large", FrameType.FILE, size));
    }
    this.#state = { at: "file_data", left: size };
    return { kind: "file_start", name, sha256: bytes.slice(2 + nameLength), size };
  }
}
