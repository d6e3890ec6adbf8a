// The inbox (PROTOCOL-BRIEF §9.2, CLI.md §3.7): one JSON file per received message, `inbox/<unix_ms>-<random>.json`,
// written atomically (temporary file, fsync, no-clobber rename, directory fsync) before the message is acknowledged.
// Listing works without a daemon, oldest first, and a corrupt file is reported and skipped, never fatal.
import { joinPath } from "../../config/mod.ts";
import { decodeUtf8Strict, toBase64 } from "../../util/bytes.ts";
import { type Clock, systemClock } from "../../util/clock.ts";
import { InternalError } from "../../util/errors.ts";
import {
  ensureMailboxDir,
  listDir,
  publishNoClobber,
  randomToken,
  removeIfPresent,
  syncDir,
  writeTemp,
} from "./mailbox_fs.ts";

export type InboxMessageType = "text" | "json" | "binary";
export type PayloadEncoding = "utf8" | "base64";

/** A stored message, fields in the §9.2 order. */
export interface InboxMessage {
  readonly id: string;
  readonly type: InboxMessageType;
  readonly from: string;
  readonly hostname: string;
  readonly received_at: string;
  readonly bytes: number;
  readonly encoding: PayloadEncoding;
  readonly data: string;
  readonly broadcast: number | null;
}

/** What the data exchange hands over; the sender identity comes from the tunnel. */
export interface NewInboxMessage {
  readonly type: InboxMessageType;
  readonly from: string;
  readonly hostname: string;
  readonly payload: Uint8Array;
  readonly broadcast: number | null;
}

export const MESSAGE_FILE_SUFFIX = ".json";
const TEMP_PREFIX = ".tmp-";
const ID_RANDOM_CHARS = 6;
/** A fresh id is drawn when the name is taken (only with a clock standing still and an unlucky draw). */
const ID_ATTEMPTS = 8;
/** A 1 MiB payload is at most ~1.4 MB of base64; anything far larger is not one of our files. */
export const MESSAGE_FILE_MAX_BYTES = 4 * 1024 * 1024;

const MESSAGE_TYPES: readonly string[] = ["text", "json", "binary"];

/** Text when the bytes are valid UTF-8, otherwise base64 (CLI.md §1.3). */
export function encodePayload(bytes: Uint8Array): { data: string; encoding: PayloadEncoding } {
  const text = decodeUtf8Strict(bytes);
  return text === null ? { data: toBase64(bytes), encoding: "base64" } : { data: text, encoding: "utf8" };
}

/** Checks a parsed message file; returns the reason it is unusable, or null. */
function invalidReason(v: Record<string, unknown>): string | null {
  if (typeof v.id !== "string" || !/^\d+-[a-z0-9]+$/.test(v.id)) return "bad id";
  if (typeof v.type !== "string" || !MESSAGE_TYPES.includes(v.type)) return "bad type";
  if (typeof v.from !== "string" || typeof v.hostname !== "string") return "bad sender";
  if (typeof v.received_at !== "string" || Number.isNaN(Date.parse(v.received_at))) return "bad received_at";
  if (!Number.isSafeInteger(v.bytes) || (v.bytes as number) < 0) return "bad bytes";
  if (v.encoding !== "utf8" && v.encoding !== "base64") return "bad encoding";
  if (typeof v.data !== "string") return "bad data";
  if (v.broadcast !== null && !(Number.isInteger(v.broadcast) && (v.broadcast as number) >= 0)) return "bad broadcast";
  return null;
}

