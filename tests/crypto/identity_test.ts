// Identity generation, the noise binding (PROTOCOL-BRIEF §3.2) and identity.json handling (CLI.md §1.8).
import assert from "node:assert/strict";
import {
  decodeIdentityFile,
  encodeIdentityFile,
  fingerprint,
  generateIdentity,
  type Identity,
  loadIdentity,
  loadOrCreateIdentity,
  noiseBindingBytes,
  saveIdentity,
  verifyNoiseBinding,
} from "../../src/crypto/identity.ts";
import { ed25519Sign } from "../../src/crypto/ed25519.ts";
import { generateX25519 } from "../../src/crypto/x25519.ts";
import { fromBase64, toBase64, toHex } from "../../src/util/bytes.ts";
import { ManualClock } from "../../src/util/clock.ts";
import { AlreadyExistsError, InternalError, NotFoundError, PilotError } from "../../src/util/errors.ts";

const IS_POSIX = Deno.build.os !== "windows";

function fileObject(id: Identity): Record<string, unknown> {
  return JSON.parse(encodeIdentityFile(id));
}

function assertCorrupt(fn: () => unknown, path: string, pattern: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof InternalError, `expected InternalError, got ${err}`);
    assert.equal(err.code, "internal");
    assert.ok(err.message.includes(path), `message names the path: ${err.message}`);
    assert.match(err.message, pattern);
    assert.match(err.hint, /restore|move/);
    return true;
  });
}

Deno.test("noiseBindingBytes() lays out label, zero byte, key and u64 time", () => {
  const pub = new Uint8Array(32).fill(0xab);
  const bytes = noiseBindingBytes(pub, 0x0102030405);
  const label = new TextEncoder().encode("pilot-noise-static-v1");
  assert.equal(bytes.length, label.length + 1 + 32 + 8);
  assert.deepEqual(bytes.subarray(0, label.length), label);
  assert.equal(bytes[label.length], 0);
  assert.deepEqual(bytes.subarray(label.length + 1, label.length + 33), pub);
  assert.equal(toHex(bytes.subarray(label.length + 33)), "0000000102030405");
});

Deno.test("noiseBindingBytes() rejects a 31-byte key and a negative time", () => {
  assert.throws(() => noiseBindingBytes(new Uint8Array(31), 1), PilotError);
  assert.throws(() => noiseBindingBytes(new Uint8Array(32), -1), PilotError);
});

Deno.test("generateIdentity() signs a binding that verifies at the clock's time", () => {
  const clock = new ManualClock(1_760_000_000_123);
  const id = generateIdentity(clock);
  assert.equal(id.noiseIssuedAt, 1_760_000_000_123);
  assert.equal(id.seed.length, 32);
  assert.equal(id.noiseSig.length, 64);
  assert.ok(verifyNoiseBinding(id.publicKey, id.noisePublicKey, id.noiseIssuedAt, id.noiseSig));
});

Deno.test("verifyNoiseBinding() rejects another time, another key, another signer and bad lengths", () => {
  const id = generateIdentity(new ManualClock());
  const other = generateIdentity(new ManualClock());
  assert.equal(verifyNoiseBinding(id.publicKey, id.noisePublicKey, id.noiseIssuedAt + 1, id.noiseSig), false);
  assert.equal(verifyNoiseBinding(id.publicKey, other.noisePublicKey, id.noiseIssuedAt, id.noiseSig), false);
  assert.equal(verifyNoiseBinding(other.publicKey, id.noisePublicKey, id.noiseIssuedAt, id.noiseSig), false);
  assert.equal(verifyNoiseBinding(id.publicKey, id.noisePublicKey.subarray(1), id.noiseIssuedAt, id.noiseSig), false);
  assert.equal(verifyNoiseBinding(id.publicKey, id.noisePublicKey, -5, id.noiseSig), false);
  assert.equal(verifyNoiseBinding(id.publicKey, id.noisePublicKey, id.noiseIssuedAt, id.noiseSig.subarray(1)), false);
});

