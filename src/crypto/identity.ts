// The node identity: Ed25519 key, X25519 static tunnel key and the binding signature between them (PROTOCOL-BRIEF
// §3.2), and the identity.json file that holds them (CLI.md §1.8). A corrupt file is reported, never regenerated.
import { ed25519FromSeed, ed25519Sign, ed25519Verify, generateEd25519 } from "./ed25519.ts";
import { generateX25519, x25519FromPrivate } from "./x25519.ts";
import {
  bytesEqual,
  concatBytes,
  decodeUtf8Strict,
  fromBase64Exact,
  randomBytes,
  toBase64,
  toHex,
  u64be,
  utf8,
} from "../util/bytes.ts";
import { type Clock, systemClock } from "../util/clock.ts";
import { AlreadyExistsError, InternalError, InvalidArgumentError, NotFoundError } from "../util/errors.ts";

export interface Identity {
  /** Ed25519 seed (32). */
  readonly seed: Uint8Array;
  /** Ed25519 public key (32). */
  readonly publicKey: Uint8Array;
  /** X25519 static private key (32). */
  readonly noisePrivateKey: Uint8Array;
  /** X25519 static public key (32). */
  readonly noisePublicKey: Uint8Array;
  /** When the binding was signed, unix ms. */
  readonly noiseIssuedAt: number;
  /** Ed25519 signature over noiseBindingBytes() (64). */
  readonly noiseSig: Uint8Array;
}

const NOISE_BINDING_LABEL = utf8("pilot-noise-static-v1");
const KEY_BYTES = 32;
const SIGNATURE_BYTES = 64;
const PRIVATE_KEY_FIELD_BYTES = 64;
/** identity.json is about 330 bytes; anything far larger is not ours. */
const MAX_IDENTITY_FILE_BYTES = 64 * 1024;
const IDENTITY_DIR_MODE = 0o700;
const IDENTITY_FILE_MODE = 0o600;
const FINGERPRINT_CHARS = 16;
const FIELDS = [
  "private_key",
  "public_key",
  "noise_private_key",
  "noise_public_key",
  "noise_issued_at",
  "noise_sig",
] as const;

/** `"pilot-noise-static-v1" ‖ 00 ‖ x25519_static_pub(32) ‖ issued_at_ms u64`: the message the identity key signs. */
export function noiseBindingBytes(noisePublicKey: Uint8Array, issuedAtMs: number): Uint8Array {
  if (noisePublicKey.length !== KEY_BYTES) {
    throw new InvalidArgumentError(`invalid noise public key: ${noisePublicKey.length} bytes, want ${KEY_BYTES}`);
  }
  if (!Number.isSafeInteger(issuedAtMs) || issuedAtMs < 0) {
    throw new InvalidArgumentError(`invalid noise issued-at time "${issuedAtMs}"`);
  }
  return concatBytes(NOISE_BINDING_LABEL, Uint8Array.of(0), noisePublicKey, u64be(issuedAtMs));
}

/** True when `sig` is the identity key's binding of the noise key at that time; false for any malformed input. */
export function verifyNoiseBinding(
  edPublicKey: Uint8Array,
  noisePublicKey: Uint8Array,
  issuedAtMs: number,
  sig: Uint8Array,
): boolean {
  if (noisePublicKey.length !== KEY_BYTES || !Number.isSafeInteger(issuedAtMs) || issuedAtMs < 0) return false;
  return ed25519Verify(edPublicKey, noiseBindingBytes(noisePublicKey, issuedAtMs), sig);
}

export function generateIdentity(clock: Clock = systemClock): Identity {
  const ed = generateEd25519();
  const noise = generateX25519();
  const noiseIssuedAt = Math.floor(clock.now());
  return {
    seed: ed.seed,
    publicKey: ed.publicKey,
    noisePrivateKey: noise.privateKey,
    noisePublicKey: noise.publicKey,
    noiseIssuedAt,
    noiseSig: ed25519Sign(ed.seed, noiseBindingBytes(noise.publicKey, noiseIssuedAt)),
  };
}

