// IPC framing between CLI/SDK and daemon (PROTOCOL-BRIEF §8.2): the registry's length-prefixed framing with a kind
// byte in front of the body. The incremental reader is FrameReader (registry_frame.ts) plus kind decoding.
//
//   +-----------------------------------+--------+---------------------------+
//   | length u32 (= 1 + body length)    |  kind  | body                      |     1 ≤ length ≤ 1 MiB
//   +-----------------------------------+--------+---------------------------+
//   kind 0x01 JSON         body = UTF-8 JSON object
//   kind 0x02 STREAM_DATA  body = id u32 ‖ conn u32 ‖ bytes
//   kind 0x03 DATAGRAM     body = id u32 ‖ local_port u16 ‖ remote addr (6) ‖ remote_port u16 ‖ bytes
import { type Addr, ADDR_BYTES, decodeAddr, writeAddr } from "./address.ts";
import { WireFormatError } from "./errors.ts";
import { encodeJsonBody, FRAME_LENGTH_BYTES, FrameReader } from "./registry_frame.ts";

export const MAX_IPC_FRAME_BYTES = 1_048_576;
export const IPC_KIND_JSON = 0x01;
export const IPC_KIND_STREAM_DATA = 0x02;
export const IPC_KIND_DATAGRAM = 0x03;
const KIND_BYTES = 1;
const STREAM_DATA_HEADER_BYTES = 8;
const DATAGRAM_HEADER_BYTES = 4 + 2 + ADDR_BYTES + 2;
/** The most data one STREAM_DATA frame carries. */
export const IPC_STREAM_DATA_MAX_BYTES = MAX_IPC_FRAME_BYTES - KIND_BYTES - STREAM_DATA_HEADER_BYTES;
/** The most data one DATAGRAM frame carries. */
export const IPC_DATAGRAM_MAX_BYTES = MAX_IPC_FRAME_BYTES - KIND_BYTES - DATAGRAM_HEADER_BYTES;

export type IpcFrame =
  | { readonly kind: "json"; readonly body: Uint8Array }
  | { readonly kind: "stream_data"; readonly id: number; readonly conn: number; readonly data: Uint8Array }
  | {
    readonly kind: "datagram";
    readonly id: number;
    readonly localPort: number;
    readonly remote: Addr;
    readonly remotePort: number;
    readonly data: Uint8Array;
  };

function encodeError(field: string, offset: number, what: string): WireFormatError {
  return new WireFormatError(`cannot encode ipc frame: ${what}`, field, offset);
}

/** Allocates the whole frame and writes length and kind; the caller fills the body from offset 5. */
function frameShell(kind: number, bodyBytes: number): Uint8Array {
  const length = KIND_BYTES + bodyBytes;
  if (length > MAX_IPC_FRAME_BYTES) throw encodeError("length", 0, `length ${length} exceeds ${MAX_IPC_FRAME_BYTES}`);
  const out = new Uint8Array(FRAME_LENGTH_BYTES + length);
  new DataView(out.buffer).setUint32(0, length);
  out[FRAME_LENGTH_BYTES] = kind;
  return out;
}

export function encodeIpcFrame(f: IpcFrame): Uint8Array {
  const at = FRAME_LENGTH_BYTES + KIND_BYTES;
  switch (f.kind) {
    case "json": {
      const out = frameShell(IPC_KIND_JSON, f.body.length);
      out.set(f.body, at);
      return out;
    }
    case "stream_data": {
      if (f.id >>> 0 !== f.id) throw encodeError("id", at, `bad id ${f.id}`);
      if (f.conn >>> 0 !== f.conn) throw encodeError("conn", at + 4, `bad conn ${f.conn}`);
      const out = frameShell(IPC_KIND_STREAM_DATA, STREAM_DATA_HEADER_BYTES + f.data.length);
      const v = new DataView(out.buffer);
      v.setUint32(at, f.id);
      v.setUint32(at + 4, f.conn);
      out.set(f.data, at + STREAM_DATA_HEADER_BYTES);
      return out;
    }
    case "datagram": {
      if (f.id >>> 0 !== f.id) throw encodeError("id", at, `bad id ${f.id}`);
      if ((f.localPort & 0xffff) !== f.localPort) throw encodeError("local_port", at + 4, `bad port ${f.localPort}`);
      if ((f.remotePort & 0xffff) !== f.remotePort) {
        throw encodeError("remote_port", at + 12, `bad port ${f.remotePort}`);
      }
      const out = frameShell(IPC_KIND_DATAGRAM, DATAGRAM_HEADER_BYTES + f.data.length);
      const v = new DataView(out.buffer);
      v.setUint32(at, f.id);
      v.setUint16(at + 4, f.localPort);
      writeAddr(out, at + 6, f.remote);
      v.setUint16(at + 12, f.remotePort);
      out.set(f.data, at + DATAGRAM_HEADER_BYTES);
      return out;
    }
  }
}