Deno.test("encodeIdentityFile() writes exactly the CLI.md §1.8 fields in order", () => {
  const id = generateIdentity(new ManualClock(42));
  const text = encodeIdentityFile(id);
  assert.ok(text.endsWith("}\n"));
  const doc = fileObject(id);
  assert.deepEqual(Object.keys(doc), [
    "private_key",
    "public_key",
    "noise_private_key",
    "noise_public_key",
    "noise_issued_at",
    "noise_sig",
  ]);
  assert.equal(doc.private_key, toBase64(new Uint8Array([...id.seed, ...id.publicKey])));
  assert.equal(doc.public_key, toBase64(id.publicKey));
  assert.equal(doc.noise_issued_at, 42);
});

Deno.test("decodeIdentityFile() round-trips an encoded identity", () => {
  const id = generateIdentity(new ManualClock());
  const back = decodeIdentityFile(encodeIdentityFile(id), "/x/identity.json");
  assert.deepEqual(back, id);
});

Deno.test("decodeIdentityFile() rejects bad JSON, non-objects, missing and unknown fields", () => {
  const path = "/h/identity.json";
  const doc = fileObject(generateIdentity(new ManualClock()));
  assertCorrupt(() => decodeIdentityFile("{not json", path), path, /not valid JSON/);
  assertCorrupt(() => decodeIdentityFile("[1,2]", path), path, /not a JSON object/);
  assertCorrupt(() => decodeIdentityFile("null", path), path, /not a JSON object/);
  const missing = { ...doc };
  delete missing.noise_sig;
  assertCorrupt(() => decodeIdentityFile(JSON.stringify(missing), path), path, /missing field "noise_sig"/);
  assertCorrupt(() => decodeIdentityFile(JSON.stringify({ ...doc, extra: 1 }), path), path, /unknown field "extra"/);
});

Deno.test("decodeIdentityFile() rejects wrong lengths and non-base64 in every key field", () => {
  const path = "/h/identity.json";
  const doc = fileObject(generateIdentity(new ManualClock()));
  for (const field of ["private_key", "public_key", "noise_private_key", "noise_public_key", "noise_sig"]) {
    const bytes = fromBase64(doc[field] as string)!;
    const short = { ...doc, [field]: toBase64(bytes.subarray(1)) };
    assertCorrupt(() => decodeIdentityFile(JSON.stringify(short), path), path, new RegExp(`"${field}"`));
    const garbage = { ...doc, [field]: "!!!!" };
    assertCorrupt(() => decodeIdentityFile(JSON.stringify(garbage), path), path, new RegExp(`"${field}"`));
    const notString = { ...doc, [field]: 7 };
    assertCorrupt(() => decodeIdentityFile(JSON.stringify(notString), path), path, new RegExp(`"${field}"`));
  }
  for (const bad of [-1, 1.5, "1", null, 2 ** 60]) {
    const d = { ...doc, noise_issued_at: bad };
    assertCorrupt(() => decodeIdentityFile(JSON.stringify(d), path), path, /"noise_issued_at"/);
  }
});

Deno.test("decodeIdentityFile() rejects a seed that does not match the public key", () => {
  const path = "/h/identity.json";
  const a = generateIdentity(new ManualClock());
  const b = generateIdentity(new ManualClock());
  // Both halves agree with public_key, but the seed belongs to someone else.
  const swappedSeed = { ...fileObject(a), private_key: toBase64(new Uint8Array([...b.seed, ...a.publicKey])) };
  assertCorrupt(() => decodeIdentityFile(JSON.stringify(swappedSeed), path), path, /seed/);
  // The second half of private_key disagrees with public_key.
  const tail = { ...fileObject(a), private_key: toBase64(new Uint8Array([...a.seed, ...b.publicKey])) };
  assertCorrupt(() => decodeIdentityFile(JSON.stringify(tail), path), path, /"private_key"/);
});

Deno.test("decodeIdentityFile() rejects a noise key pair that does not match", () => {
  const path = "/h/identity.json";
  const doc = {
    ...fileObject(generateIdentity(new ManualClock())),
    noise_private_key: toBase64(generateX25519().privateKey),
  };
  assertCorrupt(() => decodeIdentityFile(JSON.stringify(doc), path), path, /"noise_public_key"/);
});

