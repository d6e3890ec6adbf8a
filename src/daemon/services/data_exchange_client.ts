// The sending side of the data exchange, port 1001 (PROTOCOL-BRIEF §9.2), used by `send-message`, `send-file` and
// `broadcast`: writes frames and reads the one ACK each earns, in order. A file's ACK is awaited while its content
// is still being written, so a receiver that refuses early (too large, quota) is heard instead of a reset.
import { ConnectionFailedError } from "../../util/errors.ts";
import {
  type Ack,
  DataFrameError,
  decodeAck,
  encodeBroadcastPayload,
  encodeFileFrameStart,
  encodeFrame,
  FRAME_HEADER_BYTES,
  FrameType,
  MAX_ACK_BYTES,
} from "./data_exchange_codec.ts";
import { ByteQueue, type ServiceStream } from "./service_stream.ts";

/** Whole ACK frames from a byte stream; anything else breaks the framing (DataFrameError `bad_frame`). */
export class AckReader {
  readonly #queue = new ByteQueue();

  push(chunk: Uint8Array): void {
    this.#queue.push(chunk);
  }

  /** The next ACK, or null when more bytes are needed. */
  next(): Ack | null {
    if (this.#queue.length < FRAME_HEADER_BYTES) return null;
    const head = this.#queue.peek(FRAME_HEADER_BYTES);
    const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
    const type = view.getUint32(0);
    const length = view.getUint32(4);
    if (type !== FrameType.ACK) throw new DataFrameError(`expected an ACK frame, got type ${type}`, "bad_frame", type);
    if (length > MAX_ACK_BYTES) throw new DataFrameError(`ACK of ${length} bytes`, "bad_frame", type, length);
    if (this.#queue.length < FRAME_HEADER_BYTES + length) return null;
    this.#queue.skip(FRAME_HEADER_BYTES);
    return decodeAck(this.#queue.take(length));
  }
}

/** A file to send: its content is read once more for sending, after the hash was computed. */
export interface OutgoingFile {
  readonly name: string;
  readonly size: number;
  readonly sha256: Uint8Array;
  readonly content: AsyncIterable<Uint8Array>;
}

export class DataExchangeSender {
  readonly #stream: ServiceStream;
  /** Who is on the other end, for messages: `0:0000.0000.0101`. */
  readonly #peer: string;
  readonly #acks = new AckReader();
  #seq = 0;

  constructor(stream: ServiceStream, peer: string) {
    this.#stream = stream;
    this.#peer = peer;
  }

  /** One TEXT, BINARY or JSON frame; resolves with its ACK (which may be an error ACK). */
  async sendMessage(type: number, payload: Uint8Array): Promise<Ack> {
    const seq = ++this.#seq;
    await this.#stream.write(encodeFrame(type, payload));
    return await this.#readAck(seq);
  }

  async sendBroadcast(network: number, text: string): Promise<Ack> {
    return await this.sendMessage(FrameType.BROADCAST, encodeBroadcastPayload(network, text));
  }

  /** One FILE frame streamed from `file.content`, which must yield exactly `file.size` bytes. */
  async sendFile(file: OutgoingFile, onProgress?: (sent: number) => void): Promise<Ack> {
    const seq = ++this.#seq;
    let early = false;
    const ack = this.#readAck(seq);
    ack.then(() => early = true, () => early = true);
    try {
      await this.#stream.write(encodeFileFrameStart(file.name, file.sha256, file.size));
      let sent = 0;
      for await (const chunk of file.content) {
        if (early) break;
        const part = chunk.subarray(0, file.size - sent);
        if (part.length > 0) await this.#stream.write(part);
        sent += part.length;
        onProgress?.(sent);
        if (sent === file.size) break;
      }
      if (sent < file.size && !early) {
        throw new ConnectionFailedError(`file changed while sending: ${sent} of ${file.size} bytes read`);
      }
    } catch (writeError) {
      if (!early) {
        this.#stream.abort();
        await ack.catch(() => {});
        throw writeError;
      }
    }
    return await ack;
  }

  /** Half-closes: no more frames. */
  async finish(): Promise<void> {
    await this.#stream.closeWrite();
  }

  async #readAck(seq: number): Promise<Ack> {
    for (;;) {
      let ack: Ack | null;
      try {
        ack = this.#acks.next();
      } catch (err) {
        const why = err instanceof Error ? err.message : String(err);
        throw new ConnectionFailedError(`invalid acknowledgement from ${this.#peer}: ${why}`, { detail: "bad_ack" });
      }
      if (ack !== null) {
        if (ack.seq !== seq) {
          throw new ConnectionFailedError(
            `invalid acknowledgement from ${this.#peer}: seq ${ack.seq}, expected ${seq}`,
            { detail: "bad_ack" },
          );
        }
        return ack;
      }
      const chunk = await this.#stream.read();
      if (chunk === null) {
        throw new ConnectionFailedError(`${this.#peer} closed the connection without acknowledging`, {
          detail: "closed",
        });
      }
      this.#acks.push(chunk);
    }
  }
}