/** Oldest first: by reception time, then by id (whose prefix is the same time in ms). */
function compareMessages(a: InboxMessage, b: InboxMessage): number {
  const dt = Date.parse(a.received_at) - Date.parse(b.received_at);
  if (dt !== 0) return dt;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** Exactly the §9.2 fields of a checked message file (unknown keys are not passed on). */
function pickFields(v: Record<string, unknown>): InboxMessage {
  return {
    id: v.id as string,
    type: v.type as InboxMessageType,
    from: v.from as string,
    hostname: v.hostname as string,
    received_at: v.received_at as string,
    bytes: v.bytes as number,
    encoding: v.encoding as PayloadEncoding,
    data: v.data as string,
    broadcast: v.broadcast as number | null,
  };
}

export class InboxStore {
  readonly dir: string;
  readonly #clock: Clock;
  /** The reception time of the last stored message: each one gets a later millisecond, so listing keeps order. */
  #lastMs = -Infinity;

  constructor(dir: string, clock: Clock = systemClock) {
    this.dir = dir;
    this.#clock = clock;
  }

  /** Stores a message durably; resolves only once it is on disk under its final name. */
  async store(msg: NewInboxMessage): Promise<InboxMessage> {
    await ensureMailboxDir(this.dir);
    // Messages arriving within one millisecond would otherwise list in the order of their random ids.
    const now = Math.max(this.#clock.now(), this.#lastMs + 1);
    this.#lastMs = now;
    const { data, encoding } = encodePayload(msg.payload);
    for (let attempt = 0; attempt < ID_ATTEMPTS; attempt++) {
      const message: InboxMessage = {
        id: `${now}-${randomToken(ID_RANDOM_CHARS)}`,
        type: msg.type,
        from: msg.from,
        hostname: msg.hostname,
        received_at: new Date(now).toISOString(),
        bytes: msg.payload.length,
        encoding,
        data,
        broadcast: msg.broadcast,
      };
      const temp = await writeTemp(this.dir, TEMP_PREFIX, new TextEncoder().encode(JSON.stringify(message)));
      try {
        if (await publishNoClobber(temp, joinPath(this.dir, message.id + MESSAGE_FILE_SUFFIX))) {
          await syncDir(this.dir);
          return message;
        }
      } finally {
        await removeIfPresent(temp);
      }
    }
    throw new InternalError(`cannot store message in ${this.dir}: no free message id`);
  }

  /**
   * Deletes the temporary files of messages that were never acknowledged (a crash between writing and publishing);
   * returns how many. inbox/ itself is created by the first message.
   */
  async prepare(): Promise<number> {
    let removed = 0;
    for (const entry of await listDir(this.dir)) {
      if (!entry.isFile || !entry.name.startsWith(TEMP_PREFIX)) continue;
      await removeIfPresent(joinPath(this.dir, entry.name));
      removed++;
    }
    return removed;
  }

  /** Every readable message, oldest first; `onCorrupt` hears about each file that was skipped. */
  async list(onCorrupt: (path: string, reason: string) => void = () => {}): Promise<InboxMessage[]> {
    const out: InboxMessage[] = [];
    for (const entry of await listDir(this.dir)) {
      if (!entry.isFile || entry.name.startsWith(".") || !entry.name.endsWith(MESSAGE_FILE_SUFFIX)) continue;
      const path = joinPath(this.dir, entry.name);
      const message = await this.#read(path, onCorrupt);
      if (message !== null) out.push(message);
    }
    return out.sort(compareMessages);
  }

  /** Deletes every message file (corrupt ones too); returns how many. */
  async clear(): Promise<number> {
    let n = 0;
    for (const entry of await listDir(this.dir)) {
      if (!entry.isFile || entry.name.startsWith(".") || !entry.name.endsWith(MESSAGE_FILE_SUFFIX)) continue;
      await removeIfPresent(joinPath(this.dir, entry.name));
      n++;
    }
    return n;
  }

  async #read(path: string, onCorrupt: (path: string, reason: string) => void): Promise<InboxMessage | null> {
    try {
      const info = await Deno.lstat(path);
      if (!info.isFile) return null;
      if (info.size > MESSAGE_FILE_MAX_BYTES) {
        onCorrupt(path, `larger than ${MESSAGE_FILE_MAX_BYTES} bytes`);
        return null;
      }
      const parsed: unknown = JSON.parse(await Deno.readTextFile(path));
      if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
        onCorrupt(path, "not a JSON object");
        return null;
      }
      const fields = parsed as Record<string, unknown>;
      const reason = invalidReason(fields);
      if (reason !== null) {
        onCorrupt(path, reason);
        return null;
      }
      return pickFields(fields);
    } catch (err) {
      // Deleted between listing and reading: nothing to report.
      if (err instanceof Deno.errors.NotFound) return null;
      onCorrupt(path, err instanceof Error ? err.message : String(err));
      return null;
    }
  }
}
