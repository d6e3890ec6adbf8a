// The persistent trust store `<home>/trust.json` (PROTOCOL-BRIEF §6.5, CLI.md §1.8):
//   {"version":1,"peers":[{"node_id","state","public_key","since_ms","justification"?,"origin","network"?,
//                          "last_rx_ts","last_tx_ts","expires_ms"?}]}
// (`public_key` and `origin` are null while unknown / not trusted). Written on every change by write-to-temp (0600) +
// fsync + rename + fsync(dir), dir 0700. A file that cannot be read or decoded is reported, never replaced.
import { fromBase64Exact, randomBytes, toHex } from "../util/bytes.ts";
import { InternalError } from "../util/errors.ts";
import {
  ED25519_KEY_BYTES,
  MAX_JUSTIFICATION_BYTES,
  MAX_NETWORK_ID,
  MAX_TRUST_FILE_BYTES,
  TRUST_DIR_MODE,
  TRUST_FILE_MODE,
  TRUST_FILE_NAME,
  TRUST_FILE_VERSION,
} from "./constants.ts";
import { isPeerNodeId, utf8Length } from "./message.ts";
import { type PeerRecord, TRUST_ORIGINS, TRUST_STATES, type TrustOrigin, type TrustState } from "./record.ts";

/** What the TrustManager needs from storage. */
export interface TrustStore {
  load(): Promise<PeerRecord[]>;
  /** Durable when it resolves; throws PilotError `internal` on failure. */
  save(records: readonly PeerRecord[]): Promise<void>;
}

const ROW_KEYS = new Set([
  "node_id",
  "state",
  "public_key",
  "since_ms",
  "justification",
  "origin",
  "network",
  "last_rx_ts",
  "last_tx_ts",
  "expires_ms",
]);
const TEMP_SUFFIX_BYTES = 6;

/** trust.json text: 2-space indent, rows in node id order, keys in the order of §6.5. */
export function encodeTrustFile(records: readonly PeerRecord[]): string {
  const peers = [...records].sort((a, b) => a.nodeId - b.nodeId).map((r) => ({
    node_id: r.nodeId,
    state: r.state,
    public_key: r.publicKey,
    since_ms: r.sinceMs,
    ...(r.justification !== undefined ? { justification: r.justification } : {}),
    origin: r.origin,
    ...(r.network !== undefined ? { network: r.network } : {}),
    last_rx_ts: r.lastRxTs,
    last_tx_ts: r.lastTxTs,
    ...(r.expiresMs !== undefined ? { expires_ms: r.expiresMs } : {}),
  }));
  return JSON.stringify({ version: TRUST_FILE_VERSION, peers }, null, 2) + "\n";
}

/** Parses trust.json text; returns the records or a reason naming the first problem. Never throws. */
export function decodeTrustFile(text: string): PeerRecord[] | string {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return "not valid JSON";
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return "not a JSON object";
  const top = value as Record<string, unknown>;
  if (top.version !== TRUST_FILE_VERSION) return `unsupported version ${JSON.stringify(top.version) ?? "(none)"}`;
  if (!Array.isArray(top.peers)) return 'field "peers" must be an array';
  const records: PeerRecord[] = [];
  const seen = new Set<number>();
  for (let i = 0; i < top.peers.length; i++) {
    const row = decodeRow(top.peers[i]);
    if (typeof row === "string") return `peers[${i}]: ${row}`;
    if (seen.has(row.nodeId)) return `peers[${i}]: duplicate node ${row.nodeId}`;
    seen.add(row.nodeId);
    records.push(row);
  }
  return records;
}

function decodeRow(value: unknown): PeerRecord | string {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return "not an object";
  const row = value as Record<string, unknown>;
  for (const key of Object.keys(row)) if (!ROW_KEYS.has(key)) return `unknown field "${key.slice(0, 32)}"`;
  if (!isPeerNodeId(row.node_id)) return 'bad "node_id"';
  if (!(TRUST_STATES as readonly unknown[]).includes(row.state)) return 'bad "state"';
  const state = row.state as TrustState;
  if (row.public_key !== null && fromBase64Exact(row.public_key, ED25519_KEY_BYTES) === null) return 'bad "public_key"';
  if ((state === "trusted" || state === "pending_in") && row.public_key === null) return `"public_key" missing`;
  if (row.origin !== null && !(TRUST_ORIGINS as readonly unknown[]).includes(row.origin)) return 'bad "origin"';
  if ((state === "trusted") !== (row.origin !== null)) return '"origin" must be set exactly when trusted';
  for (const key of ["since_ms", "last_rx_ts", "last_tx_ts"]) if (!isTime(row[key])) return `bad "${key}"`;
  if (row.expires_ms !== undefined && !isTime(row.expires_ms)) return 'bad "expires_ms"';
  if (row.network !== undefined) {
    const n = row.network;
    if (typeof n !== "number" || !Number.isInteger(n) || n < 1 || n > MAX_NETWORK_ID) return 'bad "network"';
  }
  if (row.justification !== undefined) {
    const j = row.justification;
    if (typeof j !== "string") return 'bad "justification"';
    const length = utf8Length(j);
    if (length < 0 || length > MAX_JUSTIFICATION_BYTES) return 'bad "justification"';
  }
  return {
    nodeId: row.node_id as number,
    state,
    publicKey: row.public_key as string | null,
    sinceMs: row.since_ms as number,
    ...(row.justification !== undefined ? { justification: row.justification as string } : {}),
    origin: row.origin as TrustOrigin | null,
    ...(row.network !== undefined ? { network: row.network as number } : {}),
    lastRxTs: row.last_rx_ts as number,
    lastTxTs: row.last_tx_ts as number,
    ...(row.expires_ms !== undefined ? { expiresMs: row.expires_ms as number } : {}),
  };
}

