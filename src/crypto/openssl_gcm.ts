// AES-256-GCM straight from the system's OpenSSL libcrypto through Deno's FFI: the optional accelerator of the packet
// path. On this runtime node:crypto's AES-GCM costs ~70 µs and WebCrypto's ~54 µs per 16 KiB frame; libcrypto with
// the CPU's AES and carry-less multiply instructions takes ~3 µs (0.4 µs per KiB-sized packet), synchronously.
//
// It is used only when everything holds: FFI is permitted, a libcrypto is found (PILOT_OPENSSL_LIB, else the usual
// names of the platform), its symbols resolve, and a known-answer self-test gives the bytes node:crypto gives and
// refuses a forged tag. Otherwise — or with PILOT_OPENSSL=off — callers fall back to node:crypto / WebCrypto.
//
// One encrypt and one decrypt context serve every key: each call re-initialises the context with its key and nonce
// (the key schedule costs ~0.1 µs), so no native object outlives a keyset and nothing needs freeing. Calls are
// synchronous and JavaScript is single-threaded, so the shared contexts are never used concurrently.
import { ffiGranted } from "../util/ffi.ts";
import { createCipheriv } from "node:crypto";

const KEY_BYTES = 32;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
/** EVP_CTRL_GCM_GET_TAG / EVP_CTRL_GCM_SET_TAG from OpenSSL's evp.h. */
const CTRL_GCM_GET_TAG = 0x10;
const CTRL_GCM_SET_TAG = 0x11;

const SYMBOLS = {
  EVP_CIPHER_CTX_new: { parameters: [], result: "pointer" },
  EVP_aes_256_gcm: { parameters: [], result: "pointer" },
  EVP_EncryptInit_ex: { parameters: ["pointer", "pointer", "pointer", "buffer", "buffer"], result: "i32" },
  EVP_EncryptUpdate: { parameters: ["pointer", "buffer", "buffer", "buffer", "i32"], result: "i32" },
  EVP_EncryptFinal_ex: { parameters: ["pointer", "buffer", "buffer"], result: "i32" },
  EVP_DecryptInit_ex: { parameters: ["pointer", "pointer", "pointer", "buffer", "buffer"], result: "i32" },
  EVP_DecryptUpdate: { parameters: ["pointer", "buffer", "buffer", "buffer", "i32"], result: "i32" },
  EVP_DecryptFinal_ex: { parameters: ["pointer", "buffer", "buffer"], result: "i32" },
  EVP_CIPHER_CTX_ctrl: { parameters: ["pointer", "i32", "i32", "buffer"], result: "i32" },
} as const;

type Library = Deno.DynamicLibrary<typeof SYMBOLS>;

/** Where libcrypto usually is, by platform (the first that loads wins). */
export function libraryCandidates(os: typeof Deno.build.os): string[] {
  switch (os) {
    case "linux":
      return ["libcrypto.so.3", "libcrypto.so.1.1"];
    case "darwin":
      // Never the unversioned system /usr/lib/libcrypto.dylib: macOS aborts a process that loads it.
      return [
        "/opt/homebrew/opt/openssl@3/lib/libcrypto.3.dylib",
        "/usr/local/opt/openssl@3/lib/libcrypto.3.dylib",
      ];
    case "windows":
      return ["libcrypto-3-x64.dll", "libcrypto-3.dll"];
    default:
      return [];
  }
}

/** AES-256-GCM on libcrypto. Every array is the caller's; outputs are written in place. */
export class OpenSslGcm {
  /** The library path that was loaded. */
  readonly library: string;
  readonly #s: Library["symbols"];
  readonly #enc: Deno.PointerValue;
  readonly #dec: Deno.PointerValue;
  readonly #outLen = new Int32Array(1);
  readonly #scratch = new Uint8Array(TAG_BYTES);