/** A JSON frame holding `JSON.stringify(obj)`. */
export function encodeIpcJson(obj: object): Uint8Array {
  return encodeIpcFrame({ kind: "json", body: encodeJsonBody(obj) });
}

/**
 * Decodes the `kind ‖ body` part of one frame (what FrameReader returns). Byte fields are views of `frame`.
 * Unknown kind → field `ipc_kind`; a body too short for its kind → field `ipc_body`.
 */
export function decodeIpcFrame(frame: Uint8Array): IpcFrame {
  if (frame.length < KIND_BYTES) throw new WireFormatError("invalid ipc frame: empty", "ipc_body", 0);
  const body = frame.subarray(KIND_BYTES);
  const v = new DataView(body.buffer, body.byteOffset, body.byteLength);
  switch (frame[0]) {
    case IPC_KIND_JSON:
      return { kind: "json", body };
    case IPC_KIND_STREAM_DATA:
      if (body.length < STREAM_DATA_HEADER_BYTES) throw shortBody("stream_data", body.length);
      return { kind: "stream_data", id: v.getUint32(0), conn: v.getUint32(4), data: body.subarray(8) };
    case IPC_KIND_DATAGRAM:
      if (body.length < DATAGRAM_HEADER_BYTES) throw shortBody("datagram", body.length);
      return {
        kind: "datagram",
        id: v.getUint32(0),
        localPort: v.getUint16(4),
        remote: decodeAddr(body, 6),
        remotePort: v.getUint16(12),
        data: body.subarray(DATAGRAM_HEADER_BYTES),
      };
    default:
      throw new WireFormatError(`invalid ipc frame: kind ${frame[0]}`, "ipc_kind", 0);
  }
}

function shortBody(kind: string, n: number): WireFormatError {
  return new WireFormatError(`invalid ipc frame: ${kind} body of ${n} bytes`, "ipc_body", KIND_BYTES);
}

export type IpcReadResult =
  | { readonly kind: "frame"; readonly frame: IpcFrame }
  | { readonly kind: "need_more" }
  | { readonly kind: "too_large"; readonly length: number }
  | { readonly kind: "malformed"; readonly error: WireFormatError };

/**
 * Incremental IPC frame decoder: push(chunk), then next() until `need_more`. `too_large` (length 0 or > 1 MiB)
 * means framing is lost; `malformed` (bad kind or short body) leaves framing intact. Either way §8.2 says: send an
 * error event and close the client. Frames own their bytes (FrameReader copies).
 */
/** What an idle IPC frame reader keeps of its buffer (there are only a few IPC connections per daemon). */
const IPC_READER_RETAIN_BYTES = 512 * 1024;

export class IpcFrameReader {
  // A local client streams frames of up to 64 KiB back to back: keeping a few of them worth of buffer avoids a new
  // allocation (and a regrowth by copying) every time the buffer drains.
  readonly #frames = new FrameReader(MAX_IPC_FRAME_BYTES, IPC_READER_RETAIN_BYTES);

  get bufferedBytes(): number {
    return this.#frames.bufferedBytes;
  }

  get failed(): boolean {
    return this.#frames.failed;
  }

  push(chunk: Uint8Array): void {
    this.#frames.push(chunk);
  }

  next(): IpcReadResult {
    const r = this.#frames.next();
    if (r.kind !== "frame") return r;
    try {
      return { kind: "frame", frame: decodeIpcFrame(r.body) };
    } catch (err) {
      if (err instanceof WireFormatError) return { kind: "malformed", error: err };
      throw err;
    }
  }
}