function isTime(value: unknown): boolean {
  return Number.isSafeInteger(value) && (value as number) >= 0;
}

/** trust.json on disk. save() is refused until load() has succeeded, so an unread file is never overwritten. */
export class TrustFileStore implements TrustStore {
  readonly path: string;
  #loaded = false;
  #lastWritten: string | null = null;

  constructor(path: string) {
    this.path = path;
  }

  /** The store at `<home>/trust.json`. */
  static inHome(home: string): TrustFileStore {
    const sep = home.endsWith("/") || home.endsWith("\\") ? "" : "/";
    return new TrustFileStore(`${home}${sep}${TRUST_FILE_NAME}`);
  }

  async load(): Promise<PeerRecord[]> {
    this.#loaded = false;
    let text: string;
    try {
      text = await readBounded(this.path);
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) {
        this.#loaded = true;
        // No file means no trust yet; the file appears with the first real change.
        this.#lastWritten = encodeTrustFile([]);
        return [];
      }
      throw this.#corrupt(errorText(err), err);
    }
    const decoded = decodeTrustFile(text);
    if (typeof decoded === "string") throw this.#corrupt(decoded);
    this.#loaded = true;
    this.#lastWritten = text;
    return decoded;
  }

  async save(records: readonly PeerRecord[]): Promise<void> {
    if (!this.#loaded) throw new InternalError(`cannot write trust store ${this.path}: it was not read successfully`);
    const text = encodeTrustFile(records);
    if (text === this.#lastWritten) return;
    try {
      await writeDurably(this.path, text);
    } catch (err) {
      throw new InternalError(`cannot write trust store ${this.path}: ${errorText(err)}`, { cause: err });
    }
    this.#lastWritten = text;
  }

  #corrupt(why: string, cause?: unknown): InternalError {
    return new InternalError(`cannot read trust store ${this.path}: ${why}`, {
      hint: `repair or move ${this.path} aside, then start the daemon again`,
      cause,
    });
  }
}

async function readBounded(path: string): Promise<string> {
  const file = await Deno.open(path, { read: true });
  try {
    const info = await file.stat();
    if (!info.isFile) throw new Error("not a regular file");
    if (info.size > MAX_TRUST_FILE_BYTES) throw new Error(`file larger than ${MAX_TRUST_FILE_BYTES} bytes`);
    const buf = new Uint8Array(info.size);
    let offset = 0;
    while (offset < buf.length) {
      const n = await file.read(buf.subarray(offset));
      if (n === null) break;
      offset += n;
    }
    const text = new TextDecoder("utf-8", { fatal: true }).decode(buf.subarray(0, offset));
    return text;
  } finally {
    file.close();
  }
}

async function writeDurably(path: string, text: string): Promise<void> {
  const dir = parentDir(path);
  await ensurePrivateDir(dir);
  const temp = `${path}.tmp-${toHex(randomBytes(TEMP_SUFFIX_BYTES))}`;
  try {
    const file = await Deno.open(temp, { write: true, createNew: true, mode: TRUST_FILE_MODE });
    try {
      const bytes = new TextEncoder().encode(text);
      let offset = 0;
      while (offset < bytes.length) offset += await file.write(bytes.subarray(offset));
      await file.sync();
    } finally {
      file.close();
    }
    // The umask may have narrowed the create mode; the store is exactly 0600.
    if (Deno.build.os !== "windows") await Deno.chmod(temp, TRUST_FILE_MODE);
    await Deno.rename(temp, path);
  } catch (err) {
    await Deno.remove(temp).catch(() => {});
    throw err;
  }
  await syncDir(dir);
}

async function ensurePrivateDir(dir: string): Promise<void> {
  try {
    const info = await Deno.stat(dir);
    if (!info.isDirectory) throw new Error(`${dir} is not a directory`);
    return;
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  await Deno.mkdir(dir, { recursive: true, mode: TRUST_DIR_MODE });
  if (Deno.build.os !== "windows") await Deno.chmod(dir, TRUST_DIR_MODE);
}

/** Makes the rename itself durable. Platforms that cannot fsync a directory (Windows) skip it. */
async function syncDir(dir: string): Promise<void> {
  if (Deno.build.os === "windows") return;
  const handle = await Deno.open(dir, { read: true });
  try {
    await handle.sync();
  } finally {
    handle.close();
  }
}

function parentDir(path: string): string {
  const cut = Math.max(path.lastIndexOf("/"), path.lastIndexOf("\\"));
  if (cut < 0) return ".";
  return cut === 0 ? path.slice(0, 1) : path.slice(0, cut);
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
