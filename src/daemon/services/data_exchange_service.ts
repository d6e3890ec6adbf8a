// The data exchange service, port 1001 (PROTOCOL-BRIEF §9.2, §10): reads frames off one trusted stream and answers
// each with exactly one ACK, in order. Messages go to the inbox and files to received/, both durably BEFORE their
// ACK, so an acknowledged message is never lost. The sender is the tunnel's peer, never a payload field. A broken
// limit (size, quota, file name) is an error ACK and the end of the connection; an unknown type is skipped.
import type { Logger } from "../../log/logger.ts";
import { decodeUtf8Strict } from "../../util/bytes.ts";
import {
  type Ack,
  type AckErrorCode,
  ackTypeOf,
  DataFrameError,
  decodeBroadcastPayload,
  encodeAck,
  FrameType,
} from "./data_exchange_codec.ts";
import { type DataEvent, DataFrameReader } from "./data_exchange_reader.ts";
import type { InboxMessageType, InboxStore } from "./mailbox_inbox.ts";
import { type IncomingFile, MailboxError } from "./mailbox_incoming.ts";
import type { ReceivedStore } from "./mailbox_received.ts";
import {
  abortOnSignal,
  finishStream,
  SERVICE_CLOSE_GRACE_MS,
  type ServicePeer,
  type ServiceStream,
  type StreamService,
  type WebhookEmitter,
} from "./service_stream.ts";

export const DATA_EXCHANGE_PORT = 1001;

export interface DataExchangeDeps {
  readonly inbox: InboxStore;
  readonly received: ReceivedStore;
  /** This node, for the BROADCAST membership check. */
  readonly selfNode: number;
  /** Whether `node` is a member of `network` (the daemon caches the registry's member lists). */
  readonly isMember: (network: number, node: number) => boolean | Promise<boolean>;
  /** `max_file_size`, read when a connection starts. */
  readonly maxFileBytes: () => number;
  readonly webhooks?: WebhookEmitter;
  readonly log?: Logger;
  /** How long a closing connection may take to deliver its last ACKs before it is reset. */
  readonly closeGraceMs?: number;
}

export interface DataExchangeStats {
  readonly connections: number;
  readonly messages: number;
  readonly files: number;
  /** Frames answered with an error ACK. */
  readonly refused: number;
}

/** An ACK and whether the connection ends after it. */
interface Outcome {
  readonly ack: Ack;
  readonly fatal: boolean;
}