/** The identity.json text (CLI.md §1.8), fields in the documented order, one line and a newline. */
export function encodeIdentityFile(id: Identity): string {
  const doc = {
    private_key: toBase64(concatBytes(id.seed, id.publicKey)),
    public_key: toBase64(id.publicKey),
    noise_private_key: toBase64(id.noisePrivateKey),
    noise_public_key: toBase64(id.noisePublicKey),
    noise_issued_at: id.noiseIssuedAt,
    noise_sig: toBase64(id.noiseSig),
  };
  return JSON.stringify(doc) + "\n";
}

function corrupt(path: string, what: string): InternalError {
  return new InternalError(`cannot load identity ${path}: ${what}`, {
    hint: `restore ${path} from a backup, or move it aside to create a new identity (this changes the node's address)`,
  });
}

function bytesField(doc: Record<string, unknown>, name: string, length: number, path: string): Uint8Array {
  const value = fromBase64Exact(doc[name], length);
  if (value === null) throw corrupt(path, `field "${name}" is not base64 of ${length} bytes`);
  return value;
}

/** Parses and fully validates identity.json; any defect is an `internal` error naming the path. */
export function decodeIdentityFile(text: string, path: string): Identity {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw corrupt(path, "not valid JSON");
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw corrupt(path, "not a JSON object");
  }
  const doc = parsed as Record<string, unknown>;
  for (const key of Object.keys(doc)) {
    if (!(FIELDS as readonly string[]).includes(key)) throw corrupt(path, `unknown field "${key}"`);
  }
  for (const key of FIELDS) {
    if (!(key in doc)) throw corrupt(path, `missing field "${key}"`);
  }
  const privateKey = bytesField(doc, "private_key", PRIVATE_KEY_FIELD_BYTES, path);
  const publicKey = bytesField(doc, "public_key", KEY_BYTES, path);
  const noisePrivateKey = bytesField(doc, "noise_private_key", KEY_BYTES, path);
  const noisePublicKey = bytesField(doc, "noise_public_key", KEY_BYTES, path);
  const noiseSig = bytesField(doc, "noise_sig", SIGNATURE_BYTES, path);
  const issuedAt = doc.noise_issued_at;
  if (typeof issuedAt !== "number" || !Number.isSafeInteger(issuedAt) || issuedAt < 0) {
    throw corrupt(path, `field "noise_issued_at" is not a unix time in ms`);
  }

  const seed = privateKey.slice(0, KEY_BYTES);
  if (!bytesEqual(privateKey.subarray(KEY_BYTES), publicKey)) {
    throw corrupt(path, `"private_key" does not end with "public_key"`);
  }
  if (!bytesEqual(ed25519FromSeed(seed).publicKey, publicKey)) {
    throw corrupt(path, `"public_key" does not belong to the seed in "private_key"`);
  }
  if (!bytesEqual(x25519FromPrivate(noisePrivateKey).publicKey, noisePublicKey)) {
    throw corrupt(path, `"noise_public_key" does not belong to "noise_private_key"`);
  }
  if (!verifyNoiseBinding(publicKey, noisePublicKey, issuedAt, noiseSig)) {
    throw corrupt(path, `"noise_sig" does not verify under "public_key"`);
  }
  return { seed, publicKey, noisePrivateKey, noisePublicKey, noiseIssuedAt: issuedAt, noiseSig };
}

/** Reads and validates identity.json; NotFoundError when the file does not exist. */
export async function loadIdentity(path: string): Promise<Identity> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      throw new NotFoundError(`identity file ${path} not found`, { hint: "pilotctl init" });
    }
    throw new InternalError(`cannot read identity ${path}: ${errorText(err)}`, { cause: err });
  }
  if (!info.isFile) throw corrupt(path, "not a regular file");
  if (info.size > MAX_IDENTITY_FILE_BYTES) throw corrupt(path, `file too large (${info.size} bytes)`);
  let raw: Uint8Array;
  try {
    raw = await Deno.readFile(path);
  } catch (err) {
    throw new InternalError(`cannot read identity ${path}: ${errorText(err)}`, { cause: err });
  }
  const text = decodeUtf8Strict(raw);
  if (text === null) throw corrupt(path, "not valid UTF-8");
  return decodeIdentityFile(text, path);
}