  private constructor(library: string, lib: Library) {
    this.library = library;
    this.#s = lib.symbols;
    const cipher = this.#s.EVP_aes_256_gcm();
    this.#enc = this.#s.EVP_CIPHER_CTX_new();
    this.#dec = this.#s.EVP_CIPHER_CTX_new();
    if (this.#enc === null || this.#dec === null || cipher === null) throw new Error("EVP_CIPHER_CTX_new failed");
    if (
      this.#s.EVP_EncryptInit_ex(this.#enc, cipher, null, null, null) !== 1 ||
      this.#s.EVP_DecryptInit_ex(this.#dec, cipher, null, null, null) !== 1
    ) throw new Error("EVP_*Init_ex failed");
  }

  /** Loads and self-tests the library at `path`; throws with the reason when it cannot be used. */
  static open(path: string): OpenSslGcm {
    const lib = Deno.dlopen(path, SYMBOLS);
    try {
      const gcm = new OpenSslGcm(path, lib);
      gcm.#selfTest();
      return gcm;
    } catch (err) {
      lib.close();
      throw err;
    }
  }

  /**
   * Writes the ciphertext of `plaintext` to `out` (same length) and the tag to `tag` (16 bytes). `out` may be the
   * same bytes as `plaintext`. Returns false if OpenSSL reports an error.
   */
  seal(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array, out: Uint8Array, tag: Uint8Array) {
    checkSizes(key, nonce);
    // Native code writes exactly this many bytes: a short output view would be written past its end.
    checkOutput(out, plaintext.length, tag);
    const s = this.#s;
    const ctx = this.#enc;
    const n = this.#outLen;
    if (s.EVP_EncryptInit_ex(ctx, null, null, key, nonce) !== 1) return false;
    if (aad.length > 0 && s.EVP_EncryptUpdate(ctx, null, n, aad, aad.length) !== 1) return false;
    if (plaintext.length > 0 && s.EVP_EncryptUpdate(ctx, out, n, plaintext, plaintext.length) !== 1) return false;
    if (s.EVP_EncryptFinal_ex(ctx, this.#scratch, n) !== 1) return false;
    return s.EVP_CIPHER_CTX_ctrl(ctx, CTRL_GCM_GET_TAG, TAG_BYTES, tag) === 1;
  }

  /**
   * Decrypts `ciphertext` into `out` (same length) and checks `tag`. Returns false when the tag does not verify; `out`
   * then holds unauthenticated bytes the caller must discard.
   */
  open(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, ciphertext: Uint8Array, tag: Uint8Array, out: Uint8Array) {
    checkSizes(key, nonce);
    if (tag.length !== TAG_BYTES) return false;
    checkOutput(out, ciphertext.length, null);
    const s = this.#s;
    const ctx = this.#dec;
    const n = this.#outLen;
    if (s.EVP_DecryptInit_ex(ctx, null, null, key, nonce) !== 1) return false;
    if (aad.length > 0 && s.EVP_DecryptUpdate(ctx, null, n, aad, aad.length) !== 1) return false;
    if (ciphertext.length > 0 && s.EVP_DecryptUpdate(ctx, out, n, ciphertext, ciphertext.length) !== 1) return false;
    // The tag is only read; OpenSSL's prototype takes a non-const pointer, so it gets its own copy.
    this.#scratch.set(tag);
    if (s.EVP_CIPHER_CTX_ctrl(ctx, CTRL_GCM_SET_TAG, TAG_BYTES, this.#scratch) !== 1) return false;
    return s.EVP_DecryptFinal_ex(ctx, this.#scratch, n) === 1;
  }

  /** The library must give node:crypto's bytes for a fixed input, round-trip them, and refuse a forged tag. */
  #selfTest(): void {
    const key = Uint8Array.from({ length: KEY_BYTES }, (_, i) => i * 7 + 1);
    const nonce = Uint8Array.from({ length: NONCE_BYTES }, (_, i) => 0xa0 + i);
    const aad = Uint8Array.from({ length: 16 }, (_, i) => i);
    const plaintext = Uint8Array.from({ length: 1000 }, (_, i) => (i * 31) & 0xff);
    const reference = createCipheriv("aes-256-gcm", key, nonce).setAAD(aad);
    const expected = new Uint8Array(reference.update(plaintext));
    reference.final();
    const expectedTag = new Uint8Array(reference.getAuthTag());
    const out = new Uint8Array(plaintext.length);
    const tag = new Uint8Array(TAG_BYTES);
    if (!this.seal(key, nonce, aad, plaintext, out, tag)) throw new Error("self-test: seal failed");
    if (!sameBytes(out, expected) || !sameBytes(tag, expectedTag)) throw new Error("self-test: wrong ciphertext");
    const back = new Uint8Array(out.length);
    if (!this.open(key, nonce, aad, out, tag, back) || !sameBytes(back, plaintext)) {
      throw new Error("self-test: open failed");
    }
    tag[0] ^= 1;
    if (this.open(key, nonce, aad, out, tag, back)) throw new Error("self-test: a forged tag was accepted");
  }
}

function checkSizes(key: Uint8Array, nonce: Uint8Array): void {
  if (key.length !== KEY_BYTES) throw new RangeError(`invalid AES-256-GCM key: ${key.length} bytes`);
  if (nonce.length !== NONCE_BYTES) throw new RangeError(`invalid AES-GCM nonce: ${nonce.length} bytes`);
}

function checkOutput(out: Uint8Array, bytes: number, tag: Uint8Array | null): void {
  if (out.length !== bytes) throw new RangeError(`AES-GCM output of ${out.length} bytes for ${bytes} bytes of input`);
  if (tag !== null && tag.length !== TAG_BYTES) throw new RangeError(`AES-GCM tag buffer of ${tag.length} bytes`);
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Why the accelerator is off, when it is (for `info` and the benchmark's machine block). */
export interface AcceleratorStatus {
  readonly backend: "openssl" | "node";
  readonly detail: string;
}

let loaded: OpenSslGcm | null | undefined;
let status: AcceleratorStatus = { backend: "node", detail: "not loaded yet" };

/** The accelerator, loaded on first use; null when it cannot be used here (see accelerator status). */
export function openSslGcm(): OpenSslGcm | null {
  if (loaded !== undefined) return loaded;
  loaded = null;
  const env = (name: string) => {
    try {
      return Deno.env.get(name);
    } catch {
      return undefined; // no env permission: defaults
    }
  };
  if (env("PILOT_OPENSSL") === "off") {
    status = { backend: "node", detail: "PILOT_OPENSSL=off" };
    return null;
  }
  if (!ffiGranted()) {
    // Never make Deno prompt for it: without --allow-ffi the fallback is used quietly.
    status = { backend: "node", detail: "FFI not permitted (--allow-ffi)" };
    return null;
  }
  const explicit = env("PILOT_OPENSSL_LIB");
  const reasons: string[] = [];
  for (const path of explicit ? [explicit] : libraryCandidates(Deno.build.os)) {
    try {
      loaded = OpenSslGcm.open(path);
      status = { backend: "openssl", detail: path };
      return loaded;
    } catch (err) {
      reasons.push(`${path}: ${err instanceof Error ? err.message.split("\n")[0] : String(err)}`);
    }
  }
  status = { backend: "node", detail: reasons.length > 0 ? reasons.join("; ") : "no libcrypto for this platform" };
  return null;
}

/** Which AES-GCM the packet path uses, and why. */
export function acceleratorStatus(): AcceleratorStatus {
  openSslGcm();
  return status;
}