function errorAck(seq: number, frameType: number, bytes: number, code: AckErrorCode, message: string): Ack {
  return { seq, status: "error", type: ackTypeOf(frameType), bytes, code, message };
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

interface FileInProgress {
  readonly seq: number;
  readonly incoming: IncomingFile;
  readonly sha256: Uint8Array;
}

export class DataExchangeService implements StreamService {
  readonly #deps: DataExchangeDeps;
  #connections = 0;
  #messages = 0;
  #files = 0;
  #refused = 0;

  constructor(deps: DataExchangeDeps) {
    this.#deps = deps;
  }

  /** Creates received/ and removes the partial files and inbox temporaries a previous run left behind. */
  async start(): Promise<void> {
    const removed = await this.#deps.received.prepare();
    if (removed > 0) this.#deps.log?.info("removed stale partial files", { count: removed });
    const temporaries = await this.#deps.inbox.prepare();
    if (temporaries > 0) this.#deps.log?.info("removed stale inbox temporaries", { count: temporaries });
  }

  stats(): DataExchangeStats {
    return { connections: this.#connections, messages: this.#messages, files: this.#files, refused: this.#refused };
  }

  async serve(stream: ServiceStream, peer: ServicePeer, signal?: AbortSignal): Promise<void> {
    this.#connections++;
    const unlisten = abortOnSignal(stream, signal);
    const reader = new DataFrameReader({ maxFileBytes: this.#deps.maxFileBytes() });
    let seq = 0;
    let file: FileInProgress | null = null;
    try {
      for (;;) {
        let ev: DataEvent | null;
        try {
          ev = reader.next();
        } catch (err) {
          if (!(err instanceof DataFrameError)) throw err;
          seq++;
          await this.#reply(stream, peer, errorAck(seq, err.frameType, err.length, err.code, err.message));
          return await this.#finish(stream);
        }
        if (ev === null) {
          const chunk = await stream.read();
          if (chunk === null) break;
          reader.push(chunk);
          continue;
        }
        let outcome: Outcome | null = null;
        switch (ev.kind) {
          case "message":
            outcome = await this.#message(++seq, ev.type, ev.payload, peer);
            break;
          case "file_start":
            try {
              file = { seq: ++seq, incoming: await this.#deps.received.begin(ev.name, ev.size), sha256: ev.sha256 };
            } catch (err) {
              outcome = this.#storageFailure(seq, FrameType.FILE, ev.size, err);
            }
            break;
          case "file_data":
            try {
              await file?.incoming.write(ev.bytes);
            } catch (err) {
              outcome = this.#storageFailure(file?.seq ?? seq, FrameType.FILE, file?.incoming.size ?? 0, err);
            }
            break;
          case "file_end":
            if (file !== null) outcome = await this.#fileEnd(file, peer);
            file = null;
            break;
          case "skipped":
            seq++;
            outcome = {
              ack: errorAck(seq, ev.type, ev.length, "unsupported_type", `unsupported frame type ${ev.type}`),
              fatal: false,
            };
            break;
        }
        if (outcome === null) continue;
        await this.#reply(stream, peer, outcome.ack);
        if (outcome.fatal) return await this.#finish(stream);
      }
      // End of stream inside a frame: the sender gave up, and there is nothing left to acknowledge.
      if (reader.midFrame) return stream.close();
      await this.#finish(stream);
    } catch (err) {
      this.#deps.log?.debug("data exchange connection failed", { peer: peer.address, error: describe(err) });
      stream.abort();
    } finally {
      unlisten();
      await file?.incoming.abort();
    }
  }

  async #reply(stream: ServiceStream, peer: ServicePeer, ack: Ack): Promise<void> {
    if (ack.status === "error") {
      this.#refused++;
      this.#deps.log?.debug("data exchange refusal", { peer: peer.address, seq: ack.seq, code: ack.code });
    }
    await stream.write(encodeAck(ack));
  }

  #finish(stream: ServiceStream): Promise<void> {
    return finishStream(stream, this.#deps.closeGraceMs ?? SERVICE_CLOSE_GRACE_MS);
  }

  /** A quota refusal, or a storage failure (disk full): either way the connection ends. */
  #storageFailure(seq: number, frameType: number, bytes: number, err: unknown): Outcome {
    if (err instanceof MailboxError) {
      return { ack: errorAck(seq, frameType, bytes, err.code, err.message), fatal: true };
    }
    this.#deps.log?.warn("cannot store received file", { error: describe(err) });
    // The peer learns that storing failed, never local paths or system errors.
    return { ack: errorAck(seq, frameType, bytes, "internal", "receiver cannot store the file"), fatal: true };
  }

  async #fileEnd(file: FileInProgress, peer: ServicePeer): Promise<Outcome> {
    try {
      const stored = await file.incoming.finish(file.sha256);
      this.#files++;
      this.#deps.webhooks?.emit("file.received", {
        type: "file",
        from: peer.address,
        size: stored.bytes,
        filename: stored.stored,
        path: stored.path,
      });
      return {
        ack: {
          seq: file.seq,
          status: "ok",
          type: "file",
          bytes: stored.bytes,
          stored: stored.stored,
          sha256: stored.sha256,
        },
        fatal: false,
      };
    } catch (err) {
      // A checksum mismatch leaves the framing intact: the connection goes on.
      if (err instanceof MailboxError && err.code === "checksum_mismatch") {
        return { ack: errorAck(file.seq, FrameType.FILE, file.incoming.size, err.code, err.message), fatal: false };
      }
      return this.#storageFailure(file.seq, FrameType.FILE, file.incoming.size, err);
    }
  }

  async #message(seq: number, frameType: number, payload: Uint8Array, peer: ServicePeer): Promise<Outcome> {
    const refuse = (code: AckErrorCode, message: string, bytes = payload.length): Outcome => ({
      ack: errorAck(seq, frameType, bytes, code, message),
      fatal: false,
    });
    let type: InboxMessageType;
    let body = payload;
    let broadcast: number | null = null;
    switch (frameType) {
      case FrameType.TEXT:
        if (decodeUtf8Strict(payload) === null) return refuse("invalid_payload", "text is not valid UTF-8");
        type = "text";
        break;
      case FrameType.JSON: {
        const text = decodeUtf8Strict(payload);
        if (text === null) return refuse("invalid_payload", "json is not valid UTF-8");
        try {
          JSON.parse(text);
        } catch (err) {
          return refuse("invalid_payload", `invalid JSON: ${describe(err)}`);
        }
        type = "json";
        break;
      }
      case FrameType.BROADCAST: {
        if (payload.length < 2) return refuse("invalid_payload", "broadcast payload shorter than its network id");
        const { network, text } = decodeBroadcastPayload(payload);
        body = text;
        if (decodeUtf8Strict(text) === null) return refuse("invalid_payload", "text is not valid UTF-8", text.length);
        const refusal = await this.#membershipRefusal(network, peer);
        if (refusal !== null) return refuse(refusal[0], refusal[1], text.length);
        type = "text";
        broadcast = network;
        break;
      }
      default:
        type = "binary";
    }
    let id: string;
    try {
      id = (await this.#deps.inbox.store({
        type,
        from: peer.address,
        hostname: peer.hostname ?? "",
        payload: body,
        broadcast,
      })).id;
    } catch (err) {
      this.#deps.log?.warn("cannot store received message", { error: describe(err) });
      return {
        ack: errorAck(seq, frameType, body.length, "internal", "receiver cannot store the message"),
        fatal: true,
      };
    }
    this.#messages++;
    this.#deps.webhooks?.emit("message.received", {
      type: ackTypeOf(frameType),
      from: peer.address,
      size: body.length,
    });
    return { ack: { seq, status: "ok", type: ackTypeOf(frameType), bytes: body.length, message_id: id }, fatal: false };
  }

  /** Null when both ends are members of `network`; else the ACK code and message. */
  async #membershipRefusal(network: number, peer: ServicePeer): Promise<[AckErrorCode, string] | null> {
    if (network === 0) return ["not_member", "broadcasts on the backbone are not accepted"];
    try {
      if (!await this.#deps.isMember(network, this.#deps.selfNode)) {
        return ["not_member", `this node is not a member of network ${network}`];
      }
      if (!await this.#deps.isMember(network, peer.node)) {
        return ["not_member", `sender is not a member of network ${network}`];
      }
    } catch (err) {
      this.#deps.log?.warn("cannot check network membership", { network, error: describe(err) });
      return ["internal", `cannot check membership of network ${network}`];
    }
    return null;
  }
}