/**
 * Writes identity.json atomically: a private temp file in the same directory, fsync, then a hard link (refusing an
 * existing file) or, with `overwrite`, a rename. The directory is created 0700, the file is 0600.
 */
export async function saveIdentity(path: string, id: Identity, opts: { overwrite?: boolean } = {}): Promise<void> {
  const dir = parentDir(path);
  await ensurePrivateDir(dir);
  if (!opts.overwrite && await exists(path)) throw alreadyExists(path);

  const temp = `${path}.tmp-${toHex(randomBytes(6))}`;
  try {
    const file = await Deno.open(temp, { write: true, createNew: true, mode: IDENTITY_FILE_MODE });
    try {
      await writeAll(file, utf8(encodeIdentityFile(id)));
      await file.sync();
    } finally {
      file.close();
    }
    if (Deno.build.os !== "windows") await Deno.chmod(temp, IDENTITY_FILE_MODE);
    if (opts.overwrite) {
      await Deno.rename(temp, path);
    } else {
      await linkNoClobber(temp, path);
    }
  } catch (err) {
    await Deno.remove(temp).catch(() => {});
    if (err instanceof AlreadyExistsError) throw err;
    throw new InternalError(`cannot write identity ${path}: ${errorText(err)}`, { cause: err });
  }
  await Deno.remove(temp).catch(() => {});
  await syncDir(dir);
}

/** Loads the identity, creating it only when no file exists; an existing file, even a corrupt one, is kept. */
export async function loadOrCreateIdentity(
  path: string,
  clock: Clock = systemClock,
): Promise<{ identity: Identity; created: boolean }> {
  try {
    return { identity: await loadIdentity(path), created: false };
  } catch (err) {
    if (!(err instanceof NotFoundError)) throw err;
  }
  const identity = generateIdentity(clock);
  try {
    await saveIdentity(path, identity);
  } catch (err) {
    // Another process created it between our read and write: theirs wins.
    if (err instanceof AlreadyExistsError) return { identity: await loadIdentity(path), created: false };
    throw err;
  }
  return { identity, created: true };
}

/** Short human form of a public key: its first 16 base64 characters (callers print `Ed25519 <fp>...`). */
export function fingerprint(publicKey: Uint8Array): string {
  return toBase64(publicKey).slice(0, FINGERPRINT_CHARS);
}

function alreadyExists(path: string): AlreadyExistsError {
  return new AlreadyExistsError(`identity file ${path} already exists`, {
    hint: `move ${path} aside first if you really want a new identity`,
  });
}

/** Hard-linking fails if `path` exists, so a concurrent creator is never clobbered. */
async function linkNoClobber(temp: string, path: string): Promise<void> {
  try {
    await Deno.link(temp, path);
    return;
  } catch (err) {
    if (err instanceof Deno.errors.AlreadyExists) throw alreadyExists(path);
    // Filesystems without hard links: fall back to check-then-rename.
  }
  if (await exists(path)) throw alreadyExists(path);
  await Deno.rename(temp, path);
}

async function ensurePrivateDir(dir: string): Promise<void> {
  if (await exists(dir)) return;
  try {
    await Deno.mkdir(dir, { recursive: true, mode: IDENTITY_DIR_MODE });
    if (Deno.build.os !== "windows") await Deno.chmod(dir, IDENTITY_DIR_MODE);
  } catch (err) {
    throw new InternalError(`cannot create directory ${dir}: ${errorText(err)}`, { cause: err });
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return false;
    throw err;
  }
}

/** Makes the rename durable; best effort, since not every platform can fsync a directory. */
async function syncDir(dir: string): Promise<void> {
  if (Deno.build.os === "windows") return;
  try {
    const handle = await Deno.open(dir, { read: true });
    try {
      await handle.sync();
    } finally {
      handle.close();
    }
  } catch {
    // ignored: durability of the directory entry is an optimisation here, not a correctness requirement
  }
}

async function writeAll(file: Deno.FsFile, data: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < data.length) offset += await file.write(data.subarray(offset));
}

function parentDir(path: string): string {
  const cut = Math.max(path.lastIndexOf("/"), Deno.build.os === "windows" ? path.lastIndexOf("\\") : -1);
  if (cut < 0) return ".";
  if (cut === 0) return "/";
  return path.slice(0, cut);
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
