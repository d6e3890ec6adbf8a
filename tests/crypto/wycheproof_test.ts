// Project Wycheproof vectors (Apache-2.0, /work/shared/vectors) against our Ed25519 verify, X25519 and every AES-GCM
// implementation (PROTOCOL-BRIEF §0). Policies checked here:
// * Ed25519: strict RFC 8032. Every "valid" vector verifies; every "invalid" one (malleable S, non-canonical R or A,
//   truncated or padded signatures, S = L, ...) is rejected. The file has no "acceptable" Ed25519 cases.
// * X25519: every "valid" and "acceptable" vector (twist points, non-canonical public keys) yields exactly the listed
//   secret, except when that secret is all zeros (flag ZeroSharedSecret, i.e. a low-order public key): then
//   x25519Shared() throws, as RFC 7748 §6.1 allows and the Noise handshake needs.
// * AES-GCM: the 256-bit-key, 96-bit-IV, 128-bit-tag vectors must give identical answers from node:crypto, WebCrypto
//   and @noble/ciphers; every other key or IV size is refused by all three (the protocol uses only AES-256, 12-byte
//   nonces).
import assert from "node:assert/strict";
import { ed25519Verify, ed25519VerifyReference } from "../../src/crypto/ed25519.ts";
import { x25519Shared } from "../../src/crypto/x25519.ts";
import { type AesGcm, nativeAesGcm, nobleAesGcm, openSslAesGcm, webCryptoAesGcm } from "../../src/crypto/aead.ts";
import { openSslGcm } from "../../src/crypto/openssl_gcm.ts";
import { concatBytes, fromHex, toHex } from "../../src/util/bytes.ts";
import { InvalidArgumentError } from "../../src/util/errors.ts";

const VECTORS = new URL("../../../shared/vectors/", import.meta.url);

interface WycheproofTest {
  tcId: number;
  comment: string;
  flags: string[];
  result: "valid" | "invalid" | "acceptable";
  [field: string]: unknown;
}

interface WycheproofGroup {
  tests: WycheproofTest[];
  [field: string]: unknown;
}

function loadGroups(file: string): WycheproofGroup[] {
  const doc = JSON.parse(Deno.readTextFileSync(new URL(file, VECTORS))) as { testGroups: WycheproofGroup[] };
  return doc.testGroups;
}

function hexField(test: WycheproofTest, name: string): Uint8Array {
  const value = test[name];
  if (typeof value !== "string") throw new Error(`vector ${test.tcId}: field ${name} missing`);
  return fromHex(value);
}

function label(test: WycheproofTest): string {
  return `tcId ${test.tcId} (${test.comment || "no comment"}; ${test.flags.join(",")})`;
}

Deno.test("ed25519Verify() accepts every valid and rejects every invalid Wycheproof vector", () => {
  let valid = 0;
  let invalid = 0;
  for (const group of loadGroups("wycheproof_ed25519_test.json")) {
    const publicKey = fromHex((group.publicKey as { pk: string }).pk);
    for (const test of group.tests) {
      const ok = ed25519Verify(publicKey, hexField(test, "msg"), hexField(test, "sig"));
      assert.notEqual(test.result, "acceptable", `${label(test)}: no policy for "acceptable" Ed25519 vectors`);
      assert.equal(ok, test.result === "valid", label(test));
      if (ok) valid++;
      else invalid++;
    }
  }
  assert.ok(valid >= 80 && invalid >= 60, `vector file looks truncated: ${valid} valid, ${invalid} invalid`);
});

Deno.test("ed25519Verify() rejects the malleable (S + L) form of a valid Wycheproof signature", () => {
  const malleable = loadGroups("wycheproof_ed25519_test.json")
    .flatMap((g) => g.tests.map((t) => ({ g, t })))
    .filter(({ t }) => t.flags.includes("SignatureMalleability"));
  assert.ok(malleable.length > 0);
  for (const { g, t } of malleable) {
    assert.equal(
      ed25519Verify(fromHex((g.publicKey as { pk: string }).pk), hexField(t, "msg"), hexField(t, "sig")),
      false,
    );
  }
});

Deno.test("x25519Shared() matches Wycheproof and throws exactly for all-zero shared secrets", () => {
  let computed = 0;
  let refused = 0;
  for (const group of loadGroups("wycheproof_x25519_test.json")) {
    for (const test of group.tests) {
      assert.notEqual(test.result, "invalid", `${label(test)}: no policy for "invalid" X25519 vectors`);
      const expected = toHex(hexField(test, "shared"));
      const zero = /^0+$/.test(expected);
      assert.equal(zero, test.flags.includes("ZeroSharedSecret"), label(test));
      if (zero) {
        assert.throws(() => x25519Shared(hexField(test, "private"), hexField(test, "public")), label(test));
        refused++;
      } else {
        assert.equal(toHex(x25519Shared(hexField(test, "private"), hexField(test, "public"))), expected, label(test));
        computed++;
      }
    }
  }
  assert.ok(computed > 400 && refused > 20, `vector file looks truncated: ${computed} computed, ${refused} refused`);
});