Deno.test("decodeIdentityFile() rejects a binding signed for another time or by another key", () => {
  const path = "/h/identity.json";
  const id = generateIdentity(new ManualClock(1000));
  const later = { ...fileObject(id), noise_issued_at: 1001 };
  assertCorrupt(() => decodeIdentityFile(JSON.stringify(later), path), path, /"noise_sig"/);
  const stranger = generateIdentity(new ManualClock(1000));
  const foreignSig = ed25519Sign(stranger.seed, noiseBindingBytes(id.noisePublicKey, 1000));
  const foreign = { ...fileObject(id), noise_sig: toBase64(foreignSig) };
  assertCorrupt(() => decodeIdentityFile(JSON.stringify(foreign), path), path, /"noise_sig"/);
});

Deno.test("fingerprint() is the first 16 base64 characters of the key", () => {
  const key = new TextEncoder().encode("foobarbazqux-and-more-bytes-32!!");
  assert.equal(fingerprint(key), "Zm9vYmFyYmF6cXV4");
});

Deno.test("saveIdentity() creates a 0700 directory and a 0600 file that loads back", async () => {
  const root = await Deno.makeTempDir();
  try {
    const path = `${root}/home/.pilot/identity.json`;
    const id = generateIdentity(new ManualClock());
    await saveIdentity(path, id);
    assert.deepEqual(await loadIdentity(path), id);
    if (IS_POSIX) {
      assert.equal((await Deno.stat(path)).mode! & 0o777, 0o600);
      assert.equal((await Deno.stat(`${root}/home/.pilot`)).mode! & 0o777, 0o700);
    }
    const leftovers = [...Deno.readDirSync(`${root}/home/.pilot`)].map((e) => e.name);
    assert.deepEqual(leftovers, ["identity.json"]);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("saveIdentity() refuses an existing file unless told to overwrite", async () => {
  const root = await Deno.makeTempDir();
  try {
    const path = `${root}/identity.json`;
    const first = generateIdentity(new ManualClock());
    const second = generateIdentity(new ManualClock());
    await saveIdentity(path, first);
    await assert.rejects(saveIdentity(path, second), AlreadyExistsError);
    assert.deepEqual(await loadIdentity(path), first);
    await saveIdentity(path, second, { overwrite: true });
    assert.deepEqual(await loadIdentity(path), second);
    if (IS_POSIX) assert.equal((await Deno.stat(path)).mode! & 0o777, 0o600);
    assert.deepEqual([...Deno.readDirSync(root)].map((e) => e.name), ["identity.json"]);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("loadIdentity() throws NotFoundError for a missing file", async () => {
  const root = await Deno.makeTempDir();
  try {
    await assert.rejects(loadIdentity(`${root}/identity.json`), NotFoundError);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("loadOrCreateIdentity() creates once, then loads the same identity", async () => {
  const root = await Deno.makeTempDir();
  try {
    const path = `${root}/p/identity.json`;
    const first = await loadOrCreateIdentity(path, new ManualClock(5));
    assert.equal(first.created, true);
    assert.equal(first.identity.noiseIssuedAt, 5);
    const second = await loadOrCreateIdentity(path, new ManualClock(9));
    assert.equal(second.created, false);
    assert.deepEqual(second.identity, first.identity);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("loadOrCreateIdentity() keeps a corrupt file byte-identical and reports it", async () => {
  const root = await Deno.makeTempDir();
  try {
    const path = `${root}/identity.json`;
    const good = fileObject(generateIdentity(new ManualClock()));
    const other = generateIdentity(new ManualClock());
    const corruptTexts = [
      "{not json",
      "",
      JSON.stringify({ ...good, public_key: toBase64(new Uint8Array(31)) }),
      JSON.stringify({ ...good, public_key: toBase64(other.publicKey) }),
      JSON.stringify({ ...good, noise_issued_at: (good.noise_issued_at as number) + 1 }),
    ];
    for (const text of corruptTexts) {
      await Deno.writeTextFile(path, text);
      const before = await Deno.readFile(path);
      await assert.rejects(loadOrCreateIdentity(path), (err: unknown) => {
        assert.ok(err instanceof InternalError);
        assert.ok(err.message.includes(path));
        return true;
      });
      assert.deepEqual(await Deno.readFile(path), before);
    }
    await Deno.writeFile(path, Uint8Array.of(0xff, 0xfe, 0x7b));
    await assert.rejects(loadIdentity(path), /not valid UTF-8/);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
