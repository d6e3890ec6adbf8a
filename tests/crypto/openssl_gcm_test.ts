// The libcrypto (FFI) AES-256-GCM accelerator: the same bytes as node:crypto for every size the tunnel uses, outputs
// written exactly where asked, forgeries refused, bad sizes refused. On Linux CI the accelerator must load (Debian
// ships libcrypto.so.3); elsewhere the tests that need it are skipped with a note.
import assert from "node:assert/strict";
import { createCipheriv } from "node:crypto";
import { acceleratorStatus, libraryCandidates, OpenSslGcm, openSslGcm } from "../../src/crypto/openssl_gcm.ts";
import { Prng } from "../_support/prng.ts";

const accel = openSslGcm();
const mustLoad = Deno.env.get("CI") === "true" && Deno.build.os === "linux";

function reference(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array) {
  const c = createCipheriv("aes-256-gcm", key, nonce).setAAD(aad);
  const ct = new Uint8Array(c.update(plaintext));
  c.final();
  return { ct, tag: new Uint8Array(c.getAuthTag()) };
}

Deno.test("the accelerator loads where CI expects it, and says which library it uses", () => {
  const status = acceleratorStatus();
  if (mustLoad) assert.equal(status.backend, "openssl", `libcrypto did not load: ${status.detail}`);
  if (accel !== null) assert.equal(status.detail, accel.library);
  else assert.equal(status.backend, "node");
});

Deno.test({
  name: "libcrypto seals and opens like node:crypto for sizes 0–17,000 with and without AAD",
  ignore: accel === null,
  fn() {
    const gcm = accel!;
    const prng = new Prng(0x0a35_0001);
    for (let i = 0; i < 120; i++) {
      const size = i < 40 ? i : prng.int(0, 17_000);
      const key = prng.bytes(32);
      const nonce = prng.bytes(12);
      const aad = prng.bytes(i % 3 === 0 ? 0 : 16);
      const plaintext = prng.bytes(size);
      const want = reference(key, nonce, aad, plaintext);
      const out = new Uint8Array(size);
      const tag = new Uint8Array(16);
      assert.ok(gcm.seal(key, nonce, aad, plaintext, out, tag), `seal ${size}`);
      assert.deepEqual(out, want.ct, `ciphertext ${size}`);
      assert.deepEqual(tag, want.tag, `tag ${size}`);
      const back = new Uint8Array(size);
      assert.ok(gcm.open(key, nonce, aad, out, tag, back), `open ${size}`);
      assert.deepEqual(back, plaintext, `plaintext ${size}`);
    }
  },
});

Deno.test({
  name: "libcrypto writes only the bytes of the views it is given",
  ignore: accel === null,
  fn() {
    const key = new Uint8Array(32).fill(5);
    const nonce = new Uint8Array(12).fill(6);
    const frame = new Uint8Array(16 + 100 + 16 + 8).fill(0xee);
    const plaintext = new Uint8Array(100).fill(1);
    assert.ok(
      accel!.seal(key, nonce, frame.subarray(0, 16), plaintext, frame.subarray(16, 116), frame.subarray(116, 132)),
    );
    const want = reference(key, nonce, new Uint8Array(16).fill(0xee), plaintext);
    assert.deepEqual(frame.subarray(16, 116), want.ct);
    assert.deepEqual(frame.subarray(116, 132), want.tag);
    assert.deepEqual([...frame.subarray(132)], new Array(8).fill(0xee), "nothing after the tag was touched");
  },
});

Deno.test({
  name: "libcrypto refuses a flipped bit anywhere: ciphertext, tag, AAD, nonce, key",
  ignore: accel === null,
  fn() {
    const prng = new Prng(0x0a35_0002);
    const key = prng.bytes(32);
    const nonce = prng.bytes(12);
    const aad = prng.bytes(16);
    const plaintext = prng.bytes(300);
    const { ct, tag } = reference(key, nonce, aad, plaintext);
    const out = new Uint8Array(ct.length);
    const flip = (b: Uint8Array, i: number) => {
      const c = b.slice();
      c[i] ^= 0x40;
      return c;
    };
    assert.ok(accel!.open(key, nonce, aad, ct, tag, out));
    assert.equal(accel!.open(key, nonce, aad, flip(ct, 7), tag, out), false);
    assert.equal(accel!.open(key, nonce, aad, ct, flip(tag, 15), out), false);
    assert.equal(accel!.open(key, nonce, flip(aad, 0), ct, tag, out), false);
    assert.equal(accel!.open(key, flip(nonce, 11), aad, ct, tag, out), false);
    assert.equal(accel!.open(flip(key, 31), nonce, aad, ct, tag, out), false);
    assert.equal(accel!.open(key, nonce, aad, ct, tag.subarray(0, 15), out), false, "a short tag");
    assert.ok(accel!.open(key, nonce, aad, ct, tag, out), "and the genuine frame still opens afterwards");
  },
});

Deno.test({
  name: "libcrypto refuses keys, nonces and output buffers of the wrong size with a clear error",
  ignore: accel === null,
  fn() {
    const out = new Uint8Array(1);
    const tag = new Uint8Array(16);
    const one = new Uint8Array(1);
    assert.throws(() => accel!.seal(new Uint8Array(16), new Uint8Array(12), one, one, out, tag), /key: 16 bytes/);
    assert.throws(() => accel!.seal(new Uint8Array(32), new Uint8Array(8), one, one, out, tag), /nonce: 8 bytes/);
    assert.throws(() => accel!.open(new Uint8Array(31), new Uint8Array(12), one, one, tag, out), /key: 31 bytes/);
    // Output views of the wrong size are refused before native code could write past their end.
    const key = new Uint8Array(32);
    const nonce = new Uint8Array(12);
    const big = new Uint8Array(100);
    assert.throws(() => accel!.seal(key, nonce, one, big, new Uint8Array(99), tag), /output of 99 bytes/);
    assert.throws(() => accel!.seal(key, nonce, one, big, new Uint8Array(100), new Uint8Array(8)), /tag buffer/);
    assert.throws(() => accel!.open(key, nonce, one, big, tag, new Uint8Array(10)), /output of 10 bytes/);
  },
});

Deno.test("a library that is not there is refused, and every platform has its candidates", () => {
  assert.throws(() => OpenSslGcm.open("/nonexistent/libcrypto.so.3"));
  assert.deepEqual(libraryCandidates("linux"), ["libcrypto.so.3", "libcrypto.so.1.1"]);
  assert.ok(libraryCandidates("darwin").every((p) => !p.startsWith("/usr/lib/")), "never the system dylib");
  assert.ok(libraryCandidates("windows").length > 0);
  assert.deepEqual(libraryCandidates("aix"), []);
});