interface AnyGcm {
  name: string;
  seal(key: Uint8Array, nonce: Uint8Array, pt: Uint8Array, aad: Uint8Array): Promise<Uint8Array>;
  open(key: Uint8Array, nonce: Uint8Array, ct: Uint8Array, aad: Uint8Array): Promise<Uint8Array | null>;
}

function fromSync(name: string, make: (key: Uint8Array) => AesGcm): AnyGcm {
  return {
    name,
    // async, so a refused key or nonce becomes a rejection like WebCrypto's
    seal: async (key, nonce, pt, aad) => await Promise.resolve(make(key).seal(nonce, pt, aad)),
    open: async (key, nonce, ct, aad) => await Promise.resolve(make(key).open(nonce, ct, aad)),
  };
}

const GCM_IMPLEMENTATIONS: AnyGcm[] = [
  fromSync("node:crypto", nativeAesGcm),
  fromSync("@noble/ciphers", nobleAesGcm),
  {
    name: "WebCrypto",
    seal: async (key, nonce, pt, aad) => await (await webCryptoAesGcm(key)).seal(nonce, pt, aad),
    open: async (key, nonce, ct, aad) => await (await webCryptoAesGcm(key)).open(nonce, ct, aad),
  },
  // The FFI accelerator, where this machine has a libcrypto (tests/crypto/openssl_gcm_test.ts says whether it must).
  ...(openSslGcm() === null ? [] : [fromSync("libcrypto (FFI)", (key) => openSslAesGcm(key)!)]),
];

Deno.test("AES-GCM: node:crypto, WebCrypto and noble agree with every AES-256 / 96-bit IV Wycheproof vector", async () => {
  let checked = 0;
  for (const group of loadGroups("wycheproof_aes_gcm_test.json")) {
    if (group.keySize !== 256 || group.ivSize !== 96 || group.tagSize !== 128) continue;
    for (const test of group.tests) {
      const key = hexField(test, "key");
      const iv = hexField(test, "iv");
      const aad = hexField(test, "aad");
      const msg = hexField(test, "msg");
      const sealed = concatBytes(hexField(test, "ct"), hexField(test, "tag"));
      for (const impl of GCM_IMPLEMENTATIONS) {
        const where = `${impl.name} ${label(test)}`;
        const opened = await impl.open(key, iv, sealed, aad);
        if (test.result === "valid") {
          assert.equal(toHex(await impl.seal(key, iv, msg, aad)), toHex(sealed), where);
          assert.ok(opened !== null, where);
          assert.equal(toHex(opened), toHex(msg), where);
        } else {
          assert.equal(test.result, "invalid", where);
          assert.equal(opened, null, where);
        }
      }
      checked++;
    }
  }
  assert.ok(checked >= 60, `only ${checked} vectors checked`);
});

Deno.test("AES-GCM: every implementation refuses the Wycheproof vectors with other key or IV sizes", async () => {
  let refused = 0;
  for (const group of loadGroups("wycheproof_aes_gcm_test.json")) {
    if (group.keySize === 256 && group.ivSize === 96) continue;
    for (const test of group.tests) {
      const key = hexField(test, "key");
      const iv = hexField(test, "iv");
      const sealed = concatBytes(hexField(test, "ct"), hexField(test, "tag"));
      for (const impl of GCM_IMPLEMENTATIONS) {
        const where = `${impl.name} ${label(test)}`;
        await assert.rejects(
          impl.seal(key, iv, hexField(test, "msg"), hexField(test, "aad")),
          InvalidArgumentError,
          where,
        );
        await assert.rejects(impl.open(key, iv, sealed, hexField(test, "aad")), InvalidArgumentError, where);
      }
      refused++;
    }
  }
  assert.ok(refused > 100, `only ${refused} vectors checked`);
});

Deno.test("the native and the reference Ed25519 verify agree on every Wycheproof vector", () => {
  let checked = 0;
  for (const group of loadGroups("wycheproof_ed25519_test.json")) {
    const publicKey = fromHex((group.publicKey as { pk: string }).pk);
    for (const test of group.tests) {
      const msg = hexField(test, "msg");
      const sig = hexField(test, "sig");
      assert.equal(ed25519Verify(publicKey, msg, sig), ed25519VerifyReference(publicKey, msg, sig), label(test));
      checked++;
    }
  }
  assert.ok(checked > 100);
});
